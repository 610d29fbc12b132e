#include "http_server.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "build_info.h"
#include "content_negotiation.h"
#include "exposition.h"
#include "exposition_writer.h"
#include "gzip_splice.h"
#include "http_message.h"
#include "http_text.h"
#include "landing_page.h"
#include "log.h"
#include "request_head.h"
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

void set_error(HttpResponse& res, int status) {
  res.set_text(status, error_body(status), kPlainText);
}

bool is_tcp(int fd) {
  int domain = 0;
  socklen_t length = sizeof domain;
  return ::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0 &&
         (domain == AF_INET || domain == AF_INET6);
}

// What every response carries: the security headers, then the operator's
// (a header named in both takes the operator's value).
HeaderList response_headers(const HttpOptions& options) {
  HeaderList headers = {
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      // The landing page is one document with one inline style block and
      // no script; nothing else may load or run.
      {"Content-Security-Policy", std::string(landing_page_content_security_policy())},
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
  return headers;
}

}  // namespace

class HttpServer::Handlers {
 public:
  Handlers(SnapshotCache& cache, HttpOptions options, HeaderList common_headers)
      : cache_(cache),
        options_(std::move(options)),
        common_headers_(std::move(common_headers)),
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

  // Answers the request whose head is connection.head(), writing by
  // `deadline`. Whether the connection may carry another request.
  bool answer(Connection& connection, bool close_connection,
              Connection::Clock::time_point deadline) {
    HttpResponse res;
    // A head that passed the gate's screening always parses.
    const std::optional<HttpRequest> req = parse_request(connection.head());
    const bool keep = !close_connection && req && req->keep_alive();
    if (req) {
      try {
        handle(*req, res);
      } catch (const std::exception& e) {
        log_error("Request failed", {{"path", req->path}, {"err", e.what()}});
        res = HttpResponse{};
        res.set_text(500, "500 internal server error\n", kPlainText);
      }
      if (options_.log_requests) {
        log_debug("HTTP request", {{"method", std::string(req->method)},
                                   {"path", req->path},
                                   {"status", std::to_string(res.status)},
                                   {"remote", connection.remote().ip}});
      }
    } else {
      set_error(res, 400);
    }
    const std::string head =
        response_head(res, common_headers_,
                      keep ? std::optional<KeepAlive>({kIdleTimeout.count(), kKeepAliveMaxRequests})
                           : std::nullopt);
    const bool written = req && req->method == "HEAD"
                             ? connection.write_all(head, deadline)
                             : connection.write_all({head, res.shared, res.body}, deadline);
    return written && keep;
  }

  const HttpOptions& options() const { return options_; }

 private:
  // Every path needs the credentials when basic auth is configured, as
  // with exporter-toolkit. Runs on a worker: a check may take a bcrypt.
  bool authorized(const HttpRequest& req, HttpResponse& res) {
    if (options_.basic_auth == nullptr) return true;
    switch (options_.basic_auth->check(req.header("Authorization"))) {
      case AuthResult::kOk:
        return true;
      case AuthResult::kUnauthorized:
        res.headers.emplace_back("WWW-Authenticate", std::string(BasicAuth::kChallenge));
        set_error(res, 401);
        return false;
      case AuthResult::kBusy:
        res.headers.emplace_back("Retry-After", "1");
        set_error(res, 503);
        return false;
    }
    return false;
  }

  void handle(const HttpRequest& req, HttpResponse& res) {
    if (!authorized(req, res)) return;
    if (req.method == "GET" || req.method == "HEAD") {
      dispatch(req, res);
    } else {
      method_not_allowed(req, res);
    }
  }

  using Handler = void (Handlers::*)(const HttpRequest&, HttpResponse&);
  struct Route {
    std::string path;
    Handler handler;
  };

  void dispatch(const HttpRequest& req, HttpResponse& res) {
    for (const Route& route : routes_) {
      if (req.path == route.path) {
        (this->*route.handler)(req, res);
        return;
      }
    }
    set_error(res, 404);
  }

