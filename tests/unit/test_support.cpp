#include "test_support.h"

#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdlib>
#include <string_view>

namespace mmx::test {

std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[16384];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
  }
  const uInt left = z.avail_in;
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("inflate failed: " + std::to_string(rc));
  if (left != 0) throw std::runtime_error("bytes after the gzip member");
  return out;
}

bool skips_allowed() {
  const auto set_to = [](const char* name, std::string_view value) {
    const char* v = std::getenv(name);
    return v != nullptr && value == v;
  };
  if (set_to("CI", "true") || set_to("CI", "1")) return false;
  return set_to("MMX_ALLOW_SKIPS", "1");
}

}  // namespace mmx::test
