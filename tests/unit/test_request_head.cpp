// The request-head screening that stands between the network and the parser.

#include <doctest/doctest.h>

#include <string>

#include "request_head.h"

namespace {

using mmx::HeadScan;

HeadScan scan(const std::string& bytes) {
  return mmx::scan_request_head(bytes);
}

int rejected_with(const std::string& bytes) {
  const HeadScan s = scan(bytes);
  return s.state == HeadScan::State::kRejected ? s.status : 0;
}

const std::string kGet = "GET /metrics HTTP/1.1\r\nHost: x\r\n";

}  // namespace

TEST_CASE("request head: a complete head, with a pipelined request after it") {
  const std::string head = kGet + "Accept: */*\r\n\r\n";
  HeadScan s = scan(head + "GET /health HTTP/1.1\r\n");
  REQUIRE(s.state == HeadScan::State::kComplete);
  CHECK(s.length == head.size());
  // Bare LF line ends, as RFC 9112 lets a server accept them.
  s = scan("GET / HTTP/1.0\nHost: x\n\n");
  REQUIRE(s.state == HeadScan::State::kComplete);
  CHECK(s.length == 24);
}

TEST_CASE("request head: incomplete heads wait, byte by byte, in linear time") {
  const std::string head = kGet + "\r\n";
  mmx::HeadScanner scanner;
  for (std::size_t n = 1; n < head.size(); ++n) {
    CHECK(scanner.scan(std::string_view(head).substr(0, n)).state == HeadScan::State::kIncomplete);
  }
  const HeadScan s = scanner.scan(head);
  REQUIRE(s.state == HeadScan::State::kComplete);
  CHECK(s.length == head.size());
}

TEST_CASE("request head: a line over its limit is refused before it ends") {
  // No line end yet: refused as soon as the limit is passed.
  CHECK(rejected_with("GET /" + std::string(mmx::kMaxRequestLineBytes, 'a')) == 414);
  CHECK(rejected_with(kGet + "X-Long: " + std::string(mmx::kMaxHeaderLineBytes, 'a')) == 431);
  // Exactly at the limit is fine.
  const std::string line = "GET /" + std::string(mmx::kMaxRequestLineBytes - 14, 'a') + " HTTP/1.1";
  REQUIRE(line.size() == mmx::kMaxRequestLineBytes);
  CHECK(scan(line + "\r\nHost: x\r\n\r\n").state == HeadScan::State::kComplete);
}

