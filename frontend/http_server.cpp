#include "http_server.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <optional>
#include <string_view>
#include <utility>

#include "build_info.h"
#include "content_negotiation.h"
#include "exposition.h"
#include "exposition_writer.h"
#include "gzip_splice.h"
#include "landing_page.h"
#include "log.h"
#include "sockets.h"

namespace mmx {
namespace {

constexpr const char* kHealthPath = "/health";
constexpr const char* kLandingPath = "/";
constexpr const char* kAllowedMethods = "GET, HEAD";
constexpr const char* kPlainText = "text/plain; charset=utf-8";

std::int64_t wall_clock_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Counts something for as long as it lives.
class Counted {
 public:
  explicit Counted(std::atomic<unsigned>& count) : count_(count) { count_.fetch_add(1); }
  ~Counted() { count_.fetch_sub(1); }
  Counted(const Counted&) = delete;
  Counted& operator=(const Counted&) = delete;

 private:
  std::atomic<unsigned>& count_;
};

// A /metrics body of two pieces sent back to back, so the cached exposition
// is written from the cache and never copied per scrape.
struct ScrapeBody {
  std::shared_ptr<const RenderedSnapshot> owner;  // keeps `head` alive
  std::string_view head;
  std::string tail;
  std::shared_ptr<Counted> scrape;  // the scrape is in flight while the body lives
  std::optional<Counted> provider;  // see Handlers::draining_

  std::size_t size() const { return head.size() + tail.size(); }

  // Writes bytes [offset, offset + length): httplib asks for ranges too.
  bool write(std::size_t offset, std::size_t length, httplib::DataSink& sink) const {
    const std::size_t end = std::min(offset + length, size());
    if (offset < head.size()) {
      const std::size_t n = std::min(end, head.size()) - offset;
      if (!sink.write(head.data() + offset, n)) return false;
      offset += n;
    }
    if (offset < end) {
      return sink.write(tail.data() + (offset - head.size()), end - offset);
    }
    return true;
  }
};

std::string error_body(int status) {
  switch (status) {
    case 400:
      return "400 bad request\n";
    case 404:
      return "404 page not found\n";
    case 405:
      return "405 method not allowed\n";
    case 413:
      return "413 request body too large\n";
    case 414:
      return "414 request URI too long\n";
    case 503:
      return "503 service unavailable\n";
    default:
      return std::to_string(status) + " error\n";
  }
}

void set_error(httplib::Response& res, int status) {
  res.status = status;
  res.set_content(error_body(status), kPlainText);
}

bool is_tcp(int fd) {
  int domain = 0;
  socklen_t length = sizeof domain;
  return ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 &&
         (domain == AF_INET || domain == AF_INET6);
}

}  // namespace

// One httplib::Server on an adopted listening socket. httplib 0.11 can only
// bind sockets itself, but keeps the listening socket in the protected
// svr_sock_: setting it and calling listen_after_bind() serves a socket made
// by anyone.
class HttpServer::Listener final : public httplib::Server {
 public:
  Listener(UniqueFd fd, std::string address) : address_(std::move(address)) {
    svr_sock_ = fd.release();
    // The accept loop polls with this timeout instead of blocking in
    // accept(), so stop_serving() can end it without a shutdown().
    set_idle_interval(kAcceptPollInterval);
  }
  ~Listener() override {
    // A socket never served, or taken back by stop_serving(), is ours to close.
    if (!started_) ::close(svr_sock_.exchange(INVALID_SOCKET));
    if (taken_ >= 0) ::close(taken_);
  }

  // Serves until stop_serving(); false when the listening socket failed.
  bool serve() {
    started_ = true;
    return listen_after_bind();
  }

  // Ends serve() within kAcceptPollInterval and leaves the socket listening.
  // Not httplib's stop(): it shutdown()s the listening socket, which is
  // shared with whoever handed it over, and ends their listening too:
  // systemd fails the .socket unit ("Got POLLHUP on a listening socket"),
  // and the one-command collector keeps its copy for the next frontend.
  // The descriptor is closed with the listener, once serve() has returned.
  void stop_serving() { taken_ = svr_sock_.exchange(INVALID_SOCKET); }

  const std::string& address() const { return address_; }

  std::thread thread;
  bool stop_sent = false;  // guarded by HttpServer::mutex_
  bool done = false;       // guarded by HttpServer::mutex_

 private:
  static constexpr std::chrono::milliseconds kAcceptPollInterval{100};

  std::string address_;
  std::atomic<bool> started_{false};
  int taken_ = -1;
};

class HttpServer::Handlers {
 public:
  Handlers(SnapshotCache& cache, HttpOptions options)
      : cache_(cache),
        options_(std::move(options)),
        routes_{{options_.telemetry_path, &Handlers::metrics},
                {kHealthPath, &Handlers::health},
                {kLandingPath, &Handlers::landing}} {}

