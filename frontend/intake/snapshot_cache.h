#pragma once
// What the frontend holds of the collector: the newest snapshot, rendered
// once per generation, and what the newest frame said. The receiver thread
// writes it; HTTP threads read it. A reader copies a shared_ptr and a few
// numbers under a mutex and never waits on rendering.

#include <capnp/message.h>
#include <capnp/serialize.h>
#include <kj/array.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "exposition_writer.h"
#include "framing.h"
#include "gzip_splice.h"
#include "snapshot.capnp.h"

namespace mmx {

using SteadyTime = std::chrono::steady_clock::time_point;

// The limits of every reader of a snapshot. The traversal limit is the
// words of the largest frame (kMaxFrameBytes): a message whose pointers
// overlap to look larger (the amplification the limit exists for) is cut
// off there. Each walk gets a reader of its own because the limit
// counts every read over a reader's lifetime. The renderers read a message
// up to about 2.6 times over (they walk the modems once per family; the
// landing page 1.4 times), so frames up to some 3 MiB render within the
// limit: kMaxModems typical modems take 2.2 MiB (both measured by
// test_snapshot_reader_options.cpp). A larger frame that passes the
// snapshot limits fails to render, and costs the connection as a malformed
// one does.
// The schema nests five deep (Snapshot, modems, Modem, bearers, Bearer,
// stats); 16 leaves room to grow.
inline capnp::ReaderOptions snapshot_reader_options() {
  capnp::ReaderOptions options;
  options.traversalLimitInWords = kMaxFrameBytes / sizeof(capnp::word);
  options.nestingLimit = 16;
  return options;
}

// Turns a snapshot into the families of Part::kSnapshot (render_exposition
// in production).
using ExpositionRenderer = std::function<std::string(schema::Snapshot::Reader, Format)>;

struct SnapshotFrame;

// The part of /metrics that comes from one snapshot, in one format. It is
// deflated when its generation arrives, and only that is kept: Prometheus
// always asks for gzip, and the text is some 16 times the size of its
// deflated form (11 KiB a modem against 0.7). The text is rendered again on
// the first request of the generation without gzip, and then kept.
class CachedExposition {
 public:
  // Renders the message in `words` (the generation's first frame) and
  // deflates it.
  CachedExposition(std::shared_ptr<const ExpositionRenderer> renderer, Format format,
                   kj::ArrayPtr<const capnp::word> words);
  CachedExposition(const CachedExposition&) = delete;
  CachedExposition& operator=(const CachedExposition&) = delete;

  const GzipPrefix& gzip() const { return gzip_; }
  // The text, rendered from `frame` (any frame of this generation: they
  // render alike) on first use. May throw as the renderer does.
  const std::string& plain(const SnapshotFrame& frame) const;

 private:
  std::shared_ptr<const ExpositionRenderer> renderer_;
  Format format_;
  GzipPrefix gzip_;
  mutable std::once_flag plain_once_;
  mutable std::string plain_;
};

// One snapshot generation, rendered. Immutable once published, but for the
// text kept on first use (CachedExposition::plain).
struct RenderedSnapshot {
  RenderedSnapshot(const std::shared_ptr<const ExpositionRenderer>& renderer,
                   kj::ArrayPtr<const capnp::word> words)
      : text(renderer, Format::kText, words), openmetrics(renderer, Format::kOpenMetrics, words) {}

  std::uint64_t generation = 0;
  SteadyTime received;  // when this generation first arrived
  CachedExposition text;
  CachedExposition openmetrics;

  const CachedExposition& exposition(Format format) const {
    return format == Format::kOpenMetrics ? openmetrics : text;
  }
};

// The newest valid frame. Frames of one generation differ only in what
// changes at every heartbeat (sequence, time, the collector's process_*
// values), so the newest frame serves both those and the landing page.
// Immutable once published.
struct SnapshotFrame {
  kj::Array<capnp::word> words;  // the message, validated
  std::uint64_t sequence = 0;
  std::chrono::milliseconds heartbeat_interval{0};
  SteadyTime received;

  // A reader over `words` with snapshot_reader_options(), for one walk.
  std::unique_ptr<capnp::FlatArrayMessageReader> open() const {
    return std::make_unique<capnp::FlatArrayMessageReader>(words.asPtr(),
                                                           snapshot_reader_options());
  }
};

// A consistent copy of the cache's state at one moment.
struct CollectorView {
  bool connected = false;
  // Both set while a snapshot is held, both null otherwise.
  std::shared_ptr<const RenderedSnapshot> rendered;
  std::shared_ptr<const SnapshotFrame> frame;
  std::uint64_t snapshots_total = 0;
  // Frames refused as the peer's fault; like snapshots_total, never reset.
  std::uint64_t snapshots_refused_total = 0;

  // The collector counts as up while a snapshot is held and the newest frame
  // is younger than kMissedHeartbeats heartbeat intervals.
  static constexpr int kMissedHeartbeats = 3;
  bool up(SteadyTime now) const;
  // Why the collector is not up ("" when it is), one line for /health.
  std::string problem(SteadyTime now) const;
};

class SnapshotCache {
 public:
  // The receiver connected to the collector.
  void set_connected();
  // A valid frame; `rendered` is new when its generation is, else the one
  // held.
  void publish(std::shared_ptr<const RenderedSnapshot> rendered,
               std::shared_ptr<const SnapshotFrame> frame);
  // The connection is gone: forget the snapshot so nothing stale is served.
  // snapshots_total keeps counting.
  void clear();
  // The receiver refused a frame (the connection is then dropped and
  // cleared).
  void count_refused();

  CollectorView view() const;

 private:
  mutable std::mutex mutex_;
  CollectorView state_;
};

}  // namespace mmx
