// The HTTP server on a real loopback socket, fed by a real receiver over a
// socketpair, queried with httplib's client.

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "exposition.h"
#include "framing.h"
#include "http_server.h"
#include "snapshot_cache.h"
#include "snapshot_fixtures.h"
#include "snapshot_receiver.h"
#include "sockets.h"
#include "test_support.h"

namespace {

using namespace std::chrono_literals;

mmx::UniqueFd connect_to(int port) {
  mmx::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}

void send_text(const mmx::UniqueFd& fd, const std::string& text) {
  REQUIRE(::send(fd.get(), text.data(), text.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(text.size()));
}

// Everything the server sends until it closes, or until `timeout`.
std::string read_until_closed(const mmx::UniqueFd& fd, std::chrono::milliseconds timeout = 3s) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string received;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

// Sends `requests` on a new connection; what came back until it closed.
std::string exchange(int port, const std::string& requests) {
  const mmx::UniqueFd fd = connect_to(port);
  send_text(fd, requests);
  return read_until_closed(fd);
}

// A scrape whose client stops reading: a small receive buffer, the
// request sent, nothing read.
mmx::UniqueFd stalled_scrape(int port) {
  mmx::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int small = 2048;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  send_text(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  return fd;
}

// A stalled scrape that the server has admitted: its 200 has begun to arrive.
// Waiting for that keeps a later request from overtaking it to the limit.
mmx::UniqueFd admitted_stalled_scrape(int port) {
  mmx::UniqueFd fd = stalled_scrape(port);
  const std::string_view ok = "HTTP/1.1 200 ";
  std::string start(ok.size(), '\0');
  REQUIRE(mmx::test::eventually(
      [&] {
        return ::recv(fd.get(), start.data(), start.size(), MSG_PEEK | MSG_DONTWAIT) ==
               static_cast<ssize_t>(start.size());
      },
      15s));
  REQUIRE(start == ok);
  return fd;
}

std::size_t count(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
  return n;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The frontend minus main(): a receiver on a socketpair and an HTTP server
// on a loopback port.
struct Frontend {
  mmx::SnapshotCache cache;
  mmx::UniqueFd collector;
  std::unique_ptr<mmx::SnapshotReceiver> receiver;
  std::unique_ptr<mmx::HttpServer> http;
  int port = 0;

  explicit Frontend(mmx::HttpOptions options = {}) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    collector.reset(fds[0]);
    receiver = std::make_unique<mmx::SnapshotReceiver>(
        mmx::UniqueFd(fds[1]), cache, [](mmx::schema::Snapshot::Reader s, mmx::Format f) {
          return mmx::render_exposition(s, f);
        });
    receiver->start();
    REQUIRE(mmx::test::eventually([&] { return cache.view().connected; }));

    auto address = mmx::parse_listen_address("127.0.0.1:0");
    REQUIRE_MESSAGE(address, address.error());
    auto fd = mmx::listen_tcp(*address);
    REQUIRE_MESSAGE(fd, fd.error());
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    REQUIRE(::getsockname(fd->get(), reinterpret_cast<sockaddr*>(&bound), &length) == 0);
    port = ntohs(bound.sin_port);
    http = std::make_unique<mmx::HttpServer>(cache, std::move(options));
    http->add_listener(std::move(*fd));
    REQUIRE(http->start(nullptr));
  }
  ~Frontend() {
    if (http) http->stop(2s);
    receiver->stop();
  }

  void send_snapshot(std::size_t modems = 2, std::uint64_t generation = 3) {
    mmx::test::SnapshotFixture fixture(modems);
    fixture.builder().setGeneration(generation);
    capnp::MallocMessageBuilder message;
    message.setRoot(fixture.reader());
    const auto frame = mmx::encode_frame(message);
    REQUIRE(::send(collector.get(), frame.data(), frame.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(frame.size()));
    REQUIRE(mmx::test::eventually([&] {
      auto view = cache.view();
      return view.rendered != nullptr && view.rendered->generation == generation;
    }));
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", port);
    c.set_decompress(false);
    c.set_read_timeout(5s);
    return c;
  }
};

}  // namespace

TEST_CASE("http server: /metrics without a snapshot serves the exporter status only") {
  Frontend f;
  auto res = f.client().Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(contains(res->body, "\nmodemmanager_exporter_collector_up 0\n"));
  CHECK(contains(res->body, "process_open_fds{process=\"frontend\"}"));
  CHECK_FALSE(contains(res->body, "process=\"collector\""));
  CHECK_FALSE(contains(res->body, "modemmanager_modem_"));
  CHECK_FALSE(contains(res->body, "# EOF"));
}

TEST_CASE("http server: /metrics with a snapshot, in both formats") {
  Frontend f;
  f.send_snapshot();
  auto client = f.client();
  auto text = client.Get("/metrics");
  REQUIRE(text);
  CHECK(text->status == 200);
  CHECK(text->get_header_value("Vary") == "Accept-Encoding");
  CHECK(contains(text->body, "\nmodemmanager_exporter_collector_up 1\n"));
  CHECK(count(text->body, "modemmanager_modem_info{") == 2);
  CHECK(contains(text->body, "process_open_fds{process=\"collector\"} 12\n"));

  auto om = client.Get("/metrics", {{"Accept",
                                     "application/openmetrics-text;version=1.0.0,"
                                     "text/plain;version=0.0.4;q=0.5"}});
  REQUIRE(om);
  CHECK(om->get_header_value("Content-Type") ==
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(count(om->body, "# EOF") == 1);
  CHECK(om->body.ends_with("\n# EOF\n"));
}

TEST_CASE("http server: gzip, with the cached part compressed once") {
  Frontend f;
  f.send_snapshot(16);
  auto client = f.client();
  for (const char* accept : {"text/plain", "application/openmetrics-text"}) {
    auto plain = client.Get("/metrics", {{"Accept", accept}});
    auto gz = client.Get("/metrics", {{"Accept", accept}, {"Accept-Encoding", "gzip"}});
    REQUIRE(plain);
    REQUIRE(gz);
    CHECK(gz->get_header_value("Content-Encoding") == "gzip");
    CHECK(plain->get_header_value("Content-Encoding").empty());
    CHECK(gz->body.size() < plain->body.size() / 4);
    const std::string inflated = mmx::test::gunzip(gz->body);
    // Equal up to the per-scrape values (CPU time, memory, age).
    const auto head = plain->body.substr(0, plain->body.find("modemmanager_exporter_build_info"));
    CHECK(inflated.starts_with(head));
    CHECK(inflated.size() > head.size());
  }
  // "br" alone is not gzip: the body goes out as it is.
  auto br = client.Get("/metrics", {{"Accept-Encoding", "br"}});
  REQUIRE(br);
  CHECK(br->get_header_value("Content-Encoding").empty());
  CHECK(contains(br->body, "modemmanager_modem_info{"));
}

TEST_CASE("http server: HEAD /metrics has the headers and no body") {
  Frontend f;
  f.send_snapshot();
  auto res = f.client().Head("/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.empty());
  CHECK(std::stoul(res->get_header_value("Content-Length")) > 1000);
}

TEST_CASE("http server: /health follows the collector") {
  Frontend f;
  auto client = f.client();
  auto res = client.Get("/health");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "collector connected, no snapshot yet\n");
  f.send_snapshot();
  res = client.Get("/health");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body == "OK\n");
  f.collector.reset();
  REQUIRE(mmx::test::eventually([&] { return !f.cache.view().connected; }));
  res = client.Get("/health");
  REQUIRE(res);
  CHECK(res->status == 503);
  CHECK(res->body == "collector not connected\n");
  // And /metrics forgets the modems.
  res = client.Get("/metrics");
  REQUIRE(res);
  CHECK_FALSE(contains(res->body, "modemmanager_modem_"));
  CHECK(contains(res->body, "\nmodemmanager_exporter_collector_up 0\n"));
}

TEST_CASE("http server: landing page, 404 and 405") {
  Frontend f;
  f.send_snapshot();
  auto client = f.client();
  client.set_keep_alive(true);
  auto page = client.Get("/");
  REQUIRE(page);
  CHECK(page->status == 200);
  CHECK(page->get_header_value("Content-Type") == "text/html; charset=utf-8");
  CHECK(contains(page->body, "href=\"./metrics\""));

  auto missing = client.Get("/metrics/");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body == "404 page not found\n");

  auto post = client.Post("/metrics", "", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  // No request has a body: one is refused before a handler could read it,
  // and the connection closed (what follows could be anything).
  auto with_body = client.Post("/metrics", "x=1", "application/x-www-form-urlencoded");
  REQUIRE(with_body);
  CHECK(with_body->status == 400);
  CHECK(with_body->get_header_value("Connection") == "close");
  CHECK(with_body->body == "400 request bodies are not accepted\n");
  auto after = client.Get("/health");
  REQUIRE(after);
  CHECK(after->status == 200);

  auto del = client.Delete("/nowhere");
  REQUIRE(del);
  CHECK(del->status == 404);
  client.stop();
}

TEST_CASE("http server: a custom telemetry path") {
  mmx::HttpOptions options;
  options.telemetry_path = "/x/metrics";
  Frontend f(options);
  auto client = f.client();
  auto res = client.Get("/x/metrics");
  REQUIRE(res);
  CHECK(res->status == 200);
  res = client.Get("/metrics");
  REQUIRE(res);
  CHECK(res->status == 404);
}

TEST_CASE("http server: scrapes beyond --web.max-requests get 503") {
  mmx::HttpOptions options;
  options.max_requests = 1;
  Frontend f(options);
  f.send_snapshot(300);  // megabytes of text: a reader that stops reading stalls the writer

  // A scrape whose client does not read: its body stays in flight.
  const mmx::UniqueFd stalled = admitted_stalled_scrape(f.port);

  auto client = f.client();
  auto refused = client.Get("/metrics");
  REQUIRE(refused);
  CHECK(refused->status == 503);
  CHECK(refused->body == "Limit of concurrent requests reached (1), try again later.\n");
  // Other paths are not limited.
  auto health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);

  // The stalled scrape holds no thread: stop() ends it at the end of its
  // grace, and every thread returns.
  const auto started = std::chrono::steady_clock::now();
  CHECK(f.http->stop(300ms));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 250ms);
  CHECK(took < 2s);
  CHECK(f.http->open_connections() == 0);
}

TEST_CASE("http server: a scrape counts against --web.max-requests until it is sent") {
  mmx::HttpOptions options;
  options.max_requests = 2;
  Frontend f(options);
  f.send_snapshot(300);
  std::vector<mmx::UniqueFd> stalled;
  for (int i = 0; i < 2; ++i) stalled.push_back(admitted_stalled_scrape(f.port));
  auto client = f.client();
  auto refused = client.Get("/metrics");
  REQUIRE(refused);
  CHECK(refused->status == 503);
  // A client that goes away ends its scrape: the slot is free again.
  stalled.pop_back();
  REQUIRE(mmx::test::eventually([&] {
    auto res = client.Get("/metrics");
    return res && res->status == 200;
  }));
}

TEST_CASE("http server: clients that stop reading hold no thread") {
  mmx::HttpOptions options;
  options.max_requests = 0;
  Frontend f(options);
  f.send_snapshot(300);
  // Three times as many as there are threads, each with megabytes to go.
  std::vector<mmx::UniqueFd> stalled;
  for (std::size_t i = 0; i < 3 * mmx::HttpServer::kWorkers; ++i) {
    stalled.push_back(admitted_stalled_scrape(f.port));
  }
  auto client = f.client();
  for (const char* path : {"/health", "/", "/metrics"}) {
    CAPTURE(path);
    const auto started = std::chrono::steady_clock::now();
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(std::chrono::steady_clock::now() - started < 1s);
  }
  CHECK(f.http->open_connections() >= stalled.size());
}

TEST_CASE("http server: stop() ends promptly, also with a connection kept alive") {
  Frontend f;
  f.send_snapshot();
  auto client = f.client();
  client.set_keep_alive(true);
  auto res = client.Get("/metrics");
  REQUIRE(res);
  const auto started = std::chrono::steady_clock::now();
  CHECK(f.http->stop(2s));
  // The idle connection is closed at once, not after its idle timeout.
  CHECK(std::chrono::steady_clock::now() - started < 500ms);
}

TEST_CASE("http server: stop() answers a request sent on a connection accepted before it") {
  Frontend f;
  f.send_snapshot();
  // Accepted, nothing sent yet: what a replacement frontend cannot take over.
  auto fd = connect_to(f.port);
  REQUIRE(mmx::test::eventually([&] { return f.http->open_connections() == 1; }));
  std::thread stopping([&] { CHECK(f.http->stop(2s)); });
  std::this_thread::sleep_for(100ms);
  send_text(fd, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string reply = read_until_closed(fd);
  stopping.join();
  CHECK(reply.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(reply.find("\r\nConnection: close\r\n") != std::string::npos);
}

TEST_CASE("http server: stop() gives a connection that sends nothing half the grace at most") {
  Frontend f;
  f.send_snapshot();
  auto silent = connect_to(f.port);
  REQUIRE(mmx::test::eventually([&] { return f.http->open_connections() == 1; }));
  const auto started = std::chrono::steady_clock::now();
  CHECK(f.http->stop(600ms));
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(took >= 250ms);
  CHECK(took < 600ms);
  CHECK(read_until_closed(silent).empty());
}

TEST_CASE("http server: slow and idle connections hold no worker") {
  Frontend f;
  f.send_snapshot();
  // Three times as many as there are workers: each has sent part of a head
  // (a slowloris) or nothing at all.
  std::vector<mmx::UniqueFd> slow;
  for (std::size_t i = 0; i < 3 * mmx::HttpServer::kWorkers; ++i) {
    slow.push_back(connect_to(f.port));
    if (i % 2 == 0) send_text(slow.back(), "GET /metrics HTTP/1.1\r\nHo");
  }
  auto client = f.client();
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    auto res = client.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
  }
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK(f.http->open_connections() >= slow.size());
}

TEST_CASE("http server: pipelined requests are answered in order on one connection") {
  Frontend f;
  f.send_snapshot();
  auto fd = connect_to(f.port);
  send_text(fd,
            "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
            "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
            "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  const std::string replies = read_until_closed(fd);
  const auto first = replies.find("HTTP/1.1 200 OK");
  const auto second = replies.find("HTTP/1.1 404 Not Found");
  const auto third = replies.find("HTTP/1.1 200 OK", first + 1);
  CHECK(first != std::string::npos);
  CHECK(second != std::string::npos);
  CHECK(third != std::string::npos);
  CHECK(first < second);
  CHECK(second < third);
  CHECK(count(replies, "HTTP/1.1 ") == 3);
}

TEST_CASE("http server: Range is ignored, never a multipart body") {
  Frontend f;
  f.send_snapshot();
  auto client = f.client();
  auto whole = client.Get("/metrics");
  REQUIRE(whole);
  std::string ranges = "bytes=0-0";
  for (int i = 1; i < 200; ++i) ranges += "," + std::to_string(i) + "-" + std::to_string(i);
  auto ranged = client.Get("/metrics", {{"Range", ranges}});
  REQUIRE(ranged);
  CHECK(ranged->status == 200);
  CHECK_FALSE(ranged->has_header("Content-Range"));
  CHECK(ranged->get_header_value("Content-Type").find("multipart") == std::string::npos);
  // The page differs only in the exporter's own figures.
  CHECK(ranged->body.size() > whole->body.size() / 2);
  CHECK(ranged->body.size() < whole->body.size() * 2);
}

TEST_CASE("http server: hostile heads get an error and a closed connection") {
  Frontend f;
  f.send_snapshot();
  struct Case {
    std::string request;
    std::string status_line;
  };
  const std::vector<Case> cases = {
      {"GET /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request"},
      {"GET /metrics HTTP/1.1\r\nREMOTE_ADDR: 10.1.1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /metrics HTTP/1.1\r\nAccept: a%0d%0aSet-Cookie: x\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /" + std::string(20000, 'a') + " HTTP/1.1\r\n\r\n", "HTTP/1.1 414 URI Too Long"},
      {"BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 501 Not Implemented"},
      {"GET /metrics HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /metrics HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET /metrics HTTP/1.2.3\r\nHost: x\r\n\r\n", "HTTP/1.1 400 Bad Request"},
      {"GET / HTTP/1.1\r\nX: " + std::string(9000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.status_line);
    auto fd = connect_to(f.port);
    ::send(fd.get(), c.request.data(), c.request.size(), MSG_NOSIGNAL);
    const std::string reply = read_until_closed(fd);
    CHECK(reply.rfind(c.status_line, 0) == 0);
    CHECK(contains(reply, "Connection: close\r\n"));
    CHECK(contains(reply, "X-Content-Type-Options: nosniff\r\n"));
  }
  // And the server is as it was.
  auto res = f.client().Get("/health");
  REQUIRE(res);
  CHECK(res->status == 200);
}

TEST_CASE("http server: every response carries the security headers, the operator's too") {
  mmx::HttpOptions options;
  options.headers = {{"Strict-Transport-Security", "max-age=31536000"},
                     {"x-frame-options", "SAMEORIGIN"}};
  Frontend f(options);
  f.send_snapshot();
  auto client = f.client();
  for (const char* path : {"/", "/metrics", "/health", "/nowhere"}) {
    CAPTURE(path);
    auto res = client.Get(path);
    REQUIRE(res);
    CHECK(res->get_header_value("X-Content-Type-Options") == "nosniff");
    CHECK(res->get_header_value("X-Frame-Options") == "SAMEORIGIN");
    CHECK(res->get_header_value("Strict-Transport-Security") == "max-age=31536000");
    CHECK(contains(res->get_header_value("Content-Security-Policy"), "frame-ancestors 'none'"));
  }
}

TEST_CASE("http server: httplib parses every screened head and decides keep-alive") {
  Frontend f;
  f.send_snapshot();
  // httplib percent-decodes header values (0.11.4's parse_header): a scrape
  // that asks for "gz%69p" is answered by its parse, gzip.
  std::string replies = exchange(f.port,
                                 "GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gz%69p\r\n"
                                 "Connection: close\r\n\r\n");
  CHECK(replies.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(contains(replies, "\r\nContent-Encoding: gzip\r\n"));
  // Its response heads list the fields in the order of its Headers map
  // (case-insensitive), the defaults and the handlers' together.
  const std::string head = replies.substr(0, replies.find("\r\n\r\n"));
  CHECK(head.find("\r\nAccept-Ranges: none\r\n") < head.find("\r\nConnection: close"));
  CHECK(head.find("\r\nContent-Encoding: gzip") < head.find("\r\nVary:"));
  CHECK(head.find("\r\nVary:") < head.find("\r\nX-Frame-Options:"));

  // HTTP/1.0: closed after the answer unless the client asks for
  // keep-alive, in any case of the token; httplib's Keep-Alive header then.
  replies = exchange(f.port, "GET /health HTTP/1.0\r\n\r\nGET /health HTTP/1.0\r\n\r\n");
  CHECK(count(replies, "HTTP/1.1 200 OK") == 1);
  CHECK(contains(replies, "\r\nConnection: close\r\n"));
  replies = exchange(f.port,
                     "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                     "GET /health HTTP/1.0\r\n\r\n");
  CHECK(count(replies, "HTTP/1.1 200 OK") == 2);
  CHECK(contains(replies, "\r\nKeep-Alive: timeout=90, max=1000\r\n"));
  // HTTP/1.1 "Connection: Close", as some clients spell it.
  replies = exchange(f.port,
                     "GET /health HTTP/1.1\r\nHost: x\r\nConnection: Close\r\n\r\n"
                     "GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(count(replies, "HTTP/1.1 200 OK") == 1);
  CHECK(contains(replies, "\r\nConnection: close\r\n"));
}

TEST_CASE("http server: request forms of RFC 9112 a server must accept") {
  Frontend f;
  f.send_snapshot();
  const std::string replies =
      exchange(f.port,
               "\r\n\r\nGET http://localhost:9539/health HTTP/1.1\r\nHost: x\r\n\r\n"
               "GET /health HTTP/1.0\r\nExpect: 100-continue\r\n\r\n");
  CHECK(count(replies, "HTTP/1.1 200 OK") == 2);
  CHECK_FALSE(contains(replies, "100 Continue"));
}

TEST_CASE("http server: a refusal of HEAD has no body") {
  Frontend f;
  auto fd = connect_to(f.port);
  send_text(fd, "HEAD /metrics HTTP/1.1\r\n\r\n");  // no Host
  const std::string reply = read_until_closed(fd);
  CHECK(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(contains(reply, "\r\nContent-Length: 17\r\n"));  // "400 missing Host\n"
  CHECK(reply.ends_with("\r\n\r\n"));
}

TEST_CASE("http server: a refused request's unread bytes are drained, so the answer arrives") {
  Frontend f;
  auto fd = connect_to(f.port);
  // A body the server will not read, sent while the refusal is written:
  // closing with it unread would reset the connection under the answer.
  const std::string body(1 << 20, 'x');
  std::thread sender([&] {
    send_text(fd, "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                      std::to_string(body.size()) + "\r\n\r\n");
    (void)::send(fd.get(), body.data(), body.size(), MSG_NOSIGNAL);
  });
  const auto started = std::chrono::steady_clock::now();
  const std::string reply = read_until_closed(fd, 5s);
  sender.join();
  CHECK(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"));
  CHECK(reply.ends_with("400 request bodies are not accepted\n"));
  CHECK(std::chrono::steady_clock::now() - started <
        mmx::HttpServer::kLingerTimeout + mmx::HttpServer::kLingerQuiet);
}
