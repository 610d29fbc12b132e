// Bytes as a client on the network could send them, through the real
// frontend: the connection gate's head screening and the request parser and
// handlers, over a real socket, with a real snapshot being served.
//
// Two properties besides "no crash, no sanitizer report": the head scanner
// gives the same verdict fed in two pieces as fed whole, and whatever the
// server sends back is HTTP/1.1 responses, never more than one per request
// line sent.

#include <capnp/serialize.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "exposition.h"
#include "framing.h"
#include "http_server.h"
#include "log.h"
#include "request_head.h"
#include "snapshot_cache.h"
#include "snapshot_receiver.h"
#include "unique_fd.h"

namespace {

using namespace std::chrono_literals;

void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "property violated: %s\n", what);
    std::abort();
  }
}

// The frontend minus main(), serving one scenario's snapshot on an abstract
// unix socket (no file, nothing to clean up).
struct Frontend {
  mmx::SnapshotCache cache;
  mmx::UniqueFd collector;
  std::unique_ptr<mmx::SnapshotReceiver> receiver;
  std::unique_ptr<mmx::HttpServer> http;
  sockaddr_un address{};
  socklen_t address_length = 0;

  Frontend() {
    mmx::set_log_level(mmx::LogLevel::kError);
    int fds[2];
    check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0, "socketpair");
    collector.reset(fds[0]);
    receiver = std::make_unique<mmx::SnapshotReceiver>(
        mmx::UniqueFd(fds[1]), cache, [](mmx::schema::Snapshot::Reader s, mmx::Format f) {
          return mmx::render_exposition(s, f);
        });
    receiver->start();
    send_scenario(MMX_SOURCE_DIR "/tests/fuzz/corpus/snapshot/5g-dual-sim.words");

    mmx::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    address.sun_family = AF_UNIX;
    const std::string name = "mmx-fuzz-http-" + std::to_string(::getpid());
    std::copy(name.begin(), name.end(), address.sun_path + 1);  // abstract: sun_path[0] == 0
    address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    check(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), address_length) == 0,
          "bind");
    check(::listen(listener.get(), 64) == 0, "listen");
    mmx::HttpOptions options;
    options.max_requests = 4;
    http = std::make_unique<mmx::HttpServer>(cache, options);
    http->add_listener(std::move(listener));
    check(static_cast<bool>(http->start(nullptr)), "start");
  }

  void send_scenario(const char* path) {
    std::ifstream file(path, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(file)), {});
    check(!bytes.empty() && bytes.size() % sizeof(capnp::word) == 0, "scenario file");
    auto words = kj::heapArray<capnp::word>(bytes.size() / sizeof(capnp::word));
    std::memcpy(words.begin(), bytes.data(), bytes.size());
    capnp::FlatArrayMessageReader reader(words.asPtr());
    capnp::MallocMessageBuilder message;
    message.setRoot(reader.getRoot<mmx::schema::Snapshot>());
    const auto frame = mmx::encode_frame(message);
    check(::send(collector.get(), frame.data(), frame.size(), MSG_NOSIGNAL) ==
              static_cast<ssize_t>(frame.size()),
          "send snapshot");
    for (int i = 0; i < 500 && cache.view().rendered == nullptr; ++i) {
      std::this_thread::sleep_for(1ms);
    }
    check(cache.view().rendered != nullptr, "snapshot served");
  }

  // Sends `first`, then `second`, then ends the request side; returns all
  // the server sent until it closed.
  std::string exchange(std::string_view first, std::string_view second) {
    mmx::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    check(::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), address_length) == 0,
          "connect");
    timeval timeout{5, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    (void)::send(fd.get(), first.data(), first.size(), MSG_NOSIGNAL);
    (void)::send(fd.get(), second.data(), second.size(), MSG_NOSIGNAL);
    ::shutdown(fd.get(), SHUT_WR);
    std::string received;
    char buffer[65536];
    while (true) {
      const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, 0);
      if (n <= 0) break;
      received.append(buffer, static_cast<std::size_t>(n));
    }
    return received;
  }
};

std::size_t count_of(std::string_view text, std::string_view part) {
  std::size_t n = 0;
  for (auto at = text.find(part); at != std::string_view::npos; at = text.find(part, at + 1)) {
    ++n;
  }
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Frontend frontend;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte picks where the input is split in two.
  const std::size_t split = size == 0 ? 0 : (data[0] * size) / 256;

  // The scanner gives one verdict, however the bytes arrive.
  const mmx::HeadScan whole = mmx::scan_request_head(input);
  mmx::HeadScanner scanner;
  mmx::HeadScan pieces = scanner.scan(input.substr(0, split));
  if (pieces.state == mmx::HeadScan::State::kIncomplete) pieces = scanner.scan(input);
  check(pieces.state == whole.state, "same state in pieces as whole");
  check(pieces.status == whole.status, "same status in pieces as whole");
  check(pieces.length == whole.length, "same length in pieces as whole");
  check(pieces.begin == whole.begin, "same start in pieces as whole");
  if (whole.state == mmx::HeadScan::State::kComplete) {
    // What httplib is handed passes the same screening, unchanged.
    const std::string_view head = input.substr(whole.begin, whole.length - whole.begin);
    if (const auto rewritten = mmx::library_head(head)) {
      const mmx::HeadScan again = mmx::scan_request_head(*rewritten);
      check(again.state == mmx::HeadScan::State::kComplete && again.length == rewritten->size(),
            "a rewritten head is a whole head that passes the screening");
      check(!mmx::library_head(*rewritten), "a rewritten head needs no further rewrite");
    }
  }

  const std::string reply = frontend.exchange(input.substr(0, split), input.substr(split));
  if (!reply.empty()) {
    check(reply.rfind("HTTP/1.1 ", 0) == 0, "a reply starts with a status line");
  }
  // A response per request at most: a request starts with a line, so
  // there are never more responses than line ends sent (plus none).
  check(count_of(reply, "HTTP/1.1 ") <= count_of(input, "\n") + 1,
        "no more responses than requests");
  return 0;
}