  void method_not_allowed(const HttpRequest& req, HttpResponse& res) {
    for (const Route& route : routes_) {
      if (req.path == route.path) {
        res.headers.emplace_back("Allow", kAllowedMethods);
        set_error(res, 405);
        return;
      }
    }
    set_error(res, 404);
  }

  void metrics(const HttpRequest& req, HttpResponse& res) {
    const Format format = negotiate_format(req.header("Accept"));
    const bool gzip = accepts_gzip(req.header("Accept-Encoding"));
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
    res.content_type = std::string(content_type(format));
    res.headers.emplace_back("Vary", "Accept-Encoding");
    // The cached part is sent from the cache, which `owner` keeps alive.
    res.owner = cached != nullptr ? view.rendered : nullptr;
    if (gzip) {
      static const GzipPrefix kNothing;
      const GzipPrefix& prefix = cached != nullptr ? cached->gzip() : kNothing;
      res.shared = prefix.head();
      // Per thread, so without locks, and per format, whose tails differ:
      // each holds the deflated text of the last tail between its values.
      thread_local std::array<GzipTailCache, 2> tail_caches;
      res.body = prefix.end(tail, per_scrape, tail_caches[format == Format::kText ? 0 : 1]);
      res.headers.emplace_back("Content-Encoding", "gzip");
    } else {
      res.shared =
          cached != nullptr ? std::string_view(cached->plain(*view.frame)) : std::string_view();
      res.body = std::move(tail);
    }
  }

  void health(const HttpRequest&, HttpResponse& res) {
    const std::string problem = cache_.view().problem(std::chrono::steady_clock::now());
    if (problem.empty()) {
      res.set_text(200, "OK\n", kPlainText);
    } else {
      res.set_text(503, problem + "\n", kPlainText);
    }
  }

  void landing(const HttpRequest& req, HttpResponse& res) {
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
    res.set_text(200, render_landing_page(snapshot, info), "text/html; charset=utf-8");
  }

  ProcessSample sample_process() {
    // sample() seeks and reads shared descriptors: one caller at a time.
    std::lock_guard lock(process_stats_mutex_);
    return process_stats_.sample();
  }

  SnapshotCache& cache_;
  const HttpOptions options_;
  const HeaderList common_headers_;
  const std::string metrics_path_;
  const std::string health_path_;
  std::vector<Route> routes_;
  ProcessStatsReader process_stats_;  // opened now, read after the sandbox is up
  std::mutex process_stats_mutex_;
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
  limits.keep_alive_max_requests = kKeepAliveMaxRequests;
  // One list for both: the handlers' responses and the gate's own refusals.
  const HeaderList headers = response_headers(options);
  handlers_ = std::make_unique<Handlers>(cache, std::move(options), headers);
  gate_ = std::make_unique<ConnectionGate>(
      limits,
      [handlers = handlers_.get()](Connection& connection, bool close_connection,
                                   Connection::Clock::time_point write_deadline) {
        return handlers->answer(connection, close_connection, write_deadline);
      },
      headers);
}

HttpServer::~HttpServer() {
  if (gate_->stop(std::chrono::seconds(2))) return;
  // Workers are left answering: keep what they use alive, as the process
  // is about to end anyway.
  (void)gate_.release();
  (void)handlers_.release();
}

void HttpServer::add_listener(UniqueFd fd) {
  const bool tcp = is_tcp(fd.get());
  if (tcp) {
    // Accepted connections inherit it: headers and body are written
    // separately, and Nagle would hold the body back for a delayed ACK.
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

void HttpServer::start(std::function<void(const std::string& address)> on_failure) {
  gate_->start(std::move(on_failure));
}

bool HttpServer::stop(std::chrono::milliseconds grace) {
  return gate_->stop(grace);
}

}  // namespace mmx
