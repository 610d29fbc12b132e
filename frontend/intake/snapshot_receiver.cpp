#include "snapshot_receiver.h"

#include <capnp/serialize.h>
#include <malloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <cerrno>
#include <span>
#include <system_error>
#include <vector>

#include "duration.h"
#include "errno_text.h"
#include "framing.h"
#include "log.h"
#include "snapshot_limits.h"
#include "sockets.h"

namespace mmx {
namespace {

constexpr std::size_t kReadBufferBytes = 64 * 1024;

// The description may quote the peer's bytes, NULs included.
std::string describe(const kj::Exception& e) {
  const kj::StringPtr description = e.getDescription();
  return std::string(description.begin(), description.size());
}

// Decodes and checks the message of one frame (this is where its bytes meet
// Cap'n Proto: a kj::Exception becomes the error). Returns the generation;
// sets the frame's sequence and heartbeat interval.
Expected<std::uint64_t> check_frame(kj::ArrayPtr<const capnp::word> words, SnapshotFrame& frame) {
  try {
    capnp::FlatArrayMessageReader message(words, snapshot_reader_options());
    if (message.getEnd() != words.end()) {
      return fail("malformed snapshot: " + std::to_string(words.end() - message.getEnd()) +
                  " words after the message");
    }
    auto snapshot = message.getRoot<schema::Snapshot>();
    frame.sequence = snapshot.getSequence();
    frame.heartbeat_interval = std::chrono::milliseconds(snapshot.getHeartbeatIntervalMillis());
    if (frame.heartbeat_interval.count() == 0) {
      return fail("malformed snapshot: no heartbeat interval");
    }
    // Every frame, not only those of a new generation: the newest frame
    // serves the landing page and the exporter status, and nothing but the
    // collector's word says it equals the frame its generation was checked
    // in.
    if (auto within = check_snapshot(snapshot); !within) {
      return fail("snapshot over the limits: " + within.error());
    }
    return snapshot.getGeneration();
  } catch (const kj::Exception& e) {
    return fail("malformed snapshot: " + describe(e));
  }
}

// Renders a new generation in every format; what the renderer throws
// becomes the error.
Expected<std::shared_ptr<RenderedSnapshot>> render_snapshot(
    const std::shared_ptr<const ExpositionRenderer>& renderer,
    kj::ArrayPtr<const capnp::word> words) {
  try {
    return std::make_shared<RenderedSnapshot>(renderer, words);
  } catch (const kj::Exception& e) {
    return fail("cannot render snapshot: " + describe(e));
  } catch (const std::exception& e) {
    return fail(std::string("cannot render snapshot: ") + e.what());
  }
}

}  // namespace

SnapshotReceiver::SnapshotReceiver(UniqueFd connection, SnapshotCache& cache, Renderer renderer)
    : connection_(std::move(connection)),
      cache_(cache),
      renderer_(std::make_shared<const ExpositionRenderer>(std::move(renderer))),
      wake_(::eventfd(0, EFD_CLOEXEC)) {
  if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

SnapshotReceiver::SnapshotReceiver(std::string socket_path, SnapshotCache& cache, Renderer renderer)
    : socket_path_(std::move(socket_path)),
      cache_(cache),
      renderer_(std::make_shared<const ExpositionRenderer>(std::move(renderer))),
      wake_(::eventfd(0, EFD_CLOEXEC)) {
  if (!wake_) throw std::system_error(errno, std::generic_category(), "eventfd");
}

SnapshotReceiver::~SnapshotReceiver() {
  stop();
}

void SnapshotReceiver::start() {
  thread_ = std::thread([this] { run(); });
}

void SnapshotReceiver::stop() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

bool SnapshotReceiver::wait(std::chrono::milliseconds delay) {
  pollfd wake{wake_.get(), POLLIN, 0};
  int rc = 0;
  do {
    rc = ::poll(&wake, 1, static_cast<int>(delay.count()));
  } while (rc < 0 && errno == EINTR);
  return rc == 0;
}

void SnapshotReceiver::run() {
  if (connection_) {
    bool got_snapshot = false;
    const auto reason = serve(connection_.get(), got_snapshot);
    connection_.reset();
    forget();
    if (reason) {
      log_warn("Lost the collector connection; not reconnecting: it was inherited",
               {{"reason", *reason}});
      finished_ = true;
      if (on_finished_) on_finished_();
    }
    return;
  }
  auto backoff = kInitialBackoff;
  bool outage_logged = false;
  for (;;) {
    auto connected = connect_unix_nonblocking(socket_path_);
    if (connected) {
      UniqueFd fd = std::move(*connected);
      log_info("Connected to the collector", {{"socket", socket_path_}});
      outage_logged = false;
      bool got_snapshot = false;
      const auto reason = serve(fd.get(), got_snapshot);
      fd.reset();
      forget();
      if (!reason) return;
      if (got_snapshot) backoff = kInitialBackoff;
      log_warn("Lost the collector connection",
               {{"reason", *reason}, {"retry_in", format_duration(backoff)}});
      outage_logged = true;
    } else if (!outage_logged) {
      log_warn("Cannot connect to the collector",
               {{"err", connected.error()}, {"retry_in", format_duration(backoff)}});
      outage_logged = true;
    } else {
      log_debug("Cannot connect to the collector",
                {{"err", connected.error()}, {"retry_in", format_duration(backoff)}});
    }
    if (!wait(backoff)) return;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

void SnapshotReceiver::forget() {
  cache_.clear();
  generation_.reset();
  rendered_.reset();
}

std::optional<std::string> SnapshotReceiver::serve(int fd, bool& got_snapshot) {
  cache_.set_connected();
  FrameDecoder decoder;
  std::vector<std::byte> buffer(kReadBufferBytes);
  for (;;) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_.get(), POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return errno_text("poll");
    }
    if (fds[1].revents != 0) return std::nullopt;
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return errno_text("read");
    }
    if (n == 0) {
      if (decoder.buffered_bytes() == 0) return "collector closed the connection";
      return "collector closed the connection in the middle of a frame (" +
             std::to_string(decoder.buffered_bytes()) + " bytes buffered)";
    }
    decoder.feed(std::span(buffer).first(static_cast<std::size_t>(n)));
    for (;;) {
      auto result = decoder.next();
      if (result.status == FrameDecoder::Status::kNeedMore) break;
      if (result.status == FrameDecoder::Status::kError) {
        cache_.count_refused();
        return "bad frame: " + result.error;
      }
      if (auto taken = take_frame(std::move(result.payload)); !taken) {
        cache_.count_refused();
        return std::move(taken.error());
      }
      got_snapshot = true;
    }
  }
}

Expected<> SnapshotReceiver::take_frame(kj::Array<capnp::word> words) {
  auto frame = std::make_shared<SnapshotFrame>();
  frame->received = std::chrono::steady_clock::now();
  const auto generation = check_frame(words.asPtr(), *frame);
  if (!generation) return fail(generation.error());
  const bool new_generation = generation_ != *generation;

  std::shared_ptr<const RenderedSnapshot> rendered = rendered_;
  if (new_generation) {
    auto fresh = render_snapshot(renderer_, words.asPtr());
    if (!fresh) return fail(std::move(fresh.error()));
    (*fresh)->generation = *generation;
    (*fresh)->received = frame->received;
    rendered = std::move(*fresh);
    generation_ = *generation;
    log_debug("New snapshot generation", {{"generation", std::to_string(*generation)},
                                          {"sequence", std::to_string(frame->sequence)}});
  }
  frame->words = std::move(words);
  rendered_ = rendered;
  cache_.publish(std::move(rendered), std::move(frame));
  if (new_generation) {
    // Rendering and deflating a generation, and the text a request may have
    // rendered of the one it replaces, leave freed chunks in the arenas
    // (1.9 MiB at 64 modems): their whole pages go back to the kernel.
    ::malloc_trim(0);
  }
  return {};
}

}  // namespace mmx
