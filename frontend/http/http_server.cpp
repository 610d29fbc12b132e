#include "http_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "build_info.h"
#include "content_negotiation.h"
#include "exposition.h"
#include "exposition_writer.h"
#include "gzip_splice.h"
#include "http_text.h"
#include "httplib_stream.h"
#include "landing_page.h"
#include "log.h"
#include "request_head.h"
#include "sockets.h"
#include "wall_clock.h"

namespace mmx {
namespace {

constexpr const char* kHealthPath = "/health";
constexpr const char* kLandingPath = "/";
constexpr const char* kAllowedMethods = "GET, HEAD";
constexpr const char* kPlainText = "text/plain; charset=utf-8";

// A response body: a part shared by many responses (kept alive by `owner`)
// and a part of this response's own. Written by a content provider, so
// httplib never compresses it (it compresses set_content() bodies when the
// client accepts gzip) and the stream queues both parts by reference.
struct Body {
  std::shared_ptr<const void> owner;
  std::string_view shared;
  std::string own;

  std::size_t size() const { return shared.size() + own.size(); }
};

void set_body(httplib::Response& res, std::shared_ptr<Body> body, const std::string& type) {
  const std::size_t size = body->size();
  if (size == 0) {
    // A provider of length 0 would be read until it says it is done;
    // an empty body is "Content-Length: 0".
    res.set_content("", type);
    return;
  }
  res.set_content_provider(
      size, type,
      [body = std::move(body)](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
        QueueingStream::share(body->owner, body->shared);
        QueueingStream::share(body, body->own);
        // Bytes [offset, offset + length) of shared, then own.
        const std::size_t end = std::min(offset + length, body->size());
        if (offset < body->shared.size()) {
          const std::size_t n = std::min(end, body->shared.size()) - offset;
          if (!sink.write(body->shared.data() + offset, n)) return false;
          offset += n;
        }
        if (offset < end) {
          const std::size_t at = offset - body->shared.size();
          return sink.write(body->own.data() + at, end - offset);
        }
        return true;
      });
}

void set_text(httplib::Response& res, int status, std::string text, const std::string& type) {
  res.status = status;
  auto body = std::make_shared<Body>();
  body->own = std::move(text);
  set_body(res, std::move(body), type);
}

std::string error_body(int status) {
  switch (status) {
    case 400:
      return "400 bad request\n";
    case 401:
      return "401 unauthorized\n";
    case 404:
      return "404 page not found\n";
    case 405:
      return "405 method not allowed\n";
    case 503:
      return "503 service unavailable\n";
    default:
      return std::to_string(status) + " error\n";
  }
}

void set_error(httplib::Response& res, int status) {
  set_text(res, status, error_body(status), kPlainText);
}

// A header's first value, without a copy; "" when absent.
std::string_view header_value(const httplib::Request& req, const char* name) {
  const auto it = req.headers.find(name);
  return it == req.headers.end() ? std::string_view() : std::string_view(it->second);
}

bool is_tcp(int fd) {
  int domain = 0;
  socklen_t length = sizeof domain;
  return ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 &&
         (domain == AF_INET || domain == AF_INET6);
}

// What every response carries: the security headers, then the operator's
// (a header named in both takes the operator's value).
httplib::Headers response_headers(const HttpOptions& options) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      // The landing page is one document with one inline style block and
      // no script; nothing else may load or run.
      {"Content-Security-Policy", std::string(landing_page_content_security_policy())},
      // Whole bodies only: Range never reaches httplib (library_head()).
      {"Accept-Ranges", "none"},
  };
  // Not a structured binding: clang 14 (the fuzz build) cannot capture one.
  for (const auto& header : options.headers) {
    auto same = std::find_if(headers.begin(), headers.end(), [&](const auto& h) {
      return equals_ignoring_case(h.first, header.first);
    });
    if (same != headers.end()) {
      same->second = header.second;
    } else {
      headers.push_back(header);
    }
  }
  return httplib::Headers(headers.begin(), headers.end());
}

}  // namespace

