// Time to render one snapshot of N typical modems into the text exposition,
// the work the frontend does once per change (never per scrape), and the
// size of the result, plain and gzipped; and the landing page, which is
// rendered at every request for it.
//
//   render-bench N [iterations]
//
// Prints one line of JSON for bench/run.py.

#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "exposition.h"
#include "landing_page.h"
#include "snapshot_fixtures.h"

namespace {

std::size_t gzip_size(const std::string& text) {
  z_stream stream{};
  deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::vector<unsigned char> out(deflateBound(&stream, text.size()));
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  stream.avail_in = static_cast<uInt>(text.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  const std::size_t size = stream.total_out;
  deflateEnd(&stream);
  return size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: render-bench N [iterations]\n");
    return 2;
  }
  const std::size_t modems = std::strtoul(argv[1], nullptr, 10);
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200;
  mmx::test::SnapshotFixture fixture(modems);
  auto reader = fixture.reader();
  std::string text = mmx::render_exposition(reader, mmx::Format::kText);
  std::vector<double> micros;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    text = mmx::render_exposition(reader, mmx::Format::kText);
    micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(micros.begin(), micros.end());
  // What compressing the page at every scrape would cost: the frontend
  // instead deflates the cached part once per snapshot.
  std::vector<double> gzip_micros;
  std::size_t compressed = 0;
  for (int i = 0; i < std::max(10, iterations / 10); ++i) {
    const auto start = std::chrono::steady_clock::now();
    compressed = gzip_size(text);
    gzip_micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(gzip_micros.begin(), gzip_micros.end());
  mmx::LandingInfo info;
  info.version = "0.0.0";
  std::string page;
  std::vector<double> page_micros;
  for (int i = 0; i < iterations; ++i) {
    const auto start = std::chrono::steady_clock::now();
    page = mmx::render_landing_page(reader, info);
    page_micros.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
            .count());
  }
  std::sort(page_micros.begin(), page_micros.end());
  std::printf(
      "{\"modems\": %zu, \"render_us_median\": %.1f, \"render_us_min\": %.1f, "
      "\"gzip_us_median\": %.1f, \"body_bytes\": %zu, \"gzip_bytes\": %zu, "
      "\"landing_us_median\": %.1f, \"landing_bytes\": %zu}\n",
      modems, micros[micros.size() / 2], micros.front(), gzip_micros[gzip_micros.size() / 2],
      text.size(), compressed, page_micros[page_micros.size() / 2], page.size());
  return 0;
}
