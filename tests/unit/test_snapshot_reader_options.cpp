// The traversal limit of snapshot_reader_options() (frontend/intake/snapshot_cache.h)
// against what each walk of a snapshot reads: the renderers re-read parts of
// the message, so the limit must leave room for that on every snapshot a
// real installation sends.

#include <capnp/serialize.h>
#include <doctest/doctest.h>

#include <functional>
#include <string>
#include <utility>

#include "exposition.h"
#include "framing.h"
#include "landing_page.h"
#include "snapshot_cache.h"
#include "snapshot_fixtures.h"
#include "snapshot_limits.h"

namespace {

using Walk = std::function<void(mmx::schema::Snapshot::Reader)>;

bool walks_within(kj::ArrayPtr<const capnp::word> words, std::uint64_t limit, const Walk& walk) {
  capnp::ReaderOptions options = mmx::snapshot_reader_options();
  options.traversalLimitInWords = limit;
  try {
    capnp::FlatArrayMessageReader reader(words, options);
    walk(reader.getRoot<mmx::schema::Snapshot>());
    return true;
  } catch (const kj::Exception&) {
    return false;
  }
}

// The smallest traversal limit `walk` gets through with, as a multiple of
// the message's size.
double reads_per_word(kj::ArrayPtr<const capnp::word> words, const Walk& walk) {
  std::uint64_t low = 1;
  std::uint64_t high = words.size() * 16;
  REQUIRE(walks_within(words, high, walk));
  while (low < high) {
    const std::uint64_t middle = low + (high - low) / 2;
    if (walks_within(words, middle, walk)) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return static_cast<double>(low) / static_cast<double>(words.size());
}

}  // namespace

TEST_CASE("reader options: every walk of a snapshot reads it at most 3 times over") {
  mmx::LandingInfo info;
  info.now_unix_nanos = mmx::test::kSnapshotUnixNanos;
  const mmx::ExporterStatus status;
  const std::pair<std::string, Walk> walks[] = {
      {"text", [](auto s) { (void)mmx::render_exposition(s, mmx::Format::kText); }},
      {"openmetrics", [](auto s) { (void)mmx::render_exposition(s, mmx::Format::kOpenMetrics); }},
      {"landing page", [&](auto s) { (void)mmx::render_landing_page(s, info); }},
      {"exporter status",
       [&](auto s) { (void)mmx::render_exporter_status(status, s, mmx::Format::kText); }},
      {"limits check", [](auto s) { (void)mmx::check_snapshot(s); }},
  };
  for (const std::size_t modems : {1, 16, 64}) {
    mmx::test::SnapshotFixture fixture(modems);
    const kj::Array<capnp::word> words = fixture.words();
    for (const auto& [name, walk] : walks) {
      const double ratio = reads_per_word(words, walk);
      MESSAGE(modems << " modems, " << name << ": " << ratio << " words read per word");
      CHECK(ratio <= 3.0);
    }
  }
}

TEST_CASE("reader options: the most modems the limits allow render within the traversal limit") {
  mmx::test::SnapshotFixture fixture(mmx::kMaxModems);
  const kj::Array<capnp::word> words = fixture.words();
  MESSAGE(mmx::kMaxModems << " typical modems: " << words.size() * sizeof(capnp::word) / 1024
                          << " KiB");
  CHECK(words.size() * sizeof(capnp::word) * 3 <= mmx::kMaxFrameBytes);
  capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
  CHECK(
      !mmx::render_exposition(reader.getRoot<mmx::schema::Snapshot>(), mmx::Format::kText).empty());
}
