// Snapshot bytes as a compromised or broken collector could send them:
// split into frames, decoded with the frontend's reader limits, checked
// against its snapshot limits, and (as the receiver does) rendered only when
// within them, by every renderer: both exposition formats, the exporter
// status of a scrape (at clocks far on either side of any peer time) and the
// landing page. Any input must end in a result or a kj::Exception (which
// drops the connection), never a crash, and never a long render.
//
// At exit it prints how many inputs reached the exporter status
// (stat::exporter_status_renders), which scripts/fuzz.sh requires to be
// more than 0: a renderer the fuzzer never reaches is not tested by it.

#include <capnp/serialize.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <optional>
#include <span>

#include "exposition.h"
#include "framing.h"
#include "landing_page.h"
#include "snapshot_cache.h"
#include "snapshot_limits.h"

namespace {

std::size_t exporter_status_renders = 0;

void print_exporter_status_renders() {
  std::fprintf(stderr, "stat::exporter_status_renders: %zu\n", exporter_status_renders);
}

// The status part of a scrape, with the clock at both ends of int64 and at
// 0: whatever time the snapshot claims, one of them is far from it.
void render_exporter_status(mmx::schema::Snapshot::Reader snapshot) {
  for (const std::int64_t now : {std::numeric_limits<std::int64_t>::min(), std::int64_t{0},
                                 std::numeric_limits<std::int64_t>::max()}) {
    mmx::ExporterStatus status;
    status.collector_up = true;
    status.now_unix_nanos = now;
    (void)mmx::render_exporter_status(status, snapshot, mmx::Format::kOpenMetrics);
  }
  ++exporter_status_renders;
}

void render_all(kj::ArrayPtr<const capnp::word> words) {
  try {
    capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
    if (!mmx::check_snapshot(reader.getRoot<mmx::schema::Snapshot>())) return;
  } catch (const kj::Exception&) {
    return;
  }
  try {
    capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
    auto snapshot = reader.getRoot<mmx::schema::Snapshot>();
    (void)mmx::render_exposition(snapshot, mmx::Format::kText);
  } catch (const kj::Exception&) {
  }
  try {
    capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
    auto snapshot = reader.getRoot<mmx::schema::Snapshot>();
    (void)mmx::render_exposition(snapshot, mmx::Format::kOpenMetrics);
  } catch (const kj::Exception&) {
  }
  try {
    capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
    render_exporter_status(reader.getRoot<mmx::schema::Snapshot>());
  } catch (const kj::Exception&) {
  }
  try {
    capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
    mmx::LandingInfo info;
    (void)mmx::render_landing_page(reader.getRoot<mmx::schema::Snapshot>(), info);
  } catch (const kj::Exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  std::atexit(print_exporter_status_renders);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The input as one message's words (what a frame carries)...
  auto words = kj::heapArray<capnp::word>(size / sizeof(capnp::word));
  std::memcpy(words.begin(), data, words.size() * sizeof(capnp::word));
  if (words.size() > 0) render_all(words.asPtr());

  // ...and as a stream of frames.
  mmx::FrameDecoder decoder;
  decoder.feed(std::span(reinterpret_cast<const std::byte*>(data), size));
  for (auto r = decoder.next(); r.status == mmx::FrameDecoder::Status::kFrame; r = decoder.next()) {
    render_all(r.payload.asPtr());
  }
  return 0;
}
