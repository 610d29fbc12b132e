#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "service_manager.h"
#include "sockets.h"

namespace {

// A datagram socket in the abstract namespace, standing in for systemd's.
struct FakeNotifySocket {
  FakeNotifySocket() {
    name = "mmx-notify-test-" + std::to_string(::getpid());
    fd = mmx::UniqueFd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length) == 0);
  }
  // The next datagram, or "" when none is waiting.
  std::string next() {
    char buffer[512];
    const ssize_t n = ::recv(fd.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    return n < 0 ? std::string() : std::string(buffer, static_cast<std::size_t>(n));
  }
  std::string name;
  mmx::UniqueFd fd;
};

// Puts `fd` at SD_LISTEN_FDS_START (3) as systemd would, for this process.
struct PassedSocket {
  explicit PassedSocket(int fd) {
    saved = mmx::UniqueFd(::fcntl(3, F_DUPFD_CLOEXEC, 10));  // whatever 3 was, if anything
    REQUIRE(::dup2(fd, 3) == 3);
    ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
    ::setenv("LISTEN_FDS", "1", 1);
  }
  ~PassedSocket() {
    if (saved) {
      ::dup2(saved.get(), 3);
    } else {
      ::close(3);
    }
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
  }
  mmx::UniqueFd saved;
};

std::string temp_socket_path(const char* name) {
  return "/tmp/mmx-unit-" + std::to_string(::getpid()) + "-" + name + ".sock";
}

}  // namespace

TEST_CASE("service manager: notifications reach an abstract NOTIFY_SOCKET, changed status only") {
  FakeNotifySocket systemd;
  ::setenv("NOTIFY_SOCKET", ("@" + systemd.name).c_str(), 1);
  auto notifier = mmx::ServiceNotifier::from_environment();
  CHECK(notifier.active());
  // A process started later must not report in our name.
  CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);

  notifier.ready("serving");
  CHECK(systemd.next() == "READY=1\nSTATUS=serving");
  notifier.status("serving");
  CHECK(systemd.next().empty());
  notifier.status("2 frontends");
  CHECK(systemd.next() == "STATUS=2 frontends");
  notifier.watchdog();
  CHECK(systemd.next() == "WATCHDOG=1");
  notifier.stopping("Stopping");
  CHECK(systemd.next() == "STOPPING=1\nSTATUS=Stopping");
}

TEST_CASE("service manager: without NOTIFY_SOCKET nothing is sent and nothing fails") {
  ::unsetenv("NOTIFY_SOCKET");
  auto notifier = mmx::ServiceNotifier::from_environment();
  CHECK_FALSE(notifier.active());
  notifier.ready("serving");
  notifier.watchdog();
}

TEST_CASE("service manager: the watchdog interval is half of WATCHDOG_USEC, taken once") {
  ::setenv("WATCHDOG_USEC", "400000", 1);
  ::unsetenv("WATCHDOG_PID");
  auto interval = mmx::ServiceNotifier::watchdog_interval();
  REQUIRE(interval.has_value());
  CHECK(interval->count() == 200000);
  CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
  CHECK_FALSE(mmx::ServiceNotifier::watchdog_interval().has_value());
}

TEST_CASE("service manager: no socket passed means bind it yourself") {
  ::unsetenv("LISTEN_FDS");
  auto fd = mmx::take_systemd_unix_listener("/run/mm-exporter/collector.sock");
  REQUIRE_MESSAGE(fd, fd.error());
  CHECK_FALSE(fd->valid());
}

TEST_CASE("service manager: the passed Unix socket bound to the path is taken over") {
  const std::string path = temp_socket_path("match");
  auto listener = mmx::listen_unix(path, 0600);
  REQUIRE_MESSAGE(listener, listener.error());
  {
    PassedSocket passed(listener->get());
    auto fd = mmx::take_systemd_unix_listener(path);
    REQUIRE_MESSAGE(fd, fd.error());
    CHECK(fd->get() == 3);
    CHECK((::fcntl(fd->get(), F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(std::getenv("LISTEN_FDS") == nullptr);
    fd->release();  // PassedSocket closes 3
  }
  ::unlink(path.c_str());
}

TEST_CASE("service manager: a passed socket for another path, or for no path, is an error") {
  const std::string path = temp_socket_path("other");
  auto listener = mmx::listen_unix(path, 0600);
  REQUIRE_MESSAGE(listener, listener.error());
  {
    PassedSocket passed(listener->get());
    auto fd = mmx::take_systemd_unix_listener("/run/mm-exporter/collector.sock");
    REQUIRE_FALSE(fd);
    CHECK(fd.error() ==
          "systemd passed descriptor 3, which is not a listening Unix stream socket bound to "
          "/run/mm-exporter/collector.sock");
  }
  {
    PassedSocket passed(listener->get());
    auto fd = mmx::take_systemd_unix_listener("");
    REQUIRE_FALSE(fd);
    CHECK(fd.error().find("only split mode") != std::string::npos);
  }
  ::unlink(path.c_str());
}
