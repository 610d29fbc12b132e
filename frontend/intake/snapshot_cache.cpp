#include "snapshot_cache.h"

#include <utility>

#include "duration.h"

namespace mmx {
namespace {

// "16.234s", "250ms": Go's spelling, to the millisecond.
std::string human_duration(std::chrono::nanoseconds d) {
  return format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(d));
}

// A reader of its own for each walk: the traversal limit counts every read
// over a reader's lifetime.
std::string render(const ExpositionRenderer& renderer, Format format,
                   kj::ArrayPtr<const capnp::word> words) {
  capnp::FlatArrayMessageReader message(words, snapshot_reader_options());
  return renderer(message.getRoot<schema::Snapshot>(), format);
}

}  // namespace

CachedExposition::CachedExposition(std::shared_ptr<const ExpositionRenderer> renderer,
                                   Format format, kj::ArrayPtr<const capnp::word> words)
    : renderer_(std::move(renderer)), format_(format), gzip_(render(*renderer_, format, words)) {}

const std::string& CachedExposition::plain(const SnapshotFrame& frame) const {
  std::call_once(plain_once_, [&] { plain_ = render(*renderer_, format_, frame.words.asPtr()); });
  return plain_;
}

bool CollectorView::up(SteadyTime now) const {
  return rendered != nullptr && frame != nullptr &&
         now - frame->received < kMissedHeartbeats * frame->heartbeat_interval;
}

std::string CollectorView::problem(SteadyTime now) const {
  if (!connected) return "collector not connected";
  if (frame == nullptr) return "collector connected, no snapshot yet";
  if (up(now)) return "";
  return "no snapshot for " + human_duration(now - frame->received) + " (heartbeat every " +
         human_duration(frame->heartbeat_interval) + ")";
}

void SnapshotCache::set_connected() {
  std::lock_guard lock(mutex_);
  state_.connected = true;
}

void SnapshotCache::publish(std::shared_ptr<const RenderedSnapshot> rendered,
                            std::shared_ptr<const SnapshotFrame> frame) {
  // Declared before the lock so the old snapshot is freed after unlocking.
  std::shared_ptr<const RenderedSnapshot> old_rendered;
  std::shared_ptr<const SnapshotFrame> old_frame;
  std::lock_guard lock(mutex_);
  old_rendered = std::exchange(state_.rendered, std::move(rendered));
  old_frame = std::exchange(state_.frame, std::move(frame));
  ++state_.snapshots_total;
}

void SnapshotCache::clear() {
  std::shared_ptr<const RenderedSnapshot> old_rendered;
  std::shared_ptr<const SnapshotFrame> old_frame;
  std::lock_guard lock(mutex_);
  old_rendered = std::exchange(state_.rendered, nullptr);
  old_frame = std::exchange(state_.frame, nullptr);
  state_.connected = false;
}

void SnapshotCache::count_refused() {
  std::lock_guard lock(mutex_);
  ++state_.snapshots_refused_total;
}

CollectorView SnapshotCache::view() const {
  std::lock_guard lock(mutex_);
  return state_;
}

}  // namespace mmx