  void install(httplib::Server& server) {
    const httplib::Server::Handler get = [this](const httplib::Request& req,
                                                httplib::Response& res) { dispatch(req, res); };
    const httplib::Server::Handler other = [this](const httplib::Request& req,
                                                  httplib::Response& res) {
      method_not_allowed(req, res);
    };
    server.Get(".*", get);  // and HEAD
    server.Post(".*", other);
    server.Put(".*", other);
    server.Patch(".*", other);
    server.Delete(".*", other);
    server.Options(".*", other);
    // Methods httplib has no handler list for (TRACE, CONNECT, ...).
    server.set_pre_routing_handler([this](
                                       const httplib::Request& req,
                                       httplib::Response& res) -> httplib::Server::HandlerResponse {
      // GET and HEAD are dispatched here, so httplib's std::regex route
      // matching never runs for a scrape.
      if (req.method == "GET" || req.method == "HEAD") {
        dispatch(req, res);
        return httplib::Server::HandlerResponse::Handled;
      }
      static constexpr std::string_view kRouted[] = {"POST", "PUT", "PATCH", "DELETE", "OPTIONS"};
      for (std::string_view method : kRouted) {
        if (req.method == method) return httplib::Server::HandlerResponse::Unhandled;
      }
      method_not_allowed(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    // httplib's own errors (400, 413, 414) and routes it found no handler for
    // get a text body, like ours.
    const httplib::Server::HandlerWithResponse error_handler = [](const httplib::Request&,
                                                                  httplib::Response& res) {
      if (!res.body.empty() || res.has_header("Content-Length")) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      res.set_content(error_body(res.status), kPlainText);
      return httplib::Server::HandlerResponse::Handled;
    };
    server.set_error_handler(error_handler);
    // Without this httplib puts what() into a response header.
    server.set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
          std::string what = "unknown exception";
          try {
            std::rethrow_exception(std::move(error));
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          log_error("Request failed", {{"path", req.path}, {"err", what}});
          res.status = 500;
          res.set_content("500 internal server error\n", kPlainText);
        });
    if (options_.log_requests) {
      server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        log_debug("HTTP request", {{"method", req.method},
                                   {"path", req.path},
                                   {"status", std::to_string(res.status)},
                                   {"remote", req.remote_addr}});
      });
    }
    server.set_read_timeout(kReadTimeout);
    server.set_write_timeout(kWriteTimeout);
    server.set_keep_alive_timeout(kKeepAliveTimeout.count());
    server.set_keep_alive_max_count(kKeepAliveMaxRequests);
    server.set_payload_max_length(kMaxRequestBodyBytes);
    server.new_task_queue = [] { return new httplib::ThreadPool(kWorkersPerListener); };
  }