TEST_CASE("request head: the whole head and the field count are bounded") {
  std::string many = kGet;
  for (int i = 0; i < 70; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  CHECK(rejected_with(many + "\r\n") == 431);
  std::string big = kGet;
  while (big.size() < mmx::kMaxHeadBytes) big += "X-Filler: " + std::string(4000, 'f') + "\r\n";
  CHECK(rejected_with(big) == 431);  // before the end of the head arrives
}

TEST_CASE("request head: every way of announcing a body is refused") {
  CHECK(rejected_with(kGet + "Transfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "transfer-encoding: identity\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Content-Encoding: gzip\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Content-Length: 5\r\n\r\nhello") == 400);
  CHECK(rejected_with(kGet + "Content-Length: 0\r\nContent-Length: 0\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Expect: 100-continue\r\n\r\n") == 417);
  // An empty body announced as such is harmless.
  CHECK(scan(kGet + "Content-Length: 0\r\n\r\n").state == HeadScan::State::kComplete);
}

TEST_CASE("request head: values that decode to line breaks, and shadowing names") {
  CHECK(rejected_with(kGet + "Accept: text/plain%0d%0aX-Injected: 1\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Accept: a%0Ab\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Accept: a%00b\r\n\r\n") == 400);
  CHECK(scan(kGet + "Accept: 100%25 fine\r\n\r\n").state == HeadScan::State::kComplete);
  CHECK(rejected_with(kGet + "REMOTE_ADDR: 10.0.0.1\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "remote_port: 1\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Local_Addr: 1\r\n\r\n") == 400);
}

TEST_CASE("request head: malformed lines") {
  CHECK(rejected_with("GET /metrics\r\n\r\n") == 400);
  CHECK(rejected_with("GET  /metrics HTTP/1.1\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics HTTP/1.1 extra\r\n\r\n") == 400);
  CHECK(rejected_with("G(T /metrics HTTP/1.1\r\n\r\n") == 400);
  CHECK(rejected_with("GET /met\x01rics HTTP/1.1\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics HTTP/2.0\r\n\r\n") == 505);
  CHECK(rejected_with("GET /metrics HTTP/1.10\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics http/1.1\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics HTTP/x.1\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics FOO\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics HTTP/1.1\r\n: empty name\r\n\r\n") == 400);
  CHECK(rejected_with("GET /metrics HTTP/1.1\r\nBad Name: 1\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + " folded\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "X: a\x7f\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "X: a\rb\r\n\r\n") == 400);
  // A tab in a value is allowed.
  CHECK(scan(kGet + "X: a\tb\r\n\r\n").state == HeadScan::State::kComplete);
}

TEST_CASE("request head: Host, methods and request targets") {
  // RFC 9112 3.2: exactly one Host on HTTP/1.1, at most one on HTTP/1.0.
  CHECK(rejected_with("GET /metrics HTTP/1.1\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Host: y\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "host: x\r\n\r\n") == 400);
  CHECK(scan("GET /metrics HTTP/1.0\r\n\r\n").state == HeadScan::State::kComplete);
  CHECK(rejected_with("GET /metrics HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n") == 400);
  // Known methods reach the handlers (405 there); others are not
  // implemented.
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS", "TRACE", "PATCH"}) {
    CHECK(scan(std::string(method) + " /metrics HTTP/1.1\r\nHost: x\r\n\r\n").state ==
          HeadScan::State::kComplete);
  }
  CHECK(rejected_with("BREW /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 501);
  CHECK(rejected_with("get /metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 501);
  CHECK(rejected_with("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") == 505);
  // Target forms.
  CHECK(scan("GET http://x:9539/metrics HTTP/1.1\r\nHost: x\r\n\r\n").state ==
        HeadScan::State::kComplete);
  CHECK(scan("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n").state == HeadScan::State::kComplete);
  CHECK(scan("CONNECT x:443 HTTP/1.1\r\nHost: x\r\n\r\n").state == HeadScan::State::kComplete);
  CHECK(rejected_with("GET metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
  CHECK(rejected_with("GET http:///metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
  CHECK(rejected_with("GET ftp://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n") == 400);
}

TEST_CASE("request head: empty lines before the request line are skipped") {
  const std::string received = "\r\n\n\r\n" + kGet + "\r\n";
  const HeadScan s = scan(received);
  REQUIRE(s.state == HeadScan::State::kComplete);
  CHECK(s.begin == 5);
  CHECK(s.length == received.size());
  // They count toward the head's bound.
  CHECK(rejected_with(std::string(mmx::kMaxHeadBytes, '\n') + kGet + "\r\n") == 431);
  CHECK(mmx::request_method(std::string_view(received).substr(s.begin)) == "GET");
}

TEST_CASE("request head: Expect is refused on HTTP/1.1 and ignored on HTTP/1.0") {
  CHECK(rejected_with(kGet + "Expect: 100-continue\r\n\r\n") == 417);
  const std::string http10 = "GET /metrics HTTP/1.0\r\nExpect: 100-continue\r\nAccept: */*\r\n\r\n";
  CHECK(scan(http10).state == HeadScan::State::kComplete);
  const auto rewritten = mmx::library_head(http10);
  REQUIRE(rewritten);
  CHECK(*rewritten == "GET /metrics HTTP/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n");
}

TEST_CASE("request head: %uXXXX escapes, which httplib decodes, are screened") {
  CHECK(rejected_with(kGet + "Accept: a%u000ab\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Accept: a%u000Db\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Accept: a%u0000\r\n\r\n") == 400);
  CHECK(rejected_with(kGet + "Accept: a%1b\r\n\r\n") == 400);
  CHECK(scan(kGet + "Accept: a%u00e9b\r\n\r\n").state == HeadScan::State::kComplete);
  CHECK(scan(kGet + "Accept: 100%u\r\n\r\n").state == HeadScan::State::kComplete);
}

TEST_CASE("request head: what httplib is handed") {
  // Unchanged heads are not copied.
  CHECK_FALSE(mmx::library_head(kGet + "Accept: */*\r\n\r\n"));
  CHECK_FALSE(mmx::library_head(kGet + "Connection: close\r\n\r\n"));
  // Range never reaches httplib's regex.
  CHECK(*mmx::library_head(kGet + "Range: bytes=0-1,2-3\r\nAccept: */*\r\n\r\n") ==
        kGet + "Accept: */*\r\n\r\n");
  // Absolute-form becomes origin-form.
  CHECK(*mmx::library_head("GET HTTP://x:9539/metrics?a=1 HTTP/1.1\r\nHost: x\r\n\r\n") ==
        "GET /metrics?a=1 HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(*mmx::library_head("GET http://x HTTP/1.1\r\nHost: x\r\n\r\n") ==
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
  // Connection's tokens, in any case and list, become the one value httplib
  // compares.
  CHECK(*mmx::library_head(kGet + "Connection: Close\r\n\r\n") ==
        kGet + "Connection: close\r\n\r\n");
  CHECK(*mmx::library_head(kGet + "Connection: keep-alive, close\r\n\r\n") ==
        kGet + "Connection: close\r\n\r\n");
  CHECK(*mmx::library_head("GET / HTTP/1.0\r\nconnection: keep-alive\r\n\r\n") ==
        "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  CHECK(*mmx::library_head(kGet + "Connection: Upgrade\r\n\r\n") == kGet + "\r\n");
  // Bare LF line ends, which the screening accepts, become CRLF.
  CHECK(*mmx::library_head("GET / HTTP/1.0\nAccept: */*\nConnection: close\n\n") ==
        "GET / HTTP/1.0\r\nAccept: */*\r\nConnection: close\r\n\r\n");
  // HTTP/1.0 without keep-alive says it closes.
  CHECK(*mmx::library_head("GET / HTTP/1.0\r\n\r\n") ==
        "GET / HTTP/1.0\r\nConnection: close\r\n\r\n");
  CHECK(*mmx::library_head(kGet + "Accept: */*\n\r\n") == kGet + "Accept: */*\r\n\r\n");
}

TEST_CASE("request head: the path a head is routed and limited by") {
  CHECK(mmx::request_path(kGet + "\r\n") == "/metrics");
  CHECK(mmx::request_path("GET /metrics?x=1 HTTP/1.1\r\nHost: x\r\n\r\n") == "/metrics");
  CHECK(mmx::request_path("GET HTTP://x:9539/metrics?a HTTP/1.1\r\nHost: x\r\n\r\n") == "/metrics");
  CHECK(mmx::request_path("GET http://x?a HTTP/1.1\r\nHost: x\r\n\r\n") == "/");
  CHECK(mmx::request_path("GET http://x HTTP/1.1\r\nHost: x\r\n\r\n") == "/");
  CHECK(mmx::request_path("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n") == "*");
}
