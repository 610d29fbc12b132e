#pragma once
// One-command mode: the collector starts the frontend binary (posix_spawn,
// so it gets a fresh address space, OpenSSH style), hands it the listening
// sockets and its end of a socketpair, and restarts it with backoff when it
// dies. The collector keeps its own copies of the listening sockets open, so
// connections that arrive while a frontend restarts wait in the backlog
// instead of being refused.
//
// The frontend starts as the collector's user (root) and confines itself
// before it reads anything (frontend/sandbox/sandbox.h): a network namespace of its
// own, an empty root, the frontend user with no capability, a seccomp
// allowlist. Doing it there, in one function, keeps posix_spawn here and
// covers a frontend started by hand or by systemd the same way.

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

#include "event_loop.h"
#include "expected.h"
#include "snapshot_publisher.h"
#include "unique_fd.h"

namespace mmx {

struct FrontendOptions {
  std::string binary;
  std::vector<std::string> extra_args;  // flags passed through to the frontend
};

class FrontendSupervisor {
 public:
  FrontendSupervisor(EventLoop& loop, SnapshotPublisher& publisher, FrontendOptions options,
                     std::vector<UniqueFd> listen_fds);
  ~FrontendSupervisor();
  FrontendSupervisor(const FrontendSupervisor&) = delete;
  FrontendSupervisor& operator=(const FrontendSupervisor&) = delete;

  [[nodiscard]] Expected<> start();
  // Call on SIGCHLD. Returns false when the supervisor gave up (too many
  // fast crashes): the collector should then exit with an error.
  bool reap();
  // Starts a new frontend, then sends the running one SIGTERM: the new one
  // reads its configuration (--web.config.file) again. The listening
  // sockets stay open throughout, so no connection is refused. When the new
  // one cannot be started the running one is kept.
  void restart();
  // SIGTERM to the frontend (and to one being replaced), then SIGKILL after
  // `grace`.
  void stop(std::chrono::milliseconds grace);
  pid_t pid() const { return pid_; }

 private:
  [[nodiscard]] Expected<> spawn();
  void schedule_restart();

  EventLoop& loop_;
  SnapshotPublisher& publisher_;
  FrontendOptions options_;
  std::vector<UniqueFd> listen_fds_;
  pid_t pid_ = -1;
  // Frontends replaced by restart() that have not exited yet.
  std::vector<pid_t> retiring_;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::milliseconds backoff_{100};
  int fast_crashes_ = 0;
  bool stopping_ = false;
  bool restart_scheduled_ = false;
};

}  // namespace mmx
