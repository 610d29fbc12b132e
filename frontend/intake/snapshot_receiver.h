#pragma once
// The frontend's end of the snapshot stream. A thread reads the collector's
// socket, splits it into frames (common/framing.h), checks each message with
// bounded reader limits and against the snapshot limits (snapshot_limits.h)
// and, when its generation is new, renders it once and
// publishes it to the SnapshotCache. A lost connection (end of stream, read
// error) and a refused frame (bad framing, a message that does not decode,
// over the limits or that cannot be rendered: counted in the cache's
// snapshots_refused_total) both end the connection: one log line with the
// reason, and the cache is cleared so no stale modem data is served.
// Connected by path, it then reconnects.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "expected.h"
#include "exposition_writer.h"
#include "snapshot.capnp.h"
#include "snapshot_cache.h"
#include "unique_fd.h"

namespace mmx {

class SnapshotReceiver {
 public:
  // Renders the snapshot part of /metrics in one format. It may throw
  // (kj::Exception on a malformed message); that drops the connection.
  using Renderer = ExpositionRenderer;

  static constexpr std::chrono::milliseconds kInitialBackoff{100};
  static constexpr std::chrono::milliseconds kMaxBackoff{2000};

  // Reads from `connection`, a connected stream socket, until it is lost. An
  // inherited descriptor cannot be opened again, so it does not reconnect.
  SnapshotReceiver(UniqueFd connection, SnapshotCache& cache, Renderer renderer);
  // Connects to the collector listening on `socket_path`, and again whenever
  // that fails or the connection is lost, waiting kInitialBackoff, doubled at
  // each failure up to kMaxBackoff, and back to kInitialBackoff once a
  // connection delivered a valid snapshot.
  SnapshotReceiver(std::string socket_path, SnapshotCache& cache, Renderer renderer);
  ~SnapshotReceiver();
  SnapshotReceiver(const SnapshotReceiver&) = delete;
  SnapshotReceiver& operator=(const SnapshotReceiver&) = delete;

  void start();
  // Wakes the thread and joins it. Idempotent.
  void stop();

  // True once the thread ended by itself: an inherited connection was lost.
  bool finished() const { return finished_.load(); }
  // Runs on the receiver's thread when that happens. Set before start().
  void set_on_finished(std::function<void()> callback) { on_finished_ = std::move(callback); }

 private:
  void run();
  // Reads frames until the connection is lost (returns the reason) or stop()
  // is called (returns nullopt).
  std::optional<std::string> serve(int fd, bool& got_snapshot);
  // After a connection: nothing of it is kept or served.
  void forget();
  // Checks one frame and publishes it, rendering a new generation; the
  // error says what is wrong with the frame.
  [[nodiscard]] Expected<> take_frame(kj::Array<capnp::word> words);
  // Sleeps for `delay` unless stop() comes first; false when it did.
  bool wait(std::chrono::milliseconds delay);

  UniqueFd connection_;
  std::string socket_path_;
  SnapshotCache& cache_;
  std::shared_ptr<const ExpositionRenderer> renderer_;
  UniqueFd wake_;  // eventfd, written by stop()
  // The generation published from this connection, and its rendering.
  std::optional<std::uint64_t> generation_;
  std::shared_ptr<const RenderedSnapshot> rendered_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  std::function<void()> on_finished_;
};

}  // namespace mmx
