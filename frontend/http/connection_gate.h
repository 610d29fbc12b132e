#pragma once
// Accepts HTTP connections and moves each of them along without a thread of
// its own: until a whole request head has arrived, while its response is
// being sent, and while it closes.
//
// A thread per connection that blocks on it for as long as the client
// likes (cpp-httplib 0.11's way) lets a slowloris, or a scraper that stops
// reading, tie up the pool, and queues the rest without bound. Here every
// listener and every connection waits in one epoll set, each armed for one
// event at a time (EPOLLONESHOT), and a fixed pool of threads takes turns at
// it (leader/followers): the thread that an event wakes moves that
// connection on without blocking -- TLS handshake, reading and screening
// the head within request_head.h's limits, having the responder queue the
// answer, sending as much of it as the socket takes -- and re-arms it for
// what it waits for next. A connection costs a descriptor, a small buffer
// and the bytes of its response not yet sent (the cached body by reference),
// never a thread; a request costs one wake-up, with no hand-over between
// threads, unless its answer does not fit in the socket at once.
//
// Bounds: at most max_connections are open; at that limit a new one closes
// the one that has been quiet longest among those not being served. At
// most max_requests scrapes are in progress (answered or still being sent,
// as node_exporter counts them); beyond that a scrape gets 503 at once. A
// head must be complete within head_timeout of the connection's start or of
// the first byte after an idle spell, an idle connection is closed after
// idle_timeout, a response must be sent within write_timeout, and a
// connection that was told "close" is drained for at most linger_timeout.

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "connection.h"
#include "expected.h"
#include "unique_fd.h"

namespace mmx {

struct GateLimits {
  std::size_t workers = 8;
  std::size_t max_connections = 512;
  // Requests for `limited_path` (the telemetry path) answered at once
  // (--web.max-requests, as in node_exporter); 0: no limit. Other requests
  // are bounded by the threads only: they cost next to nothing.
  unsigned max_requests = 40;
  std::string limited_path = "/metrics";
  std::chrono::milliseconds head_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};
  std::chrono::milliseconds write_timeout{10'000};
  // A connection told "close" is drained until the peer closes, it has
  // been quiet for linger_quiet, or linger_timeout has passed.
  std::chrono::milliseconds linger_timeout{2'000};
  std::chrono::milliseconds linger_quiet{500};
  std::size_t keep_alive_max_requests = 100;
};

// What the gate asks of the HTTP layer. Both queue on connection.outgoing()
// without blocking; the gate sends it.
class Responder {
 public:
  virtual ~Responder() = default;
  // The answer to connection.head(), saying "Connection: close" when
  // `close_connection`. Whether the connection may carry another request.
  virtual bool answer(Connection& connection, bool close_connection) = 0;
  // The gate's own refusal (400, 431, 503...) of what connection.received()
  // holds, with `body` (plain text), saying "Connection: close".
  virtual void refuse(Connection& connection, int status, std::string_view body) = 0;
};

class ConnectionGate {
 public:
  using Failure = std::function<void(const std::string& address)>;

  // `responder` must outlive the gate.
  ConnectionGate(GateLimits limits, Responder& responder);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // A listening socket, owned by the caller and left open and listening by
  // stop(). `tls`: the context for a TLS listener, null for plain HTTP; it
  // must outlive the gate. Before start().
  void add_listener(int fd, SSL_CTX* tls, std::string address);

  // Starts the threads. `on_failure` is called, on one of them, when a
  // listening socket fails; the others keep serving. An error when a
  // listening socket cannot be watched: then no thread started.
  [[nodiscard]] Expected<> start(Failure on_failure);

  // Stops accepting, closes the connections idle between requests, lets
  // the requests under way finish (with "Connection: close"; one not yet
  // complete gets at most half the grace, 500 ms, to arrive, a response
  // being sent the whole grace), closes what is left when the grace ends
  // and waits for the threads. False leaves threads behind: the
  // caller should exit the process rather than destroy the gate.
  bool stop(std::chrono::milliseconds grace);

  // Connections open, for tests and the process's own view.
  std::size_t open_connections() const { return open_.load(); }

 private:
  struct Listener {
    int fd = -1;
    SSL_CTX* tls = nullptr;
    std::string address;
    PeerAddress local;
    bool failed = false;
  };
  // A connection, in the epoll set while `busy` is false; while it is
  // true one thread owns it and nobody else touches it. An event names
  // the slot and its generation, so a stale event for a connection closed
  // in the meantime (by a timeout, an eviction, stop()) is recognised.
  enum class Phase : std::uint8_t {
    kReading,    // a request head (or the TLS handshake) under way
    kIdle,       // between requests, no byte of the next one yet
    kSending,    // a response queued on the connection
    kLingering,  // told "close"; what the peer still sends is dropped
  };
  struct Slot {
    std::unique_ptr<Connection> connection;
    std::uint32_t generation = 0;
    bool busy = false;
    Phase phase = Phase::kReading;
    bool keep_after_sending = false;  // kSending: the connection stays open
  };

  void run();
  // Arms listener `index` for one event (EPOLL_CTL_ADD the first time,
  // EPOLL_CTL_MOD after each).
  bool arm_listener(std::size_t index, int operation);
  void accept_from(std::size_t listener);
  void serve(std::uint64_t token);
  // Moves a connection of the caller's on as far as it goes without
  // waiting; what to wait for next (0: close it).
  std::uint32_t progress(Connection& connection, Phase& phase, bool& keep);
  // Queues the answer to the complete head; whether the connection may
  // carry another.
  bool answer_request(Connection& connection);
  bool is_limited(const Connection& connection) const;
  // A scrape admitted under max_requests is over: sent, or its connection
  // gone.
  void end_limited(Connection& connection);
  // Closes the connections past their deadline; re-arms the listeners
  // after a pause for want of descriptors.
  void expire();

  // With mutex_ held. Hands a busy slot back to epoll, waiting for
  // `events`, or closes it (events 0, stopping, or epoll refusing).
  void release_locked(std::uint32_t index, std::uint32_t events);
  void close_locked(std::uint32_t index);
  bool evict_quietest_locked();
  // The timer fires at `when` or earlier.
  void schedule_locked(Connection::Clock::time_point when);

  const GateLimits limits_;
  Responder& responder_;
  std::vector<Listener> listeners_;
  UniqueFd epoll_fd_;
  UniqueFd wake_fd_;   // written once, by stop(): every thread returns
  UniqueFd timer_fd_;  // the earliest deadline of the connections waiting
  Failure on_failure_;
  std::vector<std::thread> threads_;

  std::atomic<bool> stopping_{false};
  // Set before stopping_: the end of the grace, and of a stopping gate's
  // drain of requests not yet complete.
  Connection::Clock::time_point stop_grace_end_{};
  Connection::Clock::time_point stop_drain_end_{};
  std::atomic<std::size_t> open_{0};
  std::atomic<unsigned> limited_in_progress_{0};

  std::mutex mutex_;
  std::condition_variable drained_;  // stopping: a connection closed, or a thread let one go
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t busy_ = 0;
  Connection::Clock::time_point timer_at_ = Connection::Clock::time_point::max();
  Connection::Clock::time_point accept_paused_until_{};
};

}  // namespace mmx
