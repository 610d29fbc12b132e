#include <doctest/doctest.h>
#include <zlib.h>

#include <stdexcept>
#include <string>

#include "gzip_splice.h"

namespace {

// Inflates one gzip member, as an HTTP client would; throws on any error,
// including bytes after the member.
std::string gunzip(const std::string& data) {
  z_stream z{};
  REQUIRE(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char chunk[4096];
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

// Text that compresses like an exposition: repetitive, with varying numbers.
std::string exposition_like(std::size_t lines) {
  std::string text;
  for (std::size_t i = 0; i < lines; ++i) {
    text += "modemmanager_signal_lte_rsrp_dbm{device_id=\"" + std::to_string(i * 7919) + "\"} -" +
            std::to_string(80 + i % 37) + "\n";
  }
  return text;
}

}  // namespace

TEST_CASE("gzip splice: prefix and tail inflate to their concatenation") {
  const std::string prefix = exposition_like(5000);  // several deflate blocks
  const mmx::GzipPrefix gzip(prefix);
  CHECK(gzip.deflated_size() < prefix.size() / 4);
  for (const std::string& tail :
       {std::string("process_open_fds 8\n# EOF\n"), std::string(), exposition_like(200)}) {
    CHECK(gunzip(gzip.with_tail(tail)) == prefix + tail);
  }
}

TEST_CASE("gzip splice: an empty prefix, or both empty, is still one valid member") {
  CHECK(gunzip(mmx::GzipPrefix().with_tail("collector_up 0\n")) == "collector_up 0\n");
  CHECK(gunzip(mmx::GzipPrefix().with_tail("")).empty());
}

TEST_CASE("gzip splice: a corrupted trailer is detected, so the CRC covers both parts") {
  std::string body = mmx::GzipPrefix(exposition_like(10)).with_tail("tail\n");
  body[body.size() - 8] ^= 1;  // first byte of the CRC-32
  CHECK_THROWS(gunzip(body));
}
