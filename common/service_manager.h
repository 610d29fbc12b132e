#pragma once
// What both binaries say to and take from systemd when it runs them:
// readiness and status (the sd_notify(3) protocol), the watchdog, and
// listening sockets passed by socket activation. Started by hand, none of it
// does anything.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "expected.h"
#include "unique_fd.h"

namespace mmx {

// The service manager's notification socket, connected once at start-up.
// libsystemd's sd_notify() opens a socket and sends to $NOTIFY_SOCKET on
// every call; this keeps one connected descriptor instead, because:
// - the frontend reports after it has locked itself down, when socket() is
//   no longer allowed and the socket's path may be out of its root, while a
//   write(2) on a descriptor it already holds still works;
// - the variable is removed from the environment, so a process we start
//   (the collector's frontend) cannot report in our name.
class ServiceNotifier {
 public:
  // Connects to $NOTIFY_SOCKET (a path, or "@name" in the abstract
  // namespace) and unsets it. Without the variable, or when the connection
  // fails (logged), the notifier is inactive and every call does nothing.
  static ServiceNotifier from_environment();

  bool active() const { return fd_.valid(); }
  // READY=1 with a STATUS= line, once start-up is complete.
  void ready(std::string_view status);
  // STATUS=, shown by systemctl status; sent only when it changed.
  void status(std::string_view status);
  void stopping(std::string_view status);
  void watchdog();

  // The interval at which watchdog() must be called (half what systemd
  // expects, as sd_watchdog_enabled(3) advises), when systemd asked for it
  // with WATCHDOG_USEC for this process. Unsets the variables.
  static std::optional<std::chrono::microseconds> watchdog_interval();

 private:
  explicit ServiceNotifier(UniqueFd fd) : fd_(std::move(fd)) {}
  void send(const std::string& message);

  UniqueFd fd_;
  std::string last_status_;
};

// Socket activation of the collector's snapshot socket: when systemd passed
// listening sockets (LISTEN_FDS for this process), returns the one that is a
// listening Unix stream socket bound to `path`, and unsets the variables.
// Returns an invalid descriptor when nothing was passed (the caller binds
// `path` itself); an error when something was passed but not exactly that
// one socket. With `path` empty no socket is expected, and any passed is an
// error (it would leak into the processes we start).
[[nodiscard]] Expected<UniqueFd> take_systemd_unix_listener(const std::string& path);

}  // namespace mmx