class HttpServer::Handlers {
 public:
  Handlers(SnapshotCache& cache, HttpOptions options)
      : cache_(cache),
        options_(std::move(options)),
        metrics_path_(options_.route_prefix + options_.telemetry_path),
        health_path_(options_.route_prefix + kHealthPath),
        routes_{{metrics_path_, &Handlers::metrics},
                {health_path_, &Handlers::health},
                {options_.route_prefix + kLandingPath, &Handlers::landing}} {
    // "/mm" as well as "/mm/": the page's links are relative to whichever
    // was asked for.
    if (!options_.route_prefix.empty()) {
      routes_.push_back({options_.route_prefix, &Handlers::landing});
    }
  }

  // Every request httplib parses, the gate's refusals included.
  void handle(const httplib::Request& req, httplib::Response& res) {
    if (const QueueingStream::Refusal* refusal = QueueingStream::refusal()) {
      set_text(res, refusal->status, std::string(refusal->body), kPlainText);
      return;
    }
    if (!authorized(req, res)) return;
    if (req.method == "GET" || req.method == "HEAD") {
      dispatch(req, res);
    } else {
      method_not_allowed(req, res);
    }
  }

  const HttpOptions& options() const { return options_; }

 private:
  // Every path needs the credentials when basic auth is configured, as
  // with exporter-toolkit. Runs on a gate thread: a check may take a
  // bcrypt (BasicAuth bounds how many at once).
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    if (options_.basic_auth == nullptr) return true;
    switch (options_.basic_auth->check(header_value(req, "Authorization"))) {
      case AuthResult::kOk:
        return true;
      case AuthResult::kUnauthorized:
        res.set_header("WWW-Authenticate", std::string(BasicAuth::kChallenge));
        set_error(res, 401);
        return false;
      case AuthResult::kBusy:
        res.set_header("Retry-After", "1");
        set_error(res, 503);
        return false;
    }
    return false;
  }

  using Handler = void (Handlers::*)(const httplib::Request&, httplib::Response&);
  struct Route {
    std::string path;
    Handler handler;
  };

  const Route* route(const httplib::Request& req) const {
    for (const Route& route : routes_) {
      if (req.path == route.path) return &route;
    }
    return nullptr;
  }

  void dispatch(const httplib::Request& req, httplib::Response& res) {
    if (const Route* found = route(req)) {
      (this->*found->handler)(req, res);
    } else {
      set_error(res, 404);
    }
  }

  void method_not_allowed(const httplib::Request& req, httplib::Response& res) {
    if (route(req) != nullptr) {
      res.set_header("Allow", kAllowedMethods);
      set_error(res, 405);
    } else {
      set_error(res, 404);
    }
  }

  void metrics(const httplib::Request& req, httplib::Response& res) {
    const Format format = negotiate_format(header_value(req, "Accept"));
    const bool gzip = accepts_gzip(header_value(req, "Accept-Encoding"));
    const CollectorView view = cache_.view();
    const bool up = view.up(std::chrono::steady_clock::now());

    // Nothing of the collector's is served while it is not up: no stale
    // modem data, no stale process_* values or snapshot age.
    ExporterStatus status;
    status.build = build_info();
    status.collector_up = up;
    status.snapshots_total = view.snapshots_total;
    status.snapshots_refused_total = view.snapshots_refused_total;
    status.now_unix_nanos = wall_clock_nanos();
    status.process = sample_process();
    std::string tail;
    TextRanges per_scrape;
    TextRanges* const ranges = gzip ? &per_scrape : nullptr;
    if (up) {
      auto message = view.frame->open();
      append_exporter_status(tail, status, message->getRoot<schema::Snapshot>(), format, ranges);
    } else {
      append_exporter_status(tail, status, std::nullopt, format, ranges);
    }
    tail += exposition_terminator(format);

    const CachedExposition* cached = up ? &view.rendered->exposition(format) : nullptr;
    res.set_header("Vary", "Accept-Encoding");
    auto body = std::make_shared<Body>();
    // The cached part is sent from the cache, which `owner` keeps alive.
    body->owner = cached != nullptr ? view.rendered : nullptr;
    if (gzip) {
      static const GzipPrefix kNothing;
      const GzipPrefix& prefix = cached != nullptr ? cached->gzip() : kNothing;
      body->shared = prefix.head();
      // Per thread, so without locks, and per format, whose tails differ:
      // each holds the deflated text of the last tail between its values.
      thread_local std::array<GzipTailCache, 2> tail_caches;
      body->own = prefix.end(tail, per_scrape, tail_caches[format == Format::kText ? 0 : 1]);
      res.set_header("Content-Encoding", "gzip");
    } else {
      body->shared =
          cached != nullptr ? std::string_view(cached->plain(*view.frame)) : std::string_view();
      body->own = std::move(tail);
    }
    set_body(res, std::move(body), std::string(content_type(format)));
  }

  void health(const httplib::Request&, httplib::Response& res) {
    const std::string problem = cache_.view().problem(std::chrono::steady_clock::now());
    if (problem.empty()) {
      set_text(res, 200, "OK\n", kPlainText);
    } else {
      set_text(res, 503, problem + "\n", kPlainText);
    }
  }

  void landing(const httplib::Request& req, httplib::Response& res) {
    const CollectorView view = cache_.view();
    const BuildInfo& build = build_info();
    LandingInfo info;
    info.version = build.version;
    info.revision = build.revision;
    info.page_path = req.path;
    info.metrics_path = metrics_path_;
    info.health_path = health_path_;
    std::unique_ptr<capnp::FlatArrayMessageReader> message;
    std::optional<schema::Snapshot::Reader> snapshot;
    const auto now = std::chrono::steady_clock::now();
    std::string problem;
    if (view.up(now)) {
      message = view.frame->open();
      snapshot = message->getRoot<schema::Snapshot>();
    } else {
      problem = view.problem(now);
      info.collector_problem = problem;
    }
    set_text(res, 200, render_landing_page(snapshot, info), "text/html; charset=utf-8");
  }

  ProcessSample sample_process() {
    // sample() seeks and reads shared descriptors: one caller at a time.
    std::lock_guard lock(process_stats_mutex_);
    return process_stats_.sample();
  }

  SnapshotCache& cache_;
  const HttpOptions options_;
  const std::string metrics_path_;
  const std::string health_path_;
  std::vector<Route> routes_;
  ProcessStatsReader process_stats_;  // opened now, read after the sandbox is up
  std::mutex process_stats_mutex_;
};

