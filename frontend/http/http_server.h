#pragma once
// The frontend's HTTP side: a ConnectionGate over every listening socket,
// and cpp-httplib processing every request the gate lets through, with one
// set of handlers over the SnapshotCache.
//
//   <telemetry path>  GET, HEAD  exposition: the cached snapshot part, the
//                                exporter status of this scrape, the
//                                OpenMetrics terminator; gzip when accepted
//   /health           GET, HEAD  200 "OK" while the collector is up, else 503
//                                and the reason
//   /                 GET, HEAD  the landing page
//   anything else                404; other known methods on these paths
//                                405 with Allow, unknown methods 501
//
// The gate (connection_gate.h) owns the sockets: it accepts, handshakes,
// reads and screens each request head (request_head.h) and sends the
// responses without ever blocking a thread. httplib (an httplib::Server
// that never listens) parses each screened head, routes it through one
// pre-routing handler (no regex routes), decides keep-alive and writes
// every response head, the gate's refusals included; bodies come from
// content providers that reference the cache, so httplib never compresses
// one itself and a body is never copied per request.
//
// Start-up opens every descriptor the server needs (listening sockets,
// /proc/self for process_*); serving a request opens nothing, so the
// frontend can be sandboxed after start().

#include <openssl/ssl.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "basic_auth.h"
#include "connection_gate.h"
#include "expected.h"
#include "snapshot_cache.h"
#include "unique_fd.h"

namespace mmx {

struct HttpOptions {
  std::string telemetry_path = "/metrics";
  // Scrapes in progress at once (answered or still being sent, as
  // node_exporter counts them); more get 503. 0: no limit.
  unsigned max_requests = 40;
  bool log_requests = false;  // one debug line per request
  // TLS on every TCP listener when set (unix sockets stay plain: they serve
  // a proxy on the same host). Must outlive the server.
  SSL_CTX* tls = nullptr;
  // Headers every response carries, the gate's own errors included, on top
  // of the security headers the server always sends (http_server_config.
  // headers of --web.config.file; a name in both takes this value).
  std::vector<std::pair<std::string, std::string>> headers;
  // basic_auth_users of --web.config.file: every request must pass it.
  // Null: no authentication. Must outlive the server.
  const BasicAuth* basic_auth = nullptr;
  // --web.route-prefix: "" or "/mm" (no trailing "/"); every path is served
  // under it.
  std::string route_prefix;
};

class HttpServer {
 public:
  static constexpr std::size_t kWorkers = 8;
  static constexpr std::size_t kMaxConnections = 512;
  // A request head must arrive within this; a response be written within
  // kWriteTimeout; a connection idle between requests is closed after
  // kIdleTimeout (longer than Prometheus's usual 15-60 s interval, so a
  // scraper keeps its connection, and its TLS session, between scrapes).
  static constexpr std::chrono::seconds kHeadTimeout{10};
  static constexpr std::chrono::seconds kWriteTimeout{10};
  static constexpr std::chrono::seconds kIdleTimeout{90};
  // A connection told "close" is drained (a lingering close, as Apache's
  // 2 s) until its client closes or has been quiet for kLingerQuiet, for at
  // most kLingerTimeout, so that the client reads the answer rather than a
  // reset.
  static constexpr std::chrono::seconds kLingerTimeout{2};
  static constexpr std::chrono::milliseconds kLingerQuiet{500};
  static constexpr std::size_t kKeepAliveMaxRequests = 1000;

  HttpServer(SnapshotCache& cache, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Takes a listening socket; before start().
  void add_listener(UniqueFd fd);
  // "127.0.0.1:9539", "unix:/run/x.sock": one per listener, in order.
  const std::vector<std::string>& addresses() const { return addresses_; }

  // Starts serving. `on_failure` is called, on the gate's thread, if a
  // listening socket fails (the others keep serving). An error when it
  // cannot start: nothing is served then.
  [[nodiscard]] Expected<> start(std::function<void(const std::string& address)> on_failure);

  // Stops accepting (the listening sockets stay open: they may be shared
  // with systemd or the collector), lets the requests in flight finish and
  // waits for the threads, for at most `grace`. False leaves some behind (a
  // response stalled on its client), and the caller should exit the
  // process rather than destroy this object.
  bool stop(std::chrono::milliseconds grace);

  std::size_t open_connections() const { return gate_->open_connections(); }

 private:
  class Handlers;
  class Processor;

  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<ConnectionGate> gate_;
  std::vector<UniqueFd> listeners_;
  std::vector<std::string> addresses_;
};

}  // namespace mmx
