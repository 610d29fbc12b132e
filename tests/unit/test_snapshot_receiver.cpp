// The receiver driven through a real socketpair (or a real listening Unix
// socket for the reconnecting mode) and its real thread. Waits poll for a
// condition with a deadline instead of sleeping.

#include <capnp/any.h>
#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "framing.h"
#include "snapshot_cache.h"
#include "snapshot_fixtures.h"
#include "snapshot_receiver.h"
#include "sockets.h"
#include "test_support.h"

namespace {

using namespace std::chrono_literals;

std::vector<std::byte> frame_of(kj::ArrayPtr<const capnp::word> words) {
  std::vector<std::byte> frame(mmx::kFrameHeaderBytes + words.size() * sizeof(capnp::word));
  const std::uint32_t magic = mmx::kFrameMagic;
  const auto length = static_cast<std::uint32_t>(words.size() * sizeof(capnp::word));
  std::memcpy(frame.data(), &magic, 4);  // the test hosts are little-endian, as the wire
  std::memcpy(frame.data() + 4, &length, 4);
  std::memcpy(frame.data() + mmx::kFrameHeaderBytes, words.begin(), length);
  return frame;
}

std::vector<std::byte> snapshot_frame(std::uint64_t generation, std::uint64_t sequence,
                                      std::uint32_t heartbeat_millis = 5000) {
  mmx::test::SnapshotFixture fixture(1);
  fixture.builder().setGeneration(generation);
  fixture.builder().setSequence(sequence);
  fixture.builder().setHeartbeatIntervalMillis(heartbeat_millis);
  auto words = fixture.words();
  return frame_of(words);
}

// Renders "<format> <generation>" and counts its calls.
struct CountingRenderer {
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);

  mmx::SnapshotReceiver::Renderer renderer() const {
    return [calls = calls](mmx::schema::Snapshot::Reader snapshot, mmx::Format format) {
      ++*calls;
      return std::string(format == mmx::Format::kText ? "text " : "openmetrics ") +
             std::to_string(snapshot.getGeneration()) + "\n";
    };
  }
};

// A receiver reading one end of a socketpair; the test writes the other.
struct PairFixture {
  mmx::SnapshotCache cache;
  CountingRenderer render;
  mmx::UniqueFd collector;  // the test's end
  std::unique_ptr<mmx::SnapshotReceiver> receiver;

  PairFixture() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    collector.reset(fds[0]);
    receiver =
        std::make_unique<mmx::SnapshotReceiver>(mmx::UniqueFd(fds[1]), cache, render.renderer());
    receiver->start();
  }

  void send(std::span<const std::byte> bytes) {
    REQUIRE(::send(collector.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  }

  bool held(std::uint64_t generation) {
    auto view = cache.view();
    return view.rendered != nullptr && view.rendered->generation == generation;
  }

  // True once the receiver closed its end: our end reads EOF.
  bool peer_closed() {
    char byte;
    return ::recv(collector.get(), &byte, 1, MSG_DONTWAIT) == 0;
  }
};

// Bytes of `frame` with the first occurrence of `from` replaced by `to`.
void replace_bytes(std::vector<std::byte>& frame, std::string_view from, std::string_view to) {
  REQUIRE(from.size() == to.size());
  auto* begin = reinterpret_cast<char*>(frame.data());
  std::string_view all(begin, frame.size());
  const auto at = all.find(from);
  REQUIRE(at != std::string_view::npos);
  std::memcpy(begin + at, to.data(), to.size());
}

}  // namespace

TEST_CASE("snapshot receiver: a valid snapshot is published with its generation") {
  PairFixture f;
  REQUIRE(mmx::test::eventually([&] { return f.cache.view().connected; }));
  CHECK(f.cache.view().rendered == nullptr);

  f.send(snapshot_frame(3, 7));
  REQUIRE(mmx::test::eventually([&] { return f.held(3); }));
  const auto view = f.cache.view();
  CHECK(view.connected);
  CHECK(view.snapshots_total == 1);
  CHECK(view.frame->sequence == 7);
  CHECK(view.frame->heartbeat_interval == 5s);
  CHECK(view.rendered->text.plain(*view.frame) == "text 3\n");
  CHECK(view.rendered->openmetrics.plain(*view.frame) == "openmetrics 3\n");
  CHECK(view.up(std::chrono::steady_clock::now()));
  CHECK(view.problem(std::chrono::steady_clock::now()).empty());
  // The landing page reads the frame through a reader of its own.
  auto message = view.frame->open();
  CHECK(message->getRoot<mmx::schema::Snapshot>().getManager().getVersion() == "1.20.4");
}

