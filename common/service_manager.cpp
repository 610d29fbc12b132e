#include "service_manager.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>

#include "errno_text.h"
#include "log.h"

namespace mmx {

ServiceNotifier ServiceNotifier::from_environment() {
  const char* value = std::getenv("NOTIFY_SOCKET");
  if (value == nullptr || value[0] == '\0') return ServiceNotifier(UniqueFd());
  const std::string path = value;
  ::unsetenv("NOTIFY_SOCKET");

  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if ((path[0] != '/' && path[0] != '@') || path.size() >= sizeof address.sun_path) {
    log_warn("NOTIFY_SOCKET is not a path or abstract socket name; not notifying systemd",
             {{"socket", path}});
    return ServiceNotifier(UniqueFd());
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  // "@name" is Linux's abstract namespace: a leading NUL, no terminator.
  if (path[0] == '@') address.sun_path[0] = '\0';
  const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                             (path[0] == '@' ? 0 : 1));

  // Non-blocking: a status line is not worth stalling the event loop for,
  // should systemd's queue be full.
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd || ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), length) != 0) {
    log_warn("cannot connect to systemd's notification socket",
             {{"socket", path}, {"err", errno_text()}});
    return ServiceNotifier(UniqueFd());
  }
  return ServiceNotifier(std::move(fd));
}

void ServiceNotifier::send(const std::string& message) {
  if (!fd_) return;
  // write(2), not sendmsg(2): the descriptor is connected, and the frontend's
  // seccomp filter allows write on any descriptor it holds. systemd learns
  // our pid from the kernel (SO_PASSCRED on its end).
  if (::write(fd_.get(), message.data(), message.size()) < 0) {
    log_warn("cannot notify systemd", {{"err", errno_text()}});
  }
}

void ServiceNotifier::ready(std::string_view status) {
  last_status_ = std::string(status);
  send("READY=1\nSTATUS=" + last_status_);
}

void ServiceNotifier::status(std::string_view status) {
  if (status == last_status_) return;
  last_status_ = std::string(status);
  send("STATUS=" + last_status_);
}

void ServiceNotifier::stopping(std::string_view status) {
  last_status_ = std::string(status);
  send("STOPPING=1\nSTATUS=" + last_status_);
}

void ServiceNotifier::watchdog() {
  send("WATCHDOG=1");
}

std::optional<std::chrono::microseconds> ServiceNotifier::watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(/*unset_environment=*/1, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

Expected<UniqueFd> take_systemd_unix_listener(const std::string& path) {
  const int count = sd_listen_fds(/*unset_environment=*/1);
  if (count < 0) return fail(errno_text("sockets passed by systemd", -count));
  UniqueFd found;
  std::string error;
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
    UniqueFd passed(fd);
    if (!found && !path.empty() &&
        sd_is_socket_unix(fd, SOCK_STREAM, /*listening=*/1, path.c_str(), 0) > 0) {
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
      found = std::move(passed);
      continue;
    }
    // Anything else passed is a unit configured for something this process
    // does not do; serving it half would hide that. The loop goes on, so
    // every passed descriptor is closed; the error names the last.
    if (!path.empty()) {
      error = "systemd passed descriptor " + std::to_string(fd) +
              ", which is not a listening Unix stream socket bound to " + path;
    }
  }
  if (!error.empty()) return fail(error);
  if (count > 0 && path.empty()) {
    return fail(
        "systemd passed listening sockets, but only split mode (--collector-socket) takes one");
  }
  if (count > 0 && !found) return fail("systemd passed no listening socket bound to " + path);
  return found;
}

}  // namespace mmx
