#include <doctest/doctest.h>
#include <zlib.h>

#include <stdexcept>
#include <string>

#include "gzip_splice.h"
#include "test_support.h"

namespace {

// Inflates one gzip member, as an HTTP client would; throws on any error,
// including bytes after the member.

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
  CHECK(gzip.head().size() < prefix.size() / 4);
  for (const std::string& tail :
       {std::string("process_open_fds 8\n# EOF\n"), std::string(), exposition_like(200)}) {
    CHECK(mmx::test::gunzip(gzip.with_tail(tail)) == prefix + tail);
    // What a scrape sends: the cached head, then the end made for it.
    CHECK(mmx::test::gunzip(std::string(gzip.head()) + gzip.end(tail)) == prefix + tail);
  }
}

TEST_CASE("gzip splice: an empty prefix, or both empty, is still one valid member") {
  CHECK(mmx::test::gunzip(mmx::GzipPrefix().with_tail("collector_up 0\n")) == "collector_up 0\n");
  CHECK(mmx::test::gunzip(mmx::GzipPrefix().with_tail("")).empty());
}

TEST_CASE("gzip splice: a corrupted trailer is detected, so the CRC covers both parts") {
  std::string body = mmx::GzipPrefix(exposition_like(10)).with_tail("tail\n");
  body[body.size() - 8] ^= 1;  // first byte of the CRC-32
  CHECK_THROWS(mmx::test::gunzip(body));
}
