// GzipPrefix::end with ranges: the tail's text between the ranges deflated
// once into a GzipTailCache, the ranges' bytes stored.
#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exposition.h"
#include "gzip_splice.h"
#include "snapshot_fixtures.h"
#include "test_support.h"

namespace {

using Ranges = std::vector<std::pair<std::size_t, std::size_t>>;

// Text that compresses like an exposition: repetitive, with varying numbers.
std::string exposition_like(std::size_t lines, std::size_t seed = 0) {
  std::string text;
  for (std::size_t i = 0; i < lines; ++i) {
    text += "modemmanager_signal_lte_rsrp_dbm{device_id=\"" + std::to_string((i + seed) * 7919) +
            "\"} -" + std::to_string(80 + (i + seed) % 37) + "\n";
  }
  return text;
}

// The body a scrape sends, inflated; checks that a second call, from the
// cache, gives the same bytes.
std::string inflated(const mmx::GzipPrefix& gzip, std::string_view tail, const Ranges& ranges,
                     mmx::GzipTailCache& cache) {
  const std::string end = gzip.end(tail, ranges, cache);
  CHECK(gzip.end(tail, ranges, cache) == end);
  return mmx::test::gunzip(std::string(gzip.head()) + end);
}

void check_all(const std::string& prefix, const std::string& tail, const Ranges& ranges) {
  CAPTURE(prefix.size());
  CAPTURE(tail);
  const mmx::GzipPrefix gzip(prefix);
  mmx::GzipTailCache cache;
  CHECK(inflated(gzip, tail, ranges, cache) == prefix + tail);
  // A cache filled by another tail, then this one again.
  CHECK(inflated(gzip, tail + "x", ranges, cache) == prefix + tail + "x");
  CHECK(inflated(gzip, tail, ranges, cache) == prefix + tail);
}

}  // namespace

TEST_CASE("gzip tail: the head ends with a sync flush, so any block may follow") {
  for (const std::string& prefix : {std::string(), exposition_like(3), exposition_like(5000)}) {
    const mmx::GzipPrefix gzip(prefix);
    CHECK(gzip.head().ends_with(std::string_view("\x00\x00\xff\xff", 4)));
  }
}

TEST_CASE("gzip tail: the body inflates to prefix and tail, whatever the ranges") {
  const std::string tail =
      "# HELP a_seconds Age.\n# TYPE a_seconds gauge\na_seconds 1.25\n"
      "# HELP b_bytes Memory.\n# TYPE b_bytes gauge\nb_bytes{process=\"collector\"} 123\n"
      "b_bytes{process=\"frontend\"} 456\n";
  const std::size_t n = tail.size();
  const std::size_t age = tail.find(" 1.25\n");
  const std::size_t fe = tail.find(" 456\n");
  const std::vector<Ranges> cases = {
      {},                                         // all deflated
      {{age, age + 6}, {fe, fe + 5}},             // as the exporter status
      {{0, 5}},                                   // at the very start
      {{n - 4, n}},                               // at the very end
      {{0, 3}, {n - 3, n}},                       // both
      {{age, age + 3}, {age + 3, age + 6}},       // adjacent
      {{0, n}},                                   // everything
      {{0, n / 2}, {n / 2, n}},                   // everything, adjacent
      {{age, age}},                               // empty
      {{fe, fe + 5}, {age, age + 6}},             // out of order: the second is dropped
      {{age, fe + 2}, {age + 4, fe + 5}},         // overlapping
      {{n - 2, n + 10}, {n + 20, n + 30}},        // past the end
      {{5, 2}},                                   // backwards
      {{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}},  // pieces of one byte
  };
  for (const std::string& prefix : {std::string(), exposition_like(200)}) {
    for (const Ranges& ranges : cases) check_all(prefix, tail, ranges);
  }
}

TEST_CASE("gzip tail: an empty tail, with or without ranges") {
  for (const std::string& prefix : {std::string(), exposition_like(50)}) {
    const mmx::GzipPrefix gzip(prefix);
    mmx::GzipTailCache cache;
    CHECK(inflated(gzip, "", {}, cache) == prefix);
    CHECK(inflated(gzip, "", {{0, 0}, {0, 10}}, cache) == prefix);
    CHECK(cache.size() == 0);
  }
}

TEST_CASE("gzip tail: a range longer than a stored block is split") {
  std::string tail = "# HELP big Big.\n" + exposition_like(3000);  // ~180 KB
  REQUIRE(tail.size() > 2 * 65535);
  check_all(exposition_like(10), tail, {{16, tail.size() - 1}});
  check_all(exposition_like(10), tail, {{0, tail.size()}});
  check_all(exposition_like(10), tail, {{0, 65535}, {65535, 2 * 65535}});
  check_all(exposition_like(10), tail, {{0, 65536}});
  // A piece beyond the small window, and one after a gap too long to look
  // back across.
  check_all("", tail, {{10, 20}});
  check_all("", tail, {{10, 70000}});
  // A piece after one larger than the largest window.
  check_all("", tail, {{tail.size() - 20, tail.size() - 10}});
}

