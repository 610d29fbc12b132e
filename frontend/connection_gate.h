#pragma once
// Accepts HTTP connections and holds them, without a thread each, until a
// whole request head has arrived; only then does a thread answer it.
//
// A thread per connection that blocks on it for as long as the client
// likes (cpp-httplib 0.11's way) lets a slowloris tie up the pool with a few
// idle connections, and queues the rest without bound. Here every listener
// and every connection waits in one epoll set, each armed for one event at
// a time (EPOLLONESHOT), and a fixed pool of threads takes turns at it
// (leader/followers): the thread that an event wakes moves that connection
// on without blocking (TLS handshake, reading and screening the head within
// request_head.h's limits) and, once a head is complete, answers it itself
// and re-arms the connection. A connection without a complete request
// costs a descriptor and a small buffer, never a thread; a request costs
// one wake-up, with no hand-over between threads.
//
// Bounds: at most max_connections are open; at that limit a new one closes
// the one that has been quiet longest among those not being answered. At
// most max_requests scrapes are answered at once; beyond that a scrape gets
// 503 at once. A head must be complete within head_timeout of the
// connection's start or of the first byte after an idle spell, an idle
// connection is closed after idle_timeout, and a response must be written
// within write_timeout.

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
#include <thread>
#include <vector>

#include "connection.h"
#include "http_message.h"
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
  std::size_t keep_alive_max_requests = 100;
};

class ConnectionGate {
 public:
  // Answers the request whose head is connection.head(), writing by
  // `write_deadline`; says "Connection: close" when `close_connection`.
  // Returns whether the connection may carry another request.
  using Answer = std::function<bool(Connection& connection, bool close_connection,
                                    Connection::Clock::time_point write_deadline)>;
  using Failure = std::function<void(const std::string& address)>;

  // `common_headers`: what the gate's own answers (400, 431, 503...) carry,
  // the same security headers as every other response.
  ConnectionGate(GateLimits limits, Answer answer, HeaderList common_headers);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // A listening socket, owned by the caller and left open and listening by
  // stop(). `tls`: the context for a TLS listener, null for plain HTTP; it
  // must outlive the gate. Before start().
  void add_listener(int fd, SSL_CTX* tls, std::string address);

  // Starts the threads. `on_failure` is called, on one of them, when a
  // listening socket fails; the others keep serving.
  void start(Failure on_failure);

  // Stops accepting, closes the connections idle between requests, lets
  // the requests under way finish (with "Connection: close"; one not yet
  // complete gets at most half the grace, 500 ms, to arrive) and waits for
  // the threads, for at most `grace`. False leaves threads behind: the
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
  struct Slot {
    std::unique_ptr<Connection> connection;
    std::uint32_t generation = 0;
    bool busy = false;
    bool idle = false;  // between requests, no byte of the next one yet
  };

  void run();
  // Arms listener `index` for one event (EPOLL_CTL_ADD the first time,
  // EPOLL_CTL_MOD after each).
  bool arm_listener(std::size_t index, int operation);
  void accept_from(std::size_t listener);
  void serve(std::uint64_t token);
  // Answers the complete head; whether the connection may carry another.
  bool answer_request(Connection& connection);
  bool is_limited(const Connection& connection) const;
  // The gate's own answer (400, 431, 503...), written without waiting; the
  // caller closes the connection.
  void refuse(Connection& connection, int status, std::string_view body) const;
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
  const Answer answer_;
  const HeaderList common_headers_;
  std::vector<Listener> listeners_;
  UniqueFd epoll_fd_;
  UniqueFd wake_fd_;   // written once, by stop(): every thread returns
  UniqueFd timer_fd_;  // the earliest deadline of the connections waiting
  Failure on_failure_;
  std::vector<std::thread> threads_;

  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> open_{0};
  std::atomic<unsigned> limited_answering_{0};

  std::mutex mutex_;
  std::condition_variable drained_;  // stopping: a connection closed, or an answer ended
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::size_t busy_ = 0;
  Connection::Clock::time_point timer_at_ = Connection::Clock::time_point::max();
  Connection::Clock::time_point accept_paused_until_{};
};

}  // namespace mmx
