#include <doctest/doctest.h>

#include <string>

#include "http_message.h"

using mmx::HttpResponse;
using mmx::parse_request;

TEST_CASE("http message: a request line and its fields") {
  const std::string head =
      "GET /mm/met%72ics?x=%2F HTTP/1.1\r\nHost: example\r\naccept-encoding:  gzip, br \t\r\n"
      "X-Empty:\r\nAccept-Encoding: identity\r\n\r\n";
  const auto request = parse_request(head);
  REQUIRE(request);
  CHECK(request->method == "GET");
  CHECK(request->target == "/mm/met%72ics?x=%2F");
  CHECK(request->path == "/mm/metrics");  // decoded, the query left out
  CHECK(request->version == "HTTP/1.1");
  REQUIRE(request->fields.size() == 4);
  // Any case; the first of two; no whitespace around the value.
  CHECK(request->header("Accept-Encoding") == "gzip, br");
  CHECK(request->header("HOST") == "example");
  CHECK(request->header("X-Empty").empty());
  CHECK(request->header("Authorization").empty());
}

TEST_CASE("http message: percent escapes that are not escapes stay as they are") {
  CHECK(parse_request("GET /a%2 HTTP/1.1\r\n\r\n")->path == "/a%2");
  CHECK(parse_request("GET /a%zz%41 HTTP/1.1\r\n\r\n")->path == "/a%zzA");
  CHECK(parse_request("GET /%25%41 HTTP/1.1\r\n\r\n")->path == "/%A");  // decoded once
  CHECK(parse_request("GET /a+b HTTP/1.1\n\n")->path == "/a+b");        // "+" is no space here
}

TEST_CASE("http message: keep-alive follows the version and the Connection field") {
  auto keep = [](const std::string& head) { return parse_request(head)->keep_alive(); };
  CHECK(keep("GET / HTTP/1.1\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: close\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.1\r\nConnection: Upgrade, CLOSE\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\n\r\n"));
  CHECK(keep("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"));
  CHECK_FALSE(keep("GET / HTTP/1.0\r\nConnection: keep-alive-ish\r\n\r\n"));
}

TEST_CASE("http message: what does not parse is refused, never guessed") {
  for (const char* head :
       {"", "GET / HTTP/1.1\r\n", "GET /\r\n\r\n", "GET  HTTP/1.1\r\n\r\n", "GET / HTTP/2\r\n\r\n",
        "GET / HTTP/1.1\r\nno colon\r\n\r\n", "GET / HTTP/1.1\r\n: empty name\r\n\r\n"}) {
    CAPTURE(head);
    CHECK_FALSE(parse_request(head));
  }
}

TEST_CASE("http message: the response head") {
  HttpResponse response;
  response.set_text(404, "404 page not found\n", "text/plain; charset=utf-8");
  response.headers = {{"Vary", "Accept-Encoding"}};
  const mmx::HeaderList common = {{"X-Frame-Options", "DENY"}};

  CHECK(mmx::response_head(response, common, mmx::KeepAlive{90, 1000}) ==
        "HTTP/1.1 404 Not Found\r\nX-Frame-Options: DENY\r\nVary: Accept-Encoding\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n"
        "Connection: keep-alive\r\nKeep-Alive: timeout=90, max=1000\r\n\r\n");

  // A body in two pieces counts both; no type, no Content-Type.
  HttpResponse two;
  const std::string cached = "0123456789";
  two.shared = cached;
  two.body = "abc";
  CHECK(mmx::response_head(two, {}, std::nullopt) ==
        "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nConnection: close\r\n\r\n");
}