  // From now on /metrics bodies are handed to httplib whole rather than
  // through a content provider: httplib 0.11 skips a provider that has not
  // started writing once the server is stopping, which would cut a scrape
  // in flight. True once no provider is left, false at `deadline`.
  bool drain(std::chrono::steady_clock::time_point deadline) {
    draining_ = true;
    while (providers_.load() > 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }

 private:
  using Handler = void (Handlers::*)(const httplib::Request&, httplib::Response&);
  struct Route {
    std::string path;
    Handler handler;
  };

  void dispatch(const httplib::Request& req, httplib::Response& res) {
    for (const Route& route : routes_) {
      if (req.path == route.path) {
        (this->*route.handler)(req, res);
        return;
      }
    }
    set_error(res, 404);
  }

  void method_not_allowed(const httplib::Request& req, httplib::Response& res) {
    for (const Route& route : routes_) {
      if (req.path == route.path) {
        res.set_header("Allow", kAllowedMethods);
        set_error(res, 405);
        return;
      }
    }
    set_error(res, 404);
  }

  void metrics(const httplib::Request& req, httplib::Response& res) {
    auto scrape = std::make_shared<Counted>(scrapes_);
    if (options_.max_requests > 0 && scrapes_.load() > options_.max_requests) {
      res.status = 503;
      res.set_content("Limit of concurrent requests reached (" +
                          std::to_string(options_.max_requests) + "), try again later.\n",
                      kPlainText);
      return;
    }
    const Format format = negotiate_format(req.get_header_value("Accept"));
    const bool gzip = accepts_gzip(req.get_header_value("Accept-Encoding"));
    const CollectorView view = cache_.view();
    const bool up = view.up(std::chrono::steady_clock::now());

    // Nothing of the collector's is served while it is not up: no stale
    // modem data, no stale process_* values or snapshot age.
    ExporterStatus status;
    status.build = build_info();
    status.collector_up = up;
    status.snapshots_total = view.snapshots_total;
    status.now_unix_nanos = wall_clock_nanos();
    status.process = sample_process();
    std::string tail;
    if (up) {
      auto message = view.frame->open();
      append_exporter_status(tail, status, message->getRoot<schema::Snapshot>(), format);
    } else {
      append_exporter_status(tail, status, std::nullopt, format);
    }
    tail += exposition_terminator(format);

    const CachedExposition* cached = up ? &view.rendered->exposition(format) : nullptr;
    const std::string type(content_type(format));
    res.set_header("Vary", "Accept-Encoding");

    auto body = std::make_shared<ScrapeBody>();
    body->provider.emplace(providers_);
    if (draining_.load()) {
      body.reset();
      std::string whole(cached != nullptr ? cached->plain : std::string());
      whole += tail;
      res.set_content(std::move(whole), type);
      return;
    }
    body->scrape = std::move(scrape);
    if (gzip) {
      static const GzipPrefix kNothing;
      body->tail = (cached != nullptr ? cached->gzip : kNothing).with_tail(tail);
      res.set_header("Content-Encoding", "gzip");
    } else {
      body->owner = cached != nullptr ? view.rendered : nullptr;
      body->head = cached != nullptr ? std::string_view(cached->plain) : std::string_view();
      body->tail = std::move(tail);
    }
    // A content provider, because httplib compresses a text/plain body by
    // itself, at every scrape, and would compress ours a second time.
    const std::size_t size = body->size();
    res.set_content_provider(
        size, type,
        [body = std::move(body)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
          return body->write(offset, length, sink);
        });
  }

  void health(const httplib::Request&, httplib::Response& res) {
    const std::string problem = cache_.view().problem(std::chrono::steady_clock::now());
    if (problem.empty()) {
      res.set_content("OK\n", kPlainText);
    } else {
      res.status = 503;
      res.set_content(problem + "\n", kPlainText);
    }
  }

  void landing(const httplib::Request& req, httplib::Response& res) {
    const CollectorView view = cache_.view();
    const BuildInfo& build = build_info();
    LandingInfo info;
    info.version = build.version;
    info.revision = build.revision;
    info.page_path = req.path;
    info.metrics_path = options_.telemetry_path;
    info.health_path = kHealthPath;
    std::unique_ptr<capnp::FlatArrayMessageReader> message;
    std::optional<schema::Snapshot::Reader> snapshot;
    if (view.up(std::chrono::steady_clock::now())) {
      message = view.frame->open();
      snapshot = message->getRoot<schema::Snapshot>();
    }
    res.set_content(render_landing_page(snapshot, info), "text/html; charset=utf-8");
  }

  ProcessSample sample_process() {
    // sample() seeks and reads shared descriptors: one caller at a time.
    std::lock_guard lock(process_stats_mutex_);
    return process_stats_.sample();
  }

  SnapshotCache& cache_;
  const HttpOptions options_;
  const std::vector<Route> routes_;
  ProcessStatsReader process_stats_;  // opened now, read after the sandbox is up
  std::mutex process_stats_mutex_;
  std::atomic<unsigned> scrapes_{0};    // /metrics requests in flight
  std::atomic<unsigned> providers_{0};  // /metrics bodies not yet written
  std::atomic<bool> draining_{false};
};

HttpServer::HttpServer(SnapshotCache& cache, HttpOptions options)
    : handlers_(std::make_unique<Handlers>(cache, std::move(options))) {}

HttpServer::~HttpServer() {
  bool all_ended = true;
  for (auto& listener : listeners_) {
    if (listener->thread.joinable()) all_ended = false;
  }
  if (all_ended || stop(std::chrono::seconds(2))) return;
  // Threads are left serving: keep what they use alive, as the process is
  // about to end anyway.
  for (auto& listener : listeners_) {
    if (listener->thread.joinable()) listener->thread.detach();
    (void)listener.release();
  }
  (void)handlers_.release();
}

void HttpServer::add_listener(UniqueFd fd) {
  if (is_tcp(fd.get())) {
    // Accepted connections inherit it: httplib writes headers and body
    // separately, and Nagle would hold the body back for a delayed ACK.
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  std::string address = local_address(fd.get());
  auto listener = std::make_unique<Listener>(std::move(fd), address);
  handlers_->install(*listener);
  addresses_.push_back(std::move(address));
  listeners_.push_back(std::move(listener));
}

void HttpServer::start(std::function<void(const std::string& address)> on_failure) {
  std::lock_guard lock(mutex_);
  running_ = listeners_.size();
  for (auto& owned : listeners_) {
    Listener* listener = owned.get();
    listener->thread = std::thread([this, listener, on_failure] {
      const bool ok = listener->serve();
      bool failed = false;
      {
        std::lock_guard done_lock(mutex_);
        failed = !ok || !listener->stop_sent;
        listener->done = true;
        --running_;
      }
      finished_.notify_all();
      if (failed) {
        log_error("Stopped serving HTTP: the listening socket failed",
                  {{"address", listener->address()}});
        if (on_failure) on_failure(listener->address());
      }
    });
  }
}

bool HttpServer::stop(std::chrono::milliseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  handlers_->drain(deadline);
  std::unique_lock lock(mutex_);
  while (running_ > 0) {
    // Stop each server once, when its loop runs; stop_sent tells the end
    // asked for here from a listening socket that failed.
    for (auto& listener : listeners_) {
      if (!listener->stop_sent && !listener->done && listener->is_running()) {
        listener->stop_sent = true;
        listener->stop_serving();
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    finished_.wait_until(lock, std::min(deadline, now + std::chrono::milliseconds(5)));
  }
  if (running_ > 0) return false;
  lock.unlock();
  for (auto& listener : listeners_) {
    if (listener->thread.joinable()) listener->thread.join();
  }
  return true;
}

}  // namespace mmx
