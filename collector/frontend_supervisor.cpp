#include "frontend_supervisor.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "child_spawn.h"
#include "errno_text.h"
#include "log.h"

namespace mmx {
namespace {

constexpr std::chrono::milliseconds kMaxBackoff{5000};
// A frontend that lived this long was healthy; its death resets the backoff.
constexpr std::chrono::seconds kHealthyUptime{10};
// This many deaths in a row, each before kHealthyUptime, and the collector
// gives up and exits 1 (systemd's default start limit is 5 in 10 s too): a
// frontend that cannot start (a sandbox it cannot enter, a port it cannot
// serve) will not start on the next try either, and a service manager or an
// operator must see that rather than a collector restarting it forever.
// With the backoff, the last try is some 1.5 s after the first.
constexpr int kMaxFastCrashes = 5;
// First descriptor number the frontend receives: 3 = collector, 4.. = HTTP.
constexpr int kFirstChildFd = 3;
// A replaced frontend finishes its requests within 2 s of SIGTERM; one that
// has not exited after this long gets SIGKILL.
constexpr std::chrono::seconds kRetireGrace{5};

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS) {
    return "killed by its syscall filter (SIGSYS): it made a syscall outside the sandbox's "
           "allowlist; --sandbox-mode=log names it in the kernel log";
  }
  if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

}  // namespace

FrontendSupervisor::FrontendSupervisor(EventLoop& loop, SnapshotPublisher& publisher,
                                       FrontendOptions options, std::vector<UniqueFd> listen_fds)
    : loop_(loop),
      publisher_(publisher),
      options_(std::move(options)),
      listen_fds_(std::move(listen_fds)) {}

FrontendSupervisor::~FrontendSupervisor() {
  stop(std::chrono::milliseconds(2000));
}

Expected<> FrontendSupervisor::start() {
  return spawn();
}

Expected<> FrontendSupervisor::spawn() {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
    return fail(errno_text("socketpair"));
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);

  // Move every descriptor the child gets above the target range first, so
  // the dup2 sequence below cannot overwrite one before it is copied.
  std::vector<UniqueFd> sources;
  sources.emplace_back(::fcntl(theirs.get(), F_DUPFD_CLOEXEC, 100));
  for (const auto& fd : listen_fds_) sources.emplace_back(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 100));

  std::vector<std::string> args = {options_.binary,
                                   "--collector-fd=" + std::to_string(kFirstChildFd)};
  ChildSpawn child;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const int target = kFirstChildFd + static_cast<int>(i);
    child.dup2(sources[i].get(), target);
    if (i > 0) args.push_back("--listen-fd=" + std::to_string(target));
  }
  for (const auto& a : options_.extra_args) args.push_back(a);

  const auto pid = child.spawn(std::move(args));
  if (!pid) return fail("cannot start " + options_.binary + ": " + pid.error());
  pid_ = *pid;
  started_at_ = std::chrono::steady_clock::now();
  publisher_.add_frontend(std::move(ours), "frontend pid " + std::to_string(pid_));
  log_info("started frontend", {{"pid", std::to_string(pid_)}, {"binary", options_.binary}});
  return {};
}

bool FrontendSupervisor::reap() {
  for (;;) {
    int status = 0;
    const pid_t pid = ::waitpid(-1, &status, WNOHANG);
    if (pid <= 0) break;
    if (auto it = std::find(retiring_.begin(), retiring_.end(), pid); it != retiring_.end()) {
      retiring_.erase(it);
      log_info("replaced frontend exited",
               {{"pid", std::to_string(pid)}, {"status", describe_exit(status)}});
      continue;
    }
    if (pid != pid_) continue;
    pid_ = -1;
    if (stopping_) continue;
    const auto uptime = std::chrono::steady_clock::now() - started_at_;
    if (uptime >= kHealthyUptime) {
      backoff_ = std::chrono::milliseconds(100);
      fast_crashes_ = 0;
    } else {
      ++fast_crashes_;
    }
    const std::string how = describe_exit(status);
    if (fast_crashes_ >= kMaxFastCrashes) {
      log_error("frontend keeps dying right after it starts; giving up, exiting",
                {{"deaths", std::to_string(fast_crashes_)},
                 {"within", std::to_string(kHealthyUptime.count()) + "s of start each"},
                 {"last", how}});
      return false;
    }
    log_error("frontend exited",
              {{"status", how}, {"restart_in", std::to_string(backoff_.count()) + "ms"}});
    schedule_restart();
  }
  return true;
}

void FrontendSupervisor::schedule_restart() {
  if (restart_scheduled_) return;
  restart_scheduled_ = true;
  loop_.schedule_after(backoff_, [this] {
    restart_scheduled_ = false;
    if (stopping_ || pid_ > 0) return;
    if (auto started = spawn(); !started) {
      log_error("cannot restart frontend", {{"err", started.error()}});
      schedule_restart();
    }
  });
  backoff_ = std::min(backoff_ * 2, kMaxBackoff);
}

void FrontendSupervisor::restart() {
  if (stopping_) return;
  const pid_t old = pid_;
  if (auto started = spawn(); !started) {
    log_error("cannot start a new frontend; keeping the running one", {{"err", started.error()}});
    if (old <= 0) schedule_restart();
    return;
  }
  if (old <= 0) return;
  retiring_.push_back(old);
  ::kill(old, SIGTERM);
  log_info("replacing frontend", {{"old_pid", std::to_string(old)}, {"pid", std::to_string(pid_)}});
  loop_.schedule_after(kRetireGrace, [this, old] {
    // Still listed means not reaped yet, so the pid is still that process.
    if (std::find(retiring_.begin(), retiring_.end(), old) != retiring_.end()) {
      log_warn("replaced frontend still running; killing it", {{"pid", std::to_string(old)}});
      ::kill(old, SIGKILL);
    }
  });
}

void FrontendSupervisor::stop(std::chrono::milliseconds grace) {
  stopping_ = true;
  std::vector<pid_t> pids = retiring_;
  retiring_.clear();
  if (pid_ > 0) pids.push_back(pid_);
  pid_ = -1;
  for (pid_t pid : pids) ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!pids.empty() && std::chrono::steady_clock::now() < deadline) {
    std::erase_if(pids, [](pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) == pid; });
    if (!pids.empty()) ::usleep(10'000);
  }
  for (pid_t pid : pids) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
}

}  // namespace mmx
