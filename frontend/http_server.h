#pragma once
// The frontend's HTTP side, on cpp-httplib: one httplib::Server per listening
// socket, each on its own thread with a small worker pool, all sharing one
// set of handlers over the SnapshotCache.
//
//   <telemetry path>  GET, HEAD  exposition: the cached snapshot part, the
//                                exporter status of this scrape, the
//                                OpenMetrics terminator; gzip when accepted
//   /health           GET, HEAD  200 "OK" while the collector is up, else 503
//                                and the reason
//   /                 GET, HEAD  the landing page
//   anything else                404; other methods on these paths 405
//
// Start-up opens every descriptor the server needs (listening sockets,
// /proc/self for process_*); serving a request opens nothing, so the
// frontend can be sandboxed after start().

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "process_stats.h"
#include "snapshot_cache.h"
#include "unique_fd.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace mmx {

struct HttpOptions {
  std::string telemetry_path = "/metrics";
  // Scrapes served at once; more get 503. 0: no limit.
  unsigned max_requests = 40;
  bool log_requests = false;  // one debug line per request
};

class HttpServer {
 public:
  // Per listening socket: workers serving connections (a connection holds
  // its worker while kept alive), and the limits that keep one client from
  // holding a worker for long.
  static constexpr std::size_t kWorkersPerListener = 8;
  static constexpr std::chrono::seconds kReadTimeout{10};
  static constexpr std::chrono::seconds kWriteTimeout{10};
  static constexpr std::chrono::seconds kKeepAliveTimeout{1};
  static constexpr std::size_t kKeepAliveMaxRequests = 100;
  static constexpr std::size_t kMaxRequestBodyBytes = 1024;  // we accept no bodies

  HttpServer(SnapshotCache& cache, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Takes a listening socket; before start().
  void add_listener(UniqueFd fd);
  // "127.0.0.1:9539", "unix:/run/x.sock": one per listener, in order.
  const std::vector<std::string>& addresses() const { return addresses_; }

  // Serves every listener on a thread of its own. `on_failure` is called, on
  // that thread, if a listener stops by itself (its socket failed).
  void start(std::function<void(const std::string& address)> on_failure);

  // Stops accepting, lets the requests in flight finish and waits for the
  // threads, for at most `grace`. True when every thread ended; false leaves
  // some behind (a connection kept alive or stalled), and the caller should
  // exit the process rather than destroy this object.
  bool stop(std::chrono::milliseconds grace);

 private:
  class Listener;
  class Handlers;

  std::unique_ptr<Handlers> handlers_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<std::string> addresses_;
  std::mutex mutex_;
  std::condition_variable finished_;
  std::size_t running_ = 0;
};

}  // namespace mmx
