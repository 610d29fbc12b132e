// Snapshot bytes as a compromised or broken collector could send them:
// split into frames, decoded with the frontend's reader limits, checked
// against its snapshot limits, and (as the receiver does) rendered only when
// within them, in both exposition formats and as the landing page. Any input
// must end in a result or a kj::Exception (which drops the connection),
// never a crash, and never a long render.

#include <capnp/serialize.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "exposition.h"
#include "framing.h"
#include "landing_page.h"
#include "snapshot_cache.h"
#include "snapshot_limits.h"

namespace {

void render_all(kj::ArrayPtr<const capnp::word> words) {
  try {
    capnp::FlatArrayMessageReader reader(words, mmx::snapshot_reader_options());
    if (!mmx::check_snapshot(reader.getRoot<mmx::schema::Snapshot>()).empty()) return;
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
    mmx::LandingInfo info;
    (void)mmx::render_landing_page(reader.getRoot<mmx::schema::Snapshot>(), info);
  } catch (const kj::Exception&) {
  }
}

}  // namespace

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