TEST_CASE("gzip tail: text that changes between calls is deflated again") {
  const mmx::GzipPrefix gzip(exposition_like(100));
  const std::string prefix = exposition_like(100);
  mmx::GzipTailCache cache;
  // The same shape, every piece changing in turn: the cache must notice.
  const auto tail_of = [](int a, int b, int c, std::string value) {
    std::string t = "process_cpu_seconds_total{process=\"collector\"} " + std::to_string(a) +
                    "\nprocess_cpu_seconds_total{process=\"frontend\"}";
    t += value;
    t += "process_open_fds{process=\"collector\"} " + std::to_string(b) +
         "\nprocess_open_fds{process=\"frontend\"}";
    t += value;
    t += "process_max_fds{process=\"collector\"} " + std::to_string(c) + "\n";
    return t;
  };
  for (int round = 0; round < 3; ++round) {
    for (int a : {10, 11, 12}) {
      for (int b : {20, 21}) {
        for (int c : {30, 31}) {
          // Values of every length from 3 to 9 bytes: more than the cache
          // keeps per piece.
          for (const char* value : {" 1\n", " 12\n", " 123\n", " 1234\n", " 12345\n", " 123456\n",
                                    " 1234567\n", " 9\n"}) {
            const std::string tail = tail_of(a, b, c, value);
            const std::size_t first = tail.find(value);
            const std::size_t second = tail.find(value, first + 1);
            const std::size_t len = std::string_view(value).size();
            CHECK(inflated(gzip, tail, {{first, first + len}, {second, second + len}}, cache) ==
                  prefix + tail);
          }
        }
      }
    }
  }
}

TEST_CASE("gzip tail: a piece's cached form is dropped when the piece before it changes") {
  // The second piece repeats the first, so it is deflated as references to
  // it: reused after the first changed, it would copy the wrong bytes.
  const mmx::GzipPrefix gzip;
  mmx::GzipTailCache cache;
  const std::string second = "alpha_bravo_charlie_delta_echo\n";
  for (const std::string first :
       {"alpha_bravo_charlie_delta_echo", "alpha_bravo_charlie_delta_echX",
        "alpha_bravo_charlie_delta_echo"}) {
    const std::string tail = first + " 1\n" + second;
    const std::size_t value = first.size();
    for (int i = 0; i < 2; ++i) {
      CHECK(inflated(gzip, tail, {{value, value + 3}}, cache) == tail);
    }
  }
}

TEST_CASE("gzip tail: the same text as the last piece or not") {
  // Only the last piece ends with a final block.
  const mmx::GzipPrefix gzip;
  mmx::GzipTailCache cache;
  for (int i = 0; i < 3; ++i) {
    CHECK(inflated(gzip, "abc_def 12\n", {{7, 11}}, cache) == "abc_def 12\n");
    CHECK(inflated(gzip, "abc_def", {}, cache) == "abc_def");
    CHECK(inflated(gzip, "abc_def", {{7, 8}}, cache) == "abc_def");
  }
}

TEST_CASE("gzip tail: text holding the byte that masks the ranges is still right") {
  // 0xff is in no exposition (UTF-8), but the cache must not depend on it: a
  // piece that could refer to the masked range's bytes, unless the mask is
  // a byte it lacks.
  const std::string tail = "x12345\xff\xff\xff\xff\xff\xff y\n";
  check_all("", tail, {{1, 6}});
  check_all("", tail, {{1, 7}});
  check_all(exposition_like(3), "x12345\xff\xff\xff\xff\xffx\xff\xff\xff\xff\xff", {{1, 6}});
}

TEST_CASE("gzip tail: a corrupted byte fails the CRC") {
  const std::string tail =
      "process_open_fds{process=\"collector\"} 12\n"
      "process_open_fds{process=\"frontend\"} 9\n";
  const std::size_t value = tail.rfind(" 9\n");
  const mmx::GzipPrefix gzip(exposition_like(20));
  mmx::GzipTailCache cache;
  const std::string body = std::string(gzip.head()) + gzip.end(tail, {{{value, value + 3}}}, cache);
  REQUIRE(mmx::test::gunzip(body) == exposition_like(20) + tail);
  // The stored value's digit, then the CRC's first byte.
  const std::size_t digit = body.rfind(" 9\n") + 1;
  REQUIRE(digit != std::string::npos);
  for (std::size_t at : {digit, body.size() - 8}) {
    std::string bad = body;
    bad[at] ^= 1;
    CHECK_THROWS(mmx::test::gunzip(bad));
  }
}

