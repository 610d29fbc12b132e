#include "http_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <array>
#include <optional>
#include <string_view>
#include <utility>

#include "build_info.h"
#include "connection_stream.h"
#include "content_negotiation.h"
#include "exposition.h"
#include "exposition_writer.h"
#include "gzip_splice.h"
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

// A /metrics body of two pieces sent back to back, so the cached exposition
// is written from the cache and never copied per scrape.
struct ScrapeBody {
  std::shared_ptr<const RenderedSnapshot> owner;  // keeps `head` alive
  std::string_view head;
  std::string tail;

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

// What every response carries: the security headers, then the operator's
// (a header named in both takes the operator's value).
std::vector<std::pair<std::string, std::string>> response_headers(const HttpOptions& options) {
  std::vector<std::pair<std::string, std::string>> headers = {
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
      return h.first.size() == header.first.size() &&
             std::equal(h.first.begin(), h.first.end(), header.first.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) ==
                      std::tolower(static_cast<unsigned char>(b));
             });
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

// httplib's request parser and response writer, without its sockets: the
// gate hands it connections whose request head is complete and screened.
class HttpServer::Processor final : public httplib::Server {
 public:
  Processor() {
    // httplib stops writing a content provider's body once svr_sock_ is
    // INVALID_SOCKET (its "shutting down"); this server never listens, so
    // the socket is set to a value that only says "not stopping".
    svr_sock_ = kNotStopping;
  }

  bool answer(Connection& connection, bool close_connection,
              Connection::Clock::time_point write_deadline) {
    // httplib parses Range with a recursive std::regex (megabytes of stack
    // for a long value) before anything could drop it: it never sees one.
    const std::string without_range = without_range_header(connection.head());
    ConnectionStream stream(connection, write_deadline,
                            without_range.empty() ? connection.head() : without_range);
    bool connection_closed = false;
    const bool ok =
        process_request(stream, close_connection, connection_closed, [](httplib::Request& req) {
          // Whole bodies only: a Range (many
          // ranges of /metrics make a multipart
          // body many times its size) is ignored,
          // as RFC 9110 allows.
          req.ranges.clear();
        });
    return ok && !connection_closed;
  }

 private:
  static constexpr socket_t kNotStopping = INT_MAX;
};

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

  // `headers`: what every response carries (response_headers()).
  void install(httplib::Server& server,
               const std::vector<std::pair<std::string, std::string>>& headers) {
    // Every method is dispatched here, so httplib's std::regex route
    // matching never runs and no method reaches its body reading.
    server.set_pre_routing_handler(
        [this](const httplib::Request& req,
               httplib::Response& res) -> httplib::Server::HandlerResponse {
          if (!authorized(req, res)) return httplib::Server::HandlerResponse::Handled;
          if (req.method == "GET" || req.method == "HEAD") {
            dispatch(req, res);
          } else {
            method_not_allowed(req, res);
          }
          return httplib::Server::HandlerResponse::Handled;
        });
    // httplib's own errors (400, 414, 416) get a text body, like ours.
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
    server.set_default_headers(httplib::Headers(headers.begin(), headers.end()));
    // Only for the Keep-Alive header httplib writes: the gate enforces both.
    server.set_keep_alive_timeout(kIdleTimeout.count());
    server.set_keep_alive_max_count(kKeepAliveMaxRequests);
    if (options_.log_requests) {
      server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
        log_debug("HTTP request", {{"method", req.method},
                                   {"path", req.path},
                                   {"status", std::to_string(res.status)},
                                   {"remote", req.remote_addr}});
      });
    }
  }

  const HttpOptions& options() const { return options_; }

 private:
  // Every path needs the credentials when basic auth is configured, as
  // with exporter-toolkit. Runs on a worker: a check may take a bcrypt.
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    if (options_.basic_auth == nullptr) return true;
    switch (options_.basic_auth->check(req.get_header_value("Authorization"))) {
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
    const std::string type(content_type(format));
    res.set_header("Vary", "Accept-Encoding");

    auto body = std::make_shared<ScrapeBody>();
    body->owner = cached != nullptr ? view.rendered : nullptr;
    if (gzip) {
      static const GzipPrefix kNothing;
      const GzipPrefix& prefix = cached != nullptr ? cached->gzip() : kNothing;
      body->head = prefix.head();
      // Per thread, so without locks, and per format, whose tails differ:
      // each holds the deflated text of the last tail between its values.
      thread_local std::array<GzipTailCache, 2> tail_caches;
      body->tail = prefix.end(tail, per_scrape, tail_caches[format == Format::kText ? 0 : 1]);
      res.set_header("Content-Encoding", "gzip");
    } else {
      body->head =
          cached != nullptr ? std::string_view(cached->plain(*view.frame)) : std::string_view();
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
    res.set_content(render_landing_page(snapshot, info), "text/html; charset=utf-8");
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

HttpServer::HttpServer(SnapshotCache& cache, HttpOptions options)
    : processor_(std::make_unique<Processor>()) {
  GateLimits limits;
  limits.workers = kWorkers;
  limits.max_connections = kMaxConnections;
  limits.max_requests = options.max_requests;
  limits.limited_path = options.route_prefix + options.telemetry_path;
  limits.head_timeout = kHeadTimeout;
  limits.write_timeout = kWriteTimeout;
  limits.idle_timeout = kIdleTimeout;
  limits.keep_alive_max_requests = kKeepAliveMaxRequests;
  // One list for both: httplib's responses and the gate's own refusals.
  const auto headers = response_headers(options);
  std::string header_lines;
  for (const auto& [name, value] : headers) header_lines += name + ": " + value + "\r\n";
  handlers_ = std::make_unique<Handlers>(cache, std::move(options));
  handlers_->install(*processor_, headers);
  gate_ = std::make_unique<ConnectionGate>(
      limits,
      [processor = processor_.get()](Connection& connection, bool close_connection,
                                     Connection::Clock::time_point write_deadline) {
        return processor->answer(connection, close_connection, write_deadline);
      },
      std::move(header_lines));
}

HttpServer::~HttpServer() {
  if (gate_->stop(std::chrono::seconds(2))) return;
  // Workers are left answering: keep what they use alive, as the process
  // is about to end anyway.
  (void)gate_.release();
  (void)processor_.release();
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
