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

    std::string error;
    auto address = mmx::parse_listen_address("127.0.0.1:0", error);
    auto fd = mmx::listen_tcp(*address, error);
    REQUIRE_MESSAGE(fd, error);
    sockaddr_in bound{};
    socklen_t length = sizeof bound;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length) == 0);
    port = ntohs(bound.sin_port);
    http = std::make_unique<mmx::HttpServer>(cache, std::move(options));
    http->add_listener(std::move(fd));
    http->start(nullptr);
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

  auto post = client.Post("/metrics", "x=1", "application/x-www-form-urlencoded");
  REQUIRE(post);
  CHECK(post->status == 405);
  CHECK(post->get_header_value("Allow") == "GET, HEAD");
  // The connection stays usable after a request with a body.
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
  mmx::UniqueFd stalled(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int small = 4096;
  ::setsockopt(stalled.get(), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(f.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(stalled.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(stalled.get(), request.data(), request.size(), MSG_NOSIGNAL) > 0);

  auto client = f.client();
  std::string body;
  REQUIRE(mmx::test::eventually([&] {
    auto res = client.Get("/metrics");
    body = res ? res->body : "";
    return res && res->status == 503;
  }));
  CHECK(body == "Limit of concurrent requests reached (1), try again later.\n");
  // Other paths are not limited.
  auto health = client.Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);

  // The stalled scrape cannot finish: stop() gives up after its grace.
  const auto started = std::chrono::steady_clock::now();
  CHECK_FALSE(f.http->stop(300ms));
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  // Unstall it so the threads can end and the server can be destroyed.
  stalled.reset();
  CHECK(f.http->stop(5s));
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
  CHECK(std::chrono::steady_clock::now() - started < mmx::HttpServer::kKeepAliveTimeout + 500ms);
}
