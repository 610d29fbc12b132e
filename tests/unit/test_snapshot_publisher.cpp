// The collector's end of the snapshot stream against frontends that misbehave:
// one that writes garbage, one that never reads, one that dies. The
// collector must be unaffected by each and keep serving the others. Real
// socketpairs and the real event loop.

#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "event_loop.h"
#include "snapshot_publisher.h"
#include "sockets.h"
#include "unique_fd.h"

namespace {

using namespace std::chrono_literals;

struct Pair {
  mmx::UniqueFd collector;  // handed to the publisher
  mmx::UniqueFd frontend;   // the test plays the frontend here
};

Pair make_pair() {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  return {mmx::UniqueFd(fds[0]), mmx::UniqueFd(fds[1])};
}

mmx::Frame frame_of(std::size_t bytes, std::byte fill) {
  return std::make_shared<const std::vector<std::byte>>(bytes, fill);
}

void run_for(mmx::EventLoop& loop, std::chrono::milliseconds duration) {
  loop.schedule_after(duration, [&loop] { loop.stop(); });
  loop.run();
}

// Everything readable now, without waiting.
std::vector<std::byte> drain(int fd) {
  std::vector<std::byte> out;
  std::byte buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n <= 0) return out;
    out.insert(out.end(), buffer, buffer + n);
  }
}

}  // namespace

TEST_CASE("snapshot publisher: a frontend's writes are refused and never read") {
  mmx::EventLoop loop;
  mmx::SnapshotPublisher publisher(loop);
  Pair pair = make_pair();
  publisher.add_frontend(std::move(pair.collector), "garbage writer");

  const char garbage[] = "\xff\xff\xff\xff not a frame, and far too long to be one";
  errno = 0;
  CHECK(::send(pair.frontend.get(), garbage, sizeof garbage, MSG_NOSIGNAL | MSG_DONTWAIT) == -1);
  CHECK(errno == EPIPE);

  publisher.publish(frame_of(100, std::byte{7}));
  run_for(loop, 20ms);
  const auto received = drain(pair.frontend.get());
  CHECK(received == std::vector<std::byte>(100, std::byte{7}));
  CHECK(publisher.frontend_count() == 1);
}

TEST_CASE("snapshot publisher: a frontend that never reads does not hold up the others") {
  mmx::EventLoop loop;
  mmx::SnapshotPublisher publisher(loop);
  Pair stalled = make_pair();
  Pair reader = make_pair();
  publisher.add_frontend(std::move(stalled.collector), "stalled");
  publisher.add_frontend(std::move(reader.collector), "reader");

  // Far more than a socket buffer holds, so the stalled one's is full early.
  constexpr std::size_t kFrameBytes = 256 * 1024;
  std::vector<std::byte> last_received;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 1; i <= 64; ++i) {
    publisher.publish(frame_of(kFrameBytes, std::byte(i)));
    // The reader drains as the loop writes.
    for (int round = 0; round < 8; ++round) {
      run_for(loop, 1ms);
      auto bytes = drain(reader.frontend.get());
      if (!bytes.empty()) last_received = std::move(bytes);
    }
  }
  CHECK(std::chrono::steady_clock::now() - started < 5s);  // never blocked on the stalled one
  REQUIRE(!last_received.empty());
  CHECK(last_received.back() == std::byte(64));  // the newest frame reached the reader
  CHECK(publisher.frontend_count() == 2);        // the stalled one is kept, skipping frames
}

TEST_CASE("snapshot publisher: a frontend that dies is dropped and the others keep receiving") {
  mmx::EventLoop loop;
  mmx::SnapshotPublisher publisher(loop);
  Pair dying = make_pair();
  Pair reader = make_pair();
  publisher.add_frontend(std::move(dying.collector), "dying");
  publisher.add_frontend(std::move(reader.collector), "reader");
  publisher.publish(frame_of(10, std::byte{1}));
  run_for(loop, 10ms);
  dying.frontend.reset();
  run_for(loop, 10ms);
  CHECK(publisher.frontend_count() == 1);
  publisher.publish(frame_of(10, std::byte{2}));
  run_for(loop, 10ms);
  auto received = drain(reader.frontend.get());
  REQUIRE(received.size() == 20);
  CHECK(received.back() == std::byte{2});
}

TEST_CASE(
    "snapshot publisher: listens on a path it removes at exit; an unusable path is an error") {
  char dir_template[] = "/tmp/mmx-publisher-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;
  const std::string path = dir + "/collector.sock";
  {
    mmx::EventLoop loop;
    mmx::SnapshotPublisher publisher(loop);
    const auto listening = publisher.listen(path, {::getuid()});
    REQUIRE_MESSAGE(listening, listening.error());
    CHECK(publisher.owns_path());
    auto frontend = mmx::connect_unix_nonblocking(path);
    REQUIRE_MESSAGE(frontend, frontend.error());
    run_for(loop, 50ms);
    CHECK(publisher.frontend_count() == 1);

    mmx::SnapshotPublisher other(loop);
    const auto refused = other.listen(dir + "/absent/collector.sock", {::getuid()});
    REQUIRE_FALSE(refused);
    CHECK(refused.error() ==
          "cannot bind " + dir + "/absent/collector.sock: No such file or directory");
    CHECK_FALSE(other.owns_path());
  }
  CHECK(::access(path.c_str(), F_OK) != 0);
  ::rmdir(dir.c_str());
}