TEST_CASE("snapshot receiver: a heartbeat of the same generation is not rendered again") {
  PairFixture f;
  f.send(snapshot_frame(3, 7));
  REQUIRE(mmx::test::eventually([&] { return f.held(3); }));
  const auto first = f.cache.view().rendered;
  CHECK(*f.render.calls == 2);  // text and OpenMetrics, once each

  f.send(snapshot_frame(3, 8));
  REQUIRE(mmx::test::eventually([&] { return f.cache.view().snapshots_total == 2; }));
  auto view = f.cache.view();
  CHECK(view.rendered == first);
  CHECK(view.frame->sequence == 8);  // the newest frame serves the per-scrape values
  CHECK(*f.render.calls == 2);

  f.send(snapshot_frame(4, 9));
  REQUIRE(mmx::test::eventually([&] { return f.held(4); }));
  CHECK(*f.render.calls == 4);
  CHECK(f.cache.view().snapshots_total == 3);
}

TEST_CASE("snapshot receiver: only the deflated text is kept; the text is rendered when asked") {
  PairFixture f;
  f.send(snapshot_frame(3, 7));
  REQUIRE(mmx::test::eventually([&] { return f.held(3); }));
  const auto view = f.cache.view();
  CHECK(*f.render.calls == 2);
  CHECK(mmx::test::gunzip(std::string(view.rendered->text.gzip().head()) +
                          view.rendered->text.gzip().end("")) == "text 3\n");
  // The first request without gzip renders the text; later ones reuse it,
  // from any thread.
  std::vector<std::thread> readers;
  std::atomic<int> right{0};
  for (int i = 0; i < 4; ++i) {
    readers.emplace_back([&] {
      if (view.rendered->text.plain(*view.frame) == "text 3\n") ++right;
    });
  }
  for (std::thread& reader : readers) reader.join();
  CHECK(right == 4);
  CHECK(*f.render.calls == 3);
  CHECK(view.rendered->openmetrics.plain(*view.frame) == "openmetrics 3\n");
  CHECK(*f.render.calls == 4);
}

