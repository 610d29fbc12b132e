#pragma once
// Accepts HTTP connections and holds them, without a thread each, until a
// whole request head has arrived; only then does a worker answer it.
//
// httplib 0.11 gives every accepted connection a worker that blocks on it
// for as long as the client likes (a slowloris ties up the pool with a few
// idle connections) and queues the rest without bound. Here one thread
// polls every listener and every connection: TLS handshakes, request heads
// (read and screened within request_head.h's limits) and kept-alive idle
// connections cost a descriptor and a small buffer, never a worker. The
// workers, a fixed pool, get complete, screened requests only.
//
// Bounds: at most max_connections are open; at that limit a new one closes
// the one that has been quiet longest among those not being answered. At
// most max_requests scrapes are admitted (being answered or waiting for a
// worker); beyond that a scrape gets 503 at once. A head must be complete
// within head_timeout of the connection's start or of the first byte after
// an idle spell, an idle connection is closed after idle_timeout, and a
// response must be written within write_timeout.

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "unique_fd.h"

namespace mmx {

struct GateLimits {
  std::size_t workers = 8;
  std::size_t max_connections = 512;
  // Requests for `limited_path` (the telemetry path) admitted at once:
  // being answered or waiting for a worker (--web.max-requests, as in
  // node_exporter); 0: no limit. Other requests are bounded by
  // max_connections only: they cost next to nothing.
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

  // `response_headers`: "Name: value\r\n" lines for the gate's own answers
  // (400, 431, 503...), so they carry the same security headers as the rest.
  ConnectionGate(GateLimits limits, Answer answer, std::string response_headers);
  ~ConnectionGate();
  ConnectionGate(const ConnectionGate&) = delete;
  ConnectionGate& operator=(const ConnectionGate&) = delete;

  // A listening socket, owned by the caller and left open and listening by
  // stop(). `tls`: the context for a TLS listener, null for plain HTTP; it
  // must outlive the gate. Before start().
  void add_listener(int fd, SSL_CTX* tls, std::string address);

  // Starts the poller and the workers. `on_failure` is called, on the
  // poller, when a listening socket fails; the others keep serving.
  void start(Failure on_failure);

  // Stops accepting, closes the connections not being answered, lets the
  // requests admitted finish (with "Connection: close") and waits for the
  // threads, for at most `grace`. False leaves threads behind: the caller
  // should exit the process rather than destroy the gate.
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
  struct Waiting {
    std::unique_ptr<Connection> connection;
    short events = 0;   // what it waits for
    bool idle = false;  // between requests, no byte of the next one yet
  };

  void poll_loop();
  void accept_from(Listener& listener, std::vector<std::string>& failures);
  // Moves the connection on as far as it can go without blocking; false
  // when it left the waiting set (admitted, or closed).
  bool advance(Waiting& waiting);
  void admit(std::unique_ptr<Connection> connection);
  void answer_and_close(std::unique_ptr<Connection> connection, int status, std::string_view body);
  bool is_limited(const Connection& connection) const;
  bool evict_quietest();
  void work();
  void wake();

  const GateLimits limits_;
  const Answer answer_;
  const std::string response_headers_;
  std::vector<Listener> listeners_;
  UniqueFd wake_fd_;
  Failure on_failure_;

  std::thread poller_;
  std::vector<std::thread> workers_;
  std::vector<Waiting> waiting_;  // the poller's alone
  Connection::Clock::time_point accept_paused_until_{};

  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> open_{0};
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_answered_;
  std::deque<std::unique_ptr<Connection>> queue_;      // admitted, no worker yet
  std::vector<std::unique_ptr<Connection>> returned_;  // answered, kept alive
  std::size_t admitted_ = 0;                           // queued or being answered
  std::size_t limited_admitted_ = 0;                   // of which for limited_path
  bool workers_stop_ = false;
};

}  // namespace mmx