// httplib's request processing without its sockets: the gate hands it
// connections whose request head is complete and screened, and sends what
// it writes.
class HttpServer::Processor final : public httplib::Server, public Responder {
 public:
  Processor(HttpServer::Handlers& handlers, const httplib::Headers& headers, bool log_requests) {
    // httplib stops writing a content provider's body once svr_sock_ is
    // INVALID_SOCKET (its "shutting down"); this server never listens, so
    // the socket is set to a value that only says "not stopping".
    svr_sock_ = kNotStopping;
    // Every method is dispatched here, so httplib's std::regex route
    // matching never runs and no method reaches its body reading.
    set_pre_routing_handler([&handlers](const httplib::Request& req, httplib::Response& res) {
      handlers.handle(req, res);
      return httplib::Server::HandlerResponse::Handled;
    });
    // httplib's own errors (a head it cannot parse: 400) get a text body,
    // like ours.
    const HandlerWithResponse text_errors = [](const httplib::Request&, httplib::Response& res) {
      if (res.content_length_ > 0 || !res.body.empty()) {
        return httplib::Server::HandlerResponse::Unhandled;
      }
      set_error(res, res.status);
      return httplib::Server::HandlerResponse::Handled;
    };
    set_error_handler(text_errors);
    // Without this httplib puts what() into a response header.
    set_exception_handler(
        [](const httplib::Request& req, httplib::Response& res, std::exception_ptr error) {
          std::string what = "unknown exception";
          try {
            std::rethrow_exception(std::move(error));
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          log_error("Request failed", {{"path", req.path}, {"err", what}});
          res = httplib::Response();
          set_text(res, 500, "500 internal server error\n", kPlainText);
        });
    set_default_headers(headers);
    // Only for the Keep-Alive header httplib writes: the gate enforces both.
    set_keep_alive_timeout(kIdleTimeout.count());
    set_keep_alive_max_count(kKeepAliveMaxRequests);
    if (log_requests) {
      set_logger([](const httplib::Request& req, const httplib::Response& res) {
        if (QueueingStream::refusal() != nullptr) return;  // the gate logs its own
        log_debug("HTTP request", {{"method", req.method},
                                   {"path", req.path},
                                   {"status", std::to_string(res.status)},
                                   {"remote", req.remote_addr}});
      });
    }
  }

  bool answer(Connection& connection, bool close_connection) override {
    const std::optional<std::string> rewritten = library_head(connection.head());
    QueueingStream stream(connection, rewritten ? *rewritten : connection.head());
    return process(stream, close_connection);
  }

  void refuse(Connection& connection, int status, std::string_view body) override {
    // httplib writes the refusal too: it parses a stand-in head of the
    // refused request's method (a refusal of HEAD has no body), and the
    // handler, seeing the refusal, answers it.
    const bool head = request_method(connection.received()) == "HEAD";
    const QueueingStream::Refusal refusal{status, body};
    QueueingStream stream(connection, head ? kHeadStandIn : kGetStandIn, &refusal);
    (void)process(stream, true);
  }

 private:
  static constexpr socket_t kNotStopping = INT_MAX;
  static constexpr std::string_view kGetStandIn = "GET / HTTP/1.1\r\nHost: refused\r\n\r\n";
  static constexpr std::string_view kHeadStandIn = "HEAD / HTTP/1.1\r\nHost: refused\r\n\r\n";

  bool process(QueueingStream& stream, bool close_connection) {
    bool connection_closed = false;
    const bool ok = process_request(stream, close_connection, connection_closed, nullptr);
    return ok && !connection_closed;
  }
};

HttpServer::HttpServer(SnapshotCache& cache, HttpOptions options) {
  GateLimits limits;
  limits.workers = kWorkers;
  limits.max_connections = kMaxConnections;
  limits.max_requests = options.max_requests;
  limits.limited_path = options.route_prefix + options.telemetry_path;
  limits.head_timeout = kHeadTimeout;
  limits.write_timeout = kWriteTimeout;
  limits.idle_timeout = kIdleTimeout;
  limits.linger_timeout = kLingerTimeout;
  limits.linger_quiet = kLingerQuiet;
  limits.keep_alive_max_requests = kKeepAliveMaxRequests;
  // One list for all: the handlers' responses and the gate's refusals.
  const httplib::Headers headers = response_headers(options);
  const bool log_requests = options.log_requests;
  handlers_ = std::make_unique<Handlers>(cache, std::move(options));
  processor_ = std::make_unique<Processor>(*handlers_, headers, log_requests);
  gate_ = std::make_unique<ConnectionGate>(limits, *processor_);
}

HttpServer::~HttpServer() {
  if (gate_->stop(std::chrono::seconds(2))) return;
  // Threads are left answering: keep what they use alive, as the process
  // is about to end anyway.
  (void)gate_.release();
  (void)processor_.release();
  (void)handlers_.release();
}

void HttpServer::add_listener(UniqueFd fd) {
  const bool tcp = is_tcp(fd.get());
  if (tcp) {
    // Accepted connections inherit it: a head and a body may leave in
    // separate writes, and Nagle would hold the body back for a delayed
    // ACK.
    const int one = 1;
    ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  // The gate polls before it accepts; a connection reset in between must
  // not leave accept() blocking. The flag is on the shared open file, and
  // harmless to the others holding it (systemd, the collector), which
  // never accept.
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  std::string address = local_address(fd.get());
  SSL_CTX* tls = tcp ? handlers_->options().tls : nullptr;
  gate_->add_listener(fd.get(), tls, tls != nullptr ? "https://" + address : address);
  addresses_.push_back(std::move(address));
  listeners_.push_back(std::move(fd));
}

Expected<> HttpServer::start(std::function<void(const std::string& address)> on_failure) {
  return gate_->start(std::move(on_failure));
}

bool HttpServer::stop(std::chrono::milliseconds grace) {
  return gate_->stop(grace);
}

}  // namespace mmx