TEST_CASE("snapshot receiver: a faulty stream drops the connection and clears the cache") {
  PairFixture f;
  f.send(snapshot_frame(3, 7));
  REQUIRE(mmx::test::eventually([&] { return f.held(3); }));
  // A lost connection is not the peer's fault; every other case refuses a
  // frame.
  std::uint64_t refused = 1;

  SUBCASE("garbage bytes") {
    const char garbage[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    f.send(std::as_bytes(std::span(garbage)));
  }
  SUBCASE("a truncated frame, then end of stream") {
    auto frame = snapshot_frame(4, 8);
    f.send(std::span(frame).first(frame.size() / 2));
    ::shutdown(f.collector.get(), SHUT_WR);
    refused = 0;
  }
  SUBCASE("a payload that is not a Cap'n Proto message: segment larger than the frame") {
    // Segment table: one segment of 1000 words, in a 2-word payload.
    const std::uint32_t words[] = {0, 1000, 0, 0};
    f.send(frame_of(kj::arrayPtr(reinterpret_cast<const capnp::word*>(words), 2)));
  }
  SUBCASE("a payload that is not a Cap'n Proto message: root pointer out of bounds") {
    // One segment of one word: a struct pointer 1000 words past the end.
    const std::uint32_t words[] = {0, 1, (1000u << 2), 0x00010001};
    f.send(frame_of(kj::arrayPtr(reinterpret_cast<const capnp::word*>(words), 2)));
  }
  SUBCASE("a text that is not NUL-terminated") {
    auto frame = snapshot_frame(4, 8);
    replace_bytes(frame, std::string_view("EM12-G\0", 7), "EM12-Gx");
    f.send(frame);
  }
  SUBCASE("words after the message") {
    mmx::test::SnapshotFixture fixture(1);
    fixture.builder().setGeneration(4);
    auto words = fixture.words();
    std::vector<capnp::word> padded(words.begin(), words.end());
    padded.push_back(capnp::word{});
    f.send(frame_of(kj::arrayPtr(padded.data(), padded.size())));
  }
  SUBCASE("an oversized length") {
    const std::uint32_t header[] = {mmx::kFrameMagic,
                                    static_cast<std::uint32_t>(mmx::kMaxFrameBytes + 8)};
    f.send(std::as_bytes(std::span(header)));
  }
  SUBCASE("a snapshot without a heartbeat interval") {
    f.send(snapshot_frame(4, 8, 0));
  }
  SUBCASE("a segment count that overflows") {
    // The segment table's first word is the count minus one: 0xffffffff
    // asks for 2^32 segments.
    const std::uint32_t words[] = {0xffffffff, 1, 0, 0};
    f.send(frame_of(kj::arrayPtr(reinterpret_cast<const capnp::word*>(words), 2)));
  }
  SUBCASE("more segments than the frame holds") {
    const std::uint32_t words[] = {511, 1, 1, 1};
    f.send(frame_of(kj::arrayPtr(reinterpret_cast<const capnp::word*>(words), 2)));
  }
  SUBCASE("a pointer cycle: nesting without end") {
    // Root struct (4 data words, 5 pointers) whose first pointer, the
    // Manager, points back at the root itself.
    std::vector<std::uint32_t> words = {
        0,          10,          // segment table: one segment of 10 words
        0,          0x00050004,  // root pointer: struct right after it, 4 data, 5 ptrs
        1,          0,          1,    0,
        0,          0,          1000, 0,  // sequence, generation, time, heartbeat interval
        0xffffffec, 0x00050004};          // manager: struct at offset -5, the root again
    words.resize(2 + 2 * 10, 0);          // the other four pointers: null
    f.send(frame_of(
        kj::arrayPtr(reinterpret_cast<const capnp::word*>(words.data()), words.size() / 2)));
  }
  SUBCASE("a message of another schema: the root is a list") {
    capnp::MallocMessageBuilder message;
    auto list = message.getRoot<capnp::AnyPointer>().initAs<capnp::List<capnp::Text>>(2);
    list.set(0, "not");
    list.set(1, "a snapshot");
    auto words = capnp::messageToFlatArray(message);
    f.send(frame_of(words));
  }
  SUBCASE("a message of another schema: a struct where a list belongs") {
    // A Snapshot whose `modems` pointer holds a Manager struct.
    capnp::MallocMessageBuilder message;
    auto root = message.initRoot<mmx::schema::Snapshot>();
    root.setGeneration(4);
    root.setHeartbeatIntervalMillis(1000);
    auto any = capnp::toAny(root).getPointerSection();
    any[3].initAs<mmx::schema::Manager>().setVersion("1.20.4");  // pointer 3 is `modems`
    auto words = capnp::messageToFlatArray(message);
    f.send(frame_of(words));
  }
  SUBCASE("a snapshot over a limit: too many modems") {
    mmx::test::SnapshotFixture fixture(1);
    fixture.use_minimal_modems(1025);
    fixture.builder().setGeneration(4);
    f.send(frame_of(fixture.words()));
  }
  SUBCASE("a snapshot over a limit: a device id long enough to amplify") {
    mmx::test::SnapshotFixture fixture(1);
    fixture.modem(0).setDeviceId(std::string(1000, 'a'));
    fixture.builder().setGeneration(4);
    f.send(frame_of(fixture.words()));
  }
  SUBCASE("a heartbeat of the held generation that is over a limit") {
    // The same generation as the valid snapshot held: still checked whole.
    mmx::test::SnapshotFixture fixture(1);
    fixture.builder().setGeneration(3);
    fixture.builder().setSequence(8);
    fixture.modem(0).initBearers(65);
    f.send(frame_of(fixture.words()));
  }
  SUBCASE("end of stream") {
    f.collector.reset();
    refused = 0;
  }

  REQUIRE(mmx::test::eventually([&] { return f.receiver->finished(); }));
  const auto view = f.cache.view();
  CHECK_FALSE(view.connected);
  CHECK(view.rendered == nullptr);
  CHECK(view.frame == nullptr);
  CHECK(view.snapshots_total == 1);  // a counter: it survives the connection
  CHECK(view.snapshots_refused_total == refused);
  CHECK_FALSE(view.up(std::chrono::steady_clock::now()));
  CHECK(view.problem(std::chrono::steady_clock::now()) == "collector not connected");
  if (f.collector) CHECK(f.peer_closed());
}

TEST_CASE("snapshot receiver: a renderer that throws drops the connection") {
  mmx::SnapshotCache cache;
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  mmx::UniqueFd collector(fds[0]);
  mmx::SnapshotReceiver receiver(mmx::UniqueFd(fds[1]), cache,
                                 [](mmx::schema::Snapshot::Reader, mmx::Format) -> std::string {
                                   throw std::runtime_error("renderer bug");
                                 });
  receiver.start();
  const auto frame = snapshot_frame(3, 7);
  REQUIRE(::send(collector.get(), frame.data(), frame.size(), MSG_NOSIGNAL) > 0);
  REQUIRE(mmx::test::eventually([&] { return receiver.finished(); }));
  CHECK(cache.view().rendered == nullptr);
  CHECK(cache.view().snapshots_refused_total == 1);
}

TEST_CASE("snapshot receiver: a snapshot older than three heartbeats means the collector is down") {
  PairFixture f;
  f.send(snapshot_frame(3, 7, 1000));
  REQUIRE(mmx::test::eventually([&] { return f.held(3); }));
  const auto view = f.cache.view();
  const auto received = view.frame->received;
  CHECK(view.up(received + 2999ms));
  CHECK_FALSE(view.up(received + 3000ms));
  CHECK(view.problem(received + 3500ms) == "no snapshot for 3.5s (heartbeat every 1s)");

  // And in real time, with a heartbeat short enough to miss.
  f.send(snapshot_frame(4, 8, 5));
  REQUIRE(mmx::test::eventually([&] { return f.held(4); }));
  CHECK(
      mmx::test::eventually([&] { return !f.cache.view().up(std::chrono::steady_clock::now()); }));
  // Down, but still connected and holding the snapshot: the HTTP side decides
  // not to serve it.
  CHECK(f.cache.view().connected);
}

TEST_CASE("snapshot receiver: stop() ends the thread and clears the cache") {
  PairFixture f;
  f.send(snapshot_frame(3, 7));
  REQUIRE(mmx::test::eventually([&] { return f.held(3); }));
  const auto started = std::chrono::steady_clock::now();
  f.receiver->stop();
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  CHECK_FALSE(f.receiver->finished());  // stopped, not lost
  CHECK(f.cache.view().rendered == nullptr);
  CHECK(f.peer_closed());
}

TEST_CASE("snapshot receiver: by path, it connects when the collector appears and reconnects") {
  char dir_template[] = "/tmp/mmx-receiver-XXXXXX";
  REQUIRE(::mkdtemp(dir_template) != nullptr);
  const std::string path = std::string(dir_template) + "/collector.sock";

  mmx::SnapshotCache cache;
  CountingRenderer render;
  mmx::SnapshotReceiver receiver(path, cache, render.renderer());
  receiver.start();  // nothing listens yet: it retries

  auto listening = mmx::listen_unix(path, 0600);
  REQUIRE_MESSAGE(listening, listening.error());
  mmx::UniqueFd listener = std::move(*listening);
  const auto accept_one = [&] {
    pollfd ready{listener.get(), POLLIN, 0};
    REQUIRE(::poll(&ready, 1, 5000) == 1);
    mmx::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
    REQUIRE(connection);
    return connection;
  };
  const auto send = [](const mmx::UniqueFd& fd, const std::vector<std::byte>& bytes) {
    REQUIRE(::send(fd.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
            static_cast<ssize_t>(bytes.size()));
  };
  const auto held = [&](std::uint64_t generation) {
    auto view = cache.view();
    return view.rendered != nullptr && view.rendered->generation == generation;
  };

  mmx::UniqueFd connection = accept_one();  // the receiver's retry
  send(connection, snapshot_frame(3, 7));
  REQUIRE(mmx::test::eventually([&] { return held(3); }));

  connection.reset();  // the collector restarts
  REQUIRE(mmx::test::eventually([&] { return !cache.view().connected; }));
  CHECK(cache.view().rendered == nullptr);

  const auto lost = std::chrono::steady_clock::now();
  connection = accept_one();
  // A connection that delivered a snapshot resets the backoff to its start.
  CHECK(std::chrono::steady_clock::now() - lost < 1s);
  send(connection, snapshot_frame(3, 1));
  REQUIRE(mmx::test::eventually([&] { return held(3); }));
  CHECK(*render.calls == 4);  // a new connection renders even an equal generation

  receiver.stop();
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}
