// The queue of what a connection has yet to send.

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "outgoing_bytes.h"

namespace {

std::string gathered(const mmx::OutgoingBytes& out) {
  iovec vectors[8];
  const std::size_t count = out.gather(vectors, 8);
  std::string text;
  for (std::size_t i = 0; i < count; ++i) {
    text.append(static_cast<const char*>(vectors[i].iov_base), vectors[i].iov_len);
  }
  return text;
}

}  // namespace

TEST_CASE("outgoing bytes: copies join, shared bodies are referenced, not copied") {
  auto body = std::make_shared<const std::string>("shared body");
  mmx::OutgoingBytes out;
  out.append_copy("HTTP/1.1 200 OK\r\n");
  out.append_copy("\r\n");
  out.append_shared(body, *body);
  out.append_copy("tail");
  out.append_copy("");
  out.append_shared(body, std::string_view());
  iovec vectors[8];
  REQUIRE(out.gather(vectors, 8) == 3);
  CHECK(vectors[1].iov_base == body->data());  // the cache's own bytes
  CHECK(gathered(out) == "HTTP/1.1 200 OK\r\n\r\nshared bodytail");
  CHECK(out.size() == 34);
  CHECK(body.use_count() == 2);
  out.clear();
  CHECK(body.use_count() == 1);
}

TEST_CASE("outgoing bytes: partial sends, across pieces") {
  auto body = std::make_shared<const std::string>("0123456789");
  mmx::OutgoingBytes out;
  out.append_copy("head:");
  out.append_shared(body, *body);
  out.append_copy(":end");
  out.consume(3);
  CHECK(out.front() == "d:");
  CHECK(gathered(out) == "d:0123456789:end");
  out.consume(5);
  CHECK(out.front() == "3456789");
  CHECK(out.size() == 11);
  // At most `max` pieces are gathered.
  iovec one[1];
  REQUIRE(out.gather(one, 1) == 1);
  CHECK(std::string_view(static_cast<const char*>(one[0].iov_base), one[0].iov_len) == "3456789");
  out.consume(11);
  CHECK(out.empty());
  CHECK(out.size() == 0);
  CHECK(body.use_count() == 1);
}