TEST_CASE("gzip tail: the cache holds the pieces of the last tail only") {
  const mmx::GzipPrefix gzip;
  mmx::GzipTailCache cache;
  std::string big = exposition_like(500);
  Ranges many;
  for (std::size_t i = 100; i + 10 < big.size(); i += 100) many.emplace_back(i, i + 5);
  CHECK(inflated(gzip, big, many, cache) == big);
  CHECK(cache.size() > big.size() / 2);
  const std::string small = "a 1\nb 2\n";
  CHECK(inflated(gzip, small, {{1, 4}}, cache) == small);
  CHECK(cache.size() < 64);
  // Many lengths of a range: a few deflated forms per piece, no more.
  std::string tail;
  for (int i = 0; i < 50; ++i) {
    const std::string value = " " + std::string(static_cast<std::size_t>(i + 1), '7') + "\n";
    tail = exposition_like(10) + value + exposition_like(10, 3);
    const std::size_t at = tail.find(value);
    CHECK(inflated(gzip, tail, {{at, at + value.size()}}, cache) == tail);
  }
  CHECK(cache.size() < 6 * tail.size());
}

TEST_CASE("gzip tail: threads, each with its caches, make valid bodies at once") {
  const std::string prefix = exposition_like(300);
  const mmx::GzipPrefix gzip(prefix);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      thread_local mmx::GzipTailCache caches[2];
      for (int i = 0; i < 1000; ++i) {
        const int kind = i % 2;
        std::string tail = kind == 0 ? "# HELP x X.\n# TYPE x gauge\nx" : "# TYPE y counter\ny";
        const std::size_t first = tail.size();
        tail += " " + std::to_string(t * 100000 + i * 7) + "\n";
        const std::size_t second = tail.size();
        tail += "# HELP z Z.\nz{process=\"collector\"} " + std::to_string(i / 100) + "\n";
        tail += kind == 0 ? "" : "# EOF\n";
        try {
          if (mmx::test::gunzip(std::string(gzip.head()) +
                                gzip.end(tail, {{{first, second}}}, caches[kind])) !=
              prefix + tail) {
            ++failures;
          }
        } catch (...) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures.load() == 0);
}

TEST_CASE("gzip tail: the exporter status, its per-scrape values stored") {
  mmx::test::SnapshotFixture fixture(2);
  for (mmx::Format format : {mmx::Format::kText, mmx::Format::kOpenMetrics}) {
    const std::string prefix = mmx::render_exposition(fixture.reader(), format);
    const mmx::GzipPrefix gzip(prefix);
    mmx::GzipTailCache cache;
    mmx::ExporterStatus status;
    status.build = {"0.1.0", "0123456789ab", "gcc 12.2.0", "0.9.2", "2.0.0", "3.0.17"};
    status.collector_up = true;
    status.snapshots_total = 42;
    for (int i = 0; i < 20; ++i) {
      status.now_unix_nanos = mmx::test::kSnapshotUnixNanos + 1'500'000'000 + i * 123'456'789LL;
      status.process = {0.25 + i, 4194304.0 + i * 4096, 1699999100.0, 9.0 + i % 3, 1024.0};
      std::string tail;
      mmx::TextRanges ranges;
      mmx::append_exporter_status(tail, status, fixture.reader(), format, &ranges);
      tail += mmx::exposition_terminator(format);
      // Without ranges, the same text.
      std::string plain;
      mmx::append_exporter_status(plain, status, fixture.reader(), format);
      plain += mmx::exposition_terminator(format);
      REQUIRE(plain == tail);
      // The age, the frontend's CPU time, memory and open fds: each a value
      // that ends its line.
      REQUIRE(ranges.size() == 4);
      for (const auto& [first, second] : ranges) {
        CHECK(first < second);
        CHECK(tail[second - 1] == '\n');
        CHECK(tail.substr(first, second - first).find('\n') == second - first - 1);
      }
      CHECK(tail.substr(0, ranges[0].second)
                .ends_with("modemmanager_exporter_snapshot_age_seconds " +
                           std::string(tail.substr(ranges[0].first + 1,
                                                   ranges[0].second - ranges[0].first - 1))));
      const std::string end = gzip.end(tail, ranges, cache);
      CHECK(mmx::test::gunzip(std::string(gzip.head()) + end) == prefix + tail);
      // About as small as deflating it all (measured: +133 bytes of 739).
      CHECK(end.size() < gzip.end(tail).size() + 200);
    }
  }
}
