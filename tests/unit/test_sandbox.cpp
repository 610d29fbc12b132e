// The frontend's sandbox, exercised for real: each case forks a child that
// loads the production filter (install_syscall_filter(), the very function
// enter_sandbox() calls) and then tries one thing; the parent reads how the
// child ended. As root, enter_sandbox() itself runs in a child and the
// parent inspects it through /proc, as an operator would.
//
// docs/SECURITY.md's rule table is generated from syscall_filter_rules();
// regenerate with: MMX_UPDATE_DOCS=1 ./build/bin/unit-tests -tc='sandbox: docs*'

#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "frontend_privileges.h"
#include "log.h"
#include "sandbox.h"
#include "seccomp_filter.h"
#include "test_support.h"
#include "unique_fd.h"

namespace {

using namespace std::chrono_literals;

// The sanitizers' runtimes make syscalls of their own (sigaltstack() on the
// way out of _exit(), among others), which the production filter rightly
// forbids: the shipped frontend has no sanitizer. The filter tests run in
// the plain build; under ASan/UBSan CTest counts them as skipped.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif
#define SKIP_WHEN_SANITIZED()                                                                   \
  if (kSanitized)                                                                               \
  MMX_SKIP_TEST(                                                                                \
      "the sanitizer runtime's own syscalls are outside the filter; the plain build runs this " \
      "test")

struct Ending {
  bool exited = false;
  int code = -1;   // when exited
  int signal = 0;  // when killed

  bool killed_by(int sig) const { return !exited && signal == sig; }
};

std::string describe(const Ending& e) {
  return e.exited ? "exited " + std::to_string(e.code)
                  : "killed by signal " + std::to_string(e.signal);
}

Ending wait_for_child(pid_t pid) {
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  Ending e;
  e.exited = WIFEXITED(status);
  if (e.exited) e.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) e.signal = WTERMSIG(status);
  return e;
}

// Exit codes of a sandboxed child that did not die.
constexpr int kOk = 0;
constexpr int kFilterFailed = 90;
constexpr int kUnexpected = 91;

// Forks; the child loads the production filter, runs `body` and exits with
// what it returns. Only async-signal-safe work and raw syscalls in `body`:
// the child is a copy of a multi-threaded test process.
Ending run_filtered(const std::function<int()>& body, mmx::SyscallFilterOptions options = {}) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    // The frontend installs no signal handler; doctest's would run on
    // SIGTERM and SIGABRT and restore dispositions the filter forbids.
    for (int sig = 1; sig < SIGRTMIN; ++sig) ::signal(sig, SIG_DFL);
    if (!mmx::install_syscall_filter(options)) ::_exit(kFilterFailed);
    ::_exit(body());
  }
  return wait_for_child(pid);
}

// `call` must kill a filtered child with SIGSYS.
void check_killed(const char* what, const std::function<void()>& call,
                  mmx::SyscallFilterOptions options = {}) {
  const Ending e = run_filtered(
      [&] {
        call();
        return kUnexpected;
      },
      options);
  CHECK_MESSAGE(e.killed_by(SIGSYS), std::string(what) << ": " << describe(e));
}

int expect_errno(long rc, int error) {
  return rc == -1 && errno == error ? kOk : kUnexpected;
}

}  // namespace

TEST_CASE("sandbox: forbidden syscalls kill the process with SIGSYS") {
  SKIP_WHEN_SANITIZED();
  check_killed("execve", [] {
    const char* argv[] = {"/bin/true", nullptr};
    ::syscall(SYS_execve, "/bin/true", argv, nullptr);
  });
  check_killed("openat for writing",
               [] { ::syscall(SYS_openat, AT_FDCWD, "/tmp/mmx-x", O_WRONLY | O_CREAT, 0600); });
  check_killed("openat O_TMPFILE",
               [] { ::syscall(SYS_openat, AT_FDCWD, "/tmp", O_TMPFILE | O_RDWR, 0600); });
  check_killed("socket(AF_INET)", [] { ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); });
  check_killed("socket(AF_INET6)", [] { ::syscall(SYS_socket, AF_INET6, SOCK_DGRAM, 0); });
  check_killed("socket(AF_NETLINK)", [] { ::syscall(SYS_socket, AF_NETLINK, SOCK_RAW, 0); });
  check_killed("socket(AF_UNIX) without --collector-socket",
               [] { ::syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0); });
  check_killed("ptrace", [] { ::syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0); });
  check_killed("setuid(0)", [] { ::syscall(SYS_setuid, 0); });
  check_killed("setresuid", [] { ::syscall(SYS_setresuid, 0, 0, 0); });
  check_killed("setgid(0)", [] { ::syscall(SYS_setgid, 0); });
  check_killed("clone as fork", [] { ::syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); });
  check_killed("fork()", [] { ::fork(); });
#ifdef SYS_vfork  // aarch64 has none
  check_killed("vfork", [] { ::syscall(SYS_vfork); });
#endif
  check_killed("clone of a thread in a new user namespace", [] {
    ::syscall(SYS_clone,
              CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                  CLONE_NEWUSER,
              0, 0, 0, 0);
  });
  check_killed("clone of a thread with an exit signal", [] {
    ::syscall(
        SYS_clone,
        CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM | SIGCHLD,
        0, 0, 0, 0);
  });
  check_killed("unshare", [] { ::syscall(SYS_unshare, CLONE_NEWNET); });
  check_killed("mount", [] { ::syscall(SYS_mount, "none", "/", "tmpfs", 0, nullptr); });
  check_killed("chroot", [] { ::syscall(SYS_chroot, "/"); });
  check_killed("bind", [] {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ::syscall(SYS_bind, 0, &address, sizeof address);
  });
  check_killed("listen", [] { ::syscall(SYS_listen, 0, 1); });
  check_killed("connect without --collector-socket", [] {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    ::syscall(SYS_connect, 0, &address, sizeof address);
  });
  check_killed("mmap PROT_EXEC", [] {
#ifdef SYS_mmap2  // 32-bit ARM maps through mmap2 only
    ::syscall(SYS_mmap2, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#else
    ::syscall(SYS_mmap, 0, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
#endif
  });
  check_killed("mprotect PROT_EXEC", [] {
    static char page[4096] __attribute__((aligned(4096)));
    ::syscall(SYS_mprotect, page, sizeof page, PROT_READ | PROT_EXEC);
  });
  check_killed("kill of another process", [] { ::syscall(SYS_kill, 1, 0); });
  check_killed("prlimit64 setting a limit", [] {
    rlimit limit{1024, 1024};
    ::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &limit, nullptr);
  });
  check_killed("setsockopt attaching a socket filter", [] {
    sock_fprog program{};
    ::syscall(SYS_setsockopt, 0, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program);
  });
  check_killed("rt_sigaction of SIGTERM", [] {
    struct sigaction action {};
    action.sa_handler = SIG_IGN;
    ::syscall(SYS_rt_sigaction, SIGTERM, &action, nullptr, 8);
  });
  check_killed("prctl", [] { ::syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0); });
  check_killed("ioctl", [] { ::syscall(SYS_ioctl, 0, 0, 0); });
  check_killed("bpf", [] { ::syscall(SYS_bpf, 0, nullptr, 0); });
#if defined(__x86_64__)
  // The architecture is checked before any rule: an allowed syscall made
  // through another ABI is killed too.
  check_killed("getpid through the x32 ABI", [] { ::syscall(0x40000000 | SYS_getpid); });
  const auto i386_getpid = [] {
    long result = 20;  // __NR_getpid on i386
    asm volatile("int $0x80" : "+a"(result) : : "memory");
  };
  // Some kernels (and virtual machines) refuse the i386 ABI altogether,
  // with SIGSEGV, filter or not: there, the call must still never succeed.
  const pid_t probe = ::fork();
  REQUIRE(probe >= 0);
  if (probe == 0) {
    for (int sig = 1; sig < SIGRTMIN; ++sig) ::signal(sig, SIG_DFL);  // not doctest's handlers
    i386_getpid();
    ::_exit(kOk);
  }
  const Ending unfiltered = wait_for_child(probe);
  if (unfiltered.exited) {
    check_killed("getpid through the i386 ABI (int 0x80)", i386_getpid);
  } else {
    MESSAGE("this kernel refuses the i386 ABI itself: " << describe(unfiltered));
    const Ending filtered = run_filtered([&] {
      i386_getpid();
      return kUnexpected;
    });
    CHECK_MESSAGE(filtered.killed_by(unfiltered.signal), describe(filtered));
  }
#endif
}

TEST_CASE("sandbox: harmless probes are answered, not killed") {
  SKIP_WHEN_SANITIZED();
  CHECK(run_filtered([] {
          return expect_errno(::syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC),
                              EACCES);
        }).code == kOk);
  CHECK(run_filtered([] {
          struct stat st {};
          return expect_errno(::stat("/etc/passwd", &st), EACCES);
        }).code == kOk);
  CHECK(run_filtered([] {
          struct stat st {};
          return expect_errno(::fstat(0, &st), EACCES);
        }).code == kOk);
  // clone3's flags are out of the filter's reach: glibc falls back to clone.
  CHECK(run_filtered([] { return expect_errno(::syscall(SYS_clone3, nullptr, 0), ENOSYS); }).code ==
        kOk);
}

TEST_CASE("sandbox: what the frontend does after locking down keeps working") {
  SKIP_WHEN_SANITIZED();
  SUBCASE("threads, mutexes, condition variables, sleeps, big allocations") {
    const Ending e = run_filtered([] {
      std::mutex mutex;
      std::condition_variable cv;
      int done = 0;
      std::vector<std::thread> threads;
      for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
          std::this_thread::sleep_for(1ms);
          std::vector<char> big(64u << 20, 'x');  // mmap'd by malloc
          std::lock_guard lock(mutex);
          done += big[12345] == 'x';
          cv.notify_one();
        });
      }
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return done == 8; });
      }
      for (auto& t : threads) t.join();
      (void)std::chrono::steady_clock::now();
      (void)std::chrono::system_clock::now();
      return kOk;
    });
    CHECK_MESSAGE(e.exited, describe(e));
    CHECK(e.code == kOk);
  }

  SUBCASE("accept4 and poll on a listening socket, sendmsg and read on a socketpair") {
    // Everything is opened before the filter, as in the frontend.
    char dir[] = "/tmp/mmx-sandbox-XXXXXX";
    REQUIRE(::mkdtemp(dir) != nullptr);
    const std::string path = std::string(dir) + "/listen.sock";
    mmx::UniqueFd listener(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, path.c_str(), path.size());
    REQUIRE(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    REQUIRE(::listen(listener.get(), 4) == 0);
    mmx::UniqueFd client(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    int pair[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) == 0);
    mmx::UniqueFd collector(pair[0]);
    mmx::UniqueFd frontend(pair[1]);
    REQUIRE(::write(collector.get(), "snapshot", 8) == 8);

    const Ending e = run_filtered([&] {
      pollfd ready{listener.get(), POLLIN, 0};
      if (::poll(&ready, 1, 1000) != 1) return 10;
      mmx::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!connection) return 11;
      char request[4];
      if (::send(client.get(), "GET ", 4, MSG_NOSIGNAL) != 4) return 12;
      if (::recv(connection.get(), request, sizeof request, 0) != 4) return 13;
      char reply[] = "200 OK";
      iovec part{reply, sizeof reply};
      msghdr message{};
      message.msg_iov = &part;
      message.msg_iovlen = 1;
      if (::sendmsg(connection.get(), &message, MSG_NOSIGNAL) != sizeof reply) return 14;
      char snapshot[8];
      if (::read(frontend.get(), snapshot, sizeof snapshot) != 8) return 16;
      return std::memcmp(snapshot, "snapshot", 8) == 0 ? kOk : 17;
    });
    CHECK_MESSAGE(e.exited, describe(e));
    CHECK(e.code == kOk);
    ::unlink(path.c_str());
    ::rmdir(dir);
  }

  SUBCASE("signalling itself; abort() still aborts") {
    const Ending term = run_filtered([] {
      ::kill(::getpid(), SIGTERM);
      return kUnexpected;
    });
    CHECK_MESSAGE(term.killed_by(SIGTERM), describe(term));
    const Ending aborted = run_filtered([]() -> int { std::abort(); });
    CHECK_MESSAGE(aborted.killed_by(SIGABRT), describe(aborted));
  }

#if !defined(__SANITIZE_ADDRESS__)
  SUBCASE("glibc's own fatal errors still print and abort") {
    // "free(): double free detected": glibc writes the message with writev.
    const Ending e = run_filtered([] {
      void* p = std::malloc(32);
      void* volatile again = p;
      std::free(p);
      std::free(again);
      return kUnexpected;
    });
    CHECK_MESSAGE(e.killed_by(SIGABRT), describe(e));
  }
#endif

  SUBCASE("reading its own descriptor limit") {
    CHECK(run_filtered([] {
            rlimit limit{};
            return ::getrlimit(RLIMIT_NOFILE, &limit) == 0 ? kOk : kUnexpected;
          }).code == kOk);
  }
}

TEST_CASE("sandbox: --collector-socket allows reconnecting by Unix socket, and nothing more") {
  SKIP_WHEN_SANITIZED();
  mmx::SyscallFilterOptions by_path;
  by_path.allow_unix_connect = true;
  const Ending e = run_filtered(
      [] {
        mmx::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
        if (!fd) return 10;
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::strcpy(address.sun_path, "/nonexistent/collector.sock");
        const int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address);
        return rc == -1 && errno == ENOENT ? kOk : 11;
      },
      by_path);
  CHECK_MESSAGE(e.exited, describe(e));
  CHECK(e.code == kOk);
  check_killed(
      "socket(AF_INET)", [] { ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); }, by_path);
  check_killed(
      "socket(AF_UNIX, SOCK_DGRAM)", [] { ::syscall(SYS_socket, AF_UNIX, SOCK_DGRAM, 0); },
      by_path);
}

TEST_CASE("sandbox: log mode lets a forbidden syscall through") {
  SKIP_WHEN_SANITIZED();
  mmx::SyscallFilterOptions log;
  log.mode = mmx::SandboxMode::kLog;
  const Ending e = run_filtered(
      [] {
        const long fd = ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
        return fd >= 0 ? kOk : kUnexpected;
      },
      log);
  CHECK_MESSAGE(e.exited, describe(e));
  CHECK(e.code == kOk);
}

TEST_CASE("sandbox: the rules allow nothing that makes or reaches a process, file or network") {
  for (const std::string& arch : mmx::reviewed_architectures()) {
    for (bool by_path : {false, true}) {
      CAPTURE(arch);
      mmx::SyscallFilterOptions options;
      options.allow_unix_connect = by_path;
      const auto rules = mmx::syscall_filter_rules(options, arch);
      REQUIRE_MESSAGE(!rules.empty(), "libseccomp does not know " << arch);
      std::set<std::string> allowed;
      for (const mmx::SyscallRule& rule : rules) {
        if (rule.action == "allow") allowed.insert(rule.syscall);
      }
      for (const char* forbidden : {"execve",
                                    "execveat",
                                    "fork",
                                    "vfork",
                                    "clone3",
                                    "ptrace",
                                    "process_vm_readv",
                                    "process_vm_writev",
                                    "bind",
                                    "listen",
                                    "mount",
                                    "umount2",
                                    "pivot_root",
                                    "chroot",
                                    "unshare",
                                    "setns",
                                    "setuid",
                                    "setgid",
                                    "setreuid",
                                    "setresuid",
                                    "setgroups",
                                    "capset",
                                    "prctl",
                                    "ioctl",
                                    "bpf",
                                    "perf_event_open",
                                    "open",
                                    "openat",
                                    "openat2",
                                    "creat",
                                    "unlink",
                                    "rename",
                                    "mknod",
                                    "socketpair",
                                    "keyctl",
                                    "add_key",
                                    "memfd_create",
                                    "userfaultfd",
                                    "io_uring_setup",
                                    "kexec_load",
                                    "init_module",
                                    "socketcall",
                                    "ipc"}) {
        CHECK_MESSAGE(allowed.count(forbidden) == 0, forbidden << " is allowed");
      }
      // These only with their arguments checked, on every architecture.
      for (const mmx::SyscallRule& rule : rules) {
        if (rule.action == "allow" && (rule.syscall == "clone" || rule.syscall == "mmap" ||
                                       rule.syscall == "mmap2" || rule.syscall == "mprotect")) {
          CHECK_MESSAGE(!rule.condition.empty(), rule.syscall << " is allowed unconditionally");
        }
      }
      CHECK(allowed.count("socket") == (by_path ? 1u : 0u));
      CHECK(allowed.count("connect") == (by_path ? 1u : 0u));
    }
  }
}

TEST_CASE("sandbox: sandbox modes and the frontend user") {
  mmx::SandboxMode mode = mmx::SandboxMode::kEnforce;
  CHECK(mmx::parse_sandbox_mode("log", mode));
  CHECK(mode == mmx::SandboxMode::kLog);
  CHECK(mmx::parse_sandbox_mode("enforce", mode));
  CHECK(mode == mmx::SandboxMode::kEnforce);
  CHECK_FALSE(mmx::parse_sandbox_mode("off", mode));

  const auto fallback = mmx::resolve_frontend_user("");
  REQUIRE_MESSAGE(fallback, fallback.error());
  CHECK(fallback->uid != 0);
  CHECK((fallback->name == mmx::kDefaultFrontendUser ||
         fallback->name == mmx::kFallbackFrontendUser));
  const auto root = mmx::resolve_frontend_user("root");
  REQUIRE_FALSE(root);
  CHECK(root.error() == "user \"root\" has uid or gid 0: the frontend must not run as root");
  const auto absent = mmx::resolve_frontend_user("mmx-no-such-user");
  REQUIRE_FALSE(absent);
  CHECK(absent.error() == "no user \"mmx-no-such-user\"");
}

// ---------------------------------------------------------------------------
// enter_sandbox() as a whole: needs root, as CI has.

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string proc_status(pid_t pid) {
  return read_text("/proc/" + std::to_string(pid) + "/status");
}

std::string status_field(const std::string& status, const std::string& name) {
  const auto at = status.find("\n" + name + ":");
  if (at == std::string::npos) return "";
  const auto start = status.find_first_not_of(" \t", at + name.size() + 2);
  return status.substr(start, status.find('\n', start) - start);
}

std::vector<long> numbers(const std::string& text) {
  std::istringstream in(text);
  std::vector<long> values;
  for (long v = 0; in >> v;) values.push_back(v);
  return values;
}

std::string link_of(const std::string& path) {
  char buffer[4096];
  const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  return n < 0 ? "" : std::string(buffer, static_cast<std::size_t>(n));
}

}  // namespace

TEST_CASE("sandbox: started as root, enter_sandbox leaves nothing of root") {
  SKIP_WHEN_SANITIZED();
  MMX_REQUIRE_OR_SKIP(::geteuid() == 0,
                      "root: enter_sandbox() drops privileges only when started as root");
  int ready[2];
  int proceed[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(proceed, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(ready[0]);
    ::close(proceed[1]);
    mmx::set_log_level(mmx::LogLevel::kError);
    mmx::SandboxOptions options;
    options.connections = 8;
    if (!mmx::enter_sandbox(options)) ::_exit(1);
    char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(kUnexpected);
    // The parent looks at us now; then one more forbidden call.
    if (::read(proceed[0], &byte, 1) != 1) ::_exit(kUnexpected);
    ::syscall(SYS_setuid, 0);
    ::_exit(kUnexpected);
  }
  ::close(ready[1]);
  ::close(proceed[0]);
  char byte = 0;
  REQUIRE_MESSAGE(::read(ready[0], &byte, 1) == 1, "the child did not enter the sandbox");

  const std::string status = proc_status(pid);
  for (const char* ids : {"Uid", "Gid", "Groups"}) {
    const std::vector<long> values = numbers(status_field(status, ids));
    CHECK_MESSAGE(!values.empty(), ids);
    for (long id : values) CHECK_MESSAGE(id != 0, ids << ": " << status_field(status, ids));
  }
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
    CHECK_MESSAGE(status_field(status, set) == "0000000000000000", set);
  }
  CHECK(status_field(status, "NoNewPrivs") == "1");
  CHECK(status_field(status, "Seccomp") == "2");
  const std::string own = "/proc/" + std::to_string(pid);
  CHECK(link_of(own + "/root") == mmx::kEmptyRoot);
  CHECK(link_of(own + "/ns/net") != link_of("/proc/self/ns/net"));
  const std::string limits = read_text(own + "/limits");
  CHECK_MESSAGE(
      limits.find("Max core file size        0                    0") != std::string::npos, limits);
  CHECK_MESSAGE(limits.find("Max open files            ") != std::string::npos, limits);

  byte = 1;
  REQUIRE(::write(proceed[1], &byte, 1) == 1);
  const Ending e = wait_for_child(pid);
  CHECK_MESSAGE(e.killed_by(SIGSYS), describe(e));
  ::close(ready[0]);
  ::close(proceed[1]);
}

TEST_CASE("sandbox: started as another user, enter_sandbox keeps user and root, and filters") {
  SKIP_WHEN_SANITIZED();
  int ready[2];
  int proceed[2];
  REQUIRE(::pipe2(ready, O_CLOEXEC) == 0);
  REQUIRE(::pipe2(proceed, O_CLOEXEC) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(ready[0]);
    ::close(proceed[1]);
    if (::geteuid() == 0) {
      // As systemd starts the split-mode frontend: already its user.
      const gid_t nobody = 65534;
      if (::setgroups(1, &nobody) != 0 || ::setresgid(nobody, nobody, nobody) != 0 ||
          ::setresuid(65534, 65534, 65534) != 0) {
        ::_exit(kUnexpected);
      }
    }
    mmx::set_log_level(mmx::LogLevel::kError);
    if (!mmx::enter_sandbox(mmx::SandboxOptions{})) ::_exit(1);
    char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(kUnexpected);
    if (::read(proceed[0], &byte, 1) != 1) ::_exit(kUnexpected);
    ::syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
    ::_exit(kUnexpected);
  }
  ::close(ready[1]);
  ::close(proceed[0]);
  char byte = 0;
  REQUIRE_MESSAGE(::read(ready[0], &byte, 1) == 1, "the child did not enter the sandbox");
  const std::string status = proc_status(pid);
  CHECK(status_field(status, "NoNewPrivs") == "1");
  CHECK(status_field(status, "Seccomp") == "2");
  CHECK(status_field(status, "CapEff") == "0000000000000000");
  const std::string own = "/proc/" + std::to_string(pid);
  if (::geteuid() == 0) {
    CHECK(link_of(own + "/root") == "/");  // not root: no chroot, no namespace
    CHECK(link_of(own + "/ns/net") == link_of("/proc/self/ns/net"));
  } else {
    // Not dumpable: even a process of its own user cannot look inside.
    CHECK(link_of(own + "/root").empty());
  }
  byte = 1;
  REQUIRE(::write(proceed[1], &byte, 1) == 1);
  const Ending e = wait_for_child(pid);
  CHECK_MESSAGE(e.killed_by(SIGSYS), describe(e));
  ::close(ready[0]);
  ::close(proceed[1]);
}

TEST_CASE("sandbox: a root directory that is not empty and root's alone is refused") {
  SKIP_WHEN_SANITIZED();
  MMX_REQUIRE_OR_SKIP(::geteuid() == 0,
                      "root: the root directory is only used when started as root");
  char dir[] = "/tmp/mmx-sandbox-root-XXXXXX";
  REQUIRE(::mkdtemp(dir) != nullptr);
  const std::string socket_path = std::string(dir) + "/collector.sock";
  // How the child's lock-down ended: its exit code, and the failed step and
  // error it got from enter_sandbox(), "" when none.
  struct Entered {
    int code = -1;
    std::string failure;
  };
  const auto enter_with_socket_dir = [&] {
    int report[2];
    REQUIRE(::pipe2(report, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(report[0]);
      ::close(STDERR_FILENO);  // refusals are expected here
      mmx::SandboxOptions options;
      options.collector_socket = socket_path;
      const auto locked = mmx::enter_sandbox(options);
      if (locked) ::_exit(kOk);
      const std::string failure = locked.error().step + ": " + locked.error().error;
      [[maybe_unused]] auto n = ::write(report[1], failure.data(), failure.size());
      ::_exit(1);
    }
    ::close(report[1]);
    Entered entered;
    char buffer[512];
    for (ssize_t n; (n = ::read(report[0], buffer, sizeof buffer)) > 0;) {
      entered.failure.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(report[0]);
    entered.code = wait_for_child(pid).code;
    return entered;
  };
  SUBCASE("writable by others") {
    REQUIRE(::chmod(dir, 0777) == 0);
    const Entered entered = enter_with_socket_dir();
    CHECK(entered.code == 1);
    CHECK(entered.failure ==
          "root directory: " + std::string(dir) + " is writable by group or others");
  }
  SUBCASE("not owned by root") {
    REQUIRE(::chmod(dir, 0755) == 0);
    REQUIRE(::chown(dir, 65534, 65534) == 0);
    const Entered entered = enter_with_socket_dir();
    CHECK(entered.code == 1);
    CHECK(entered.failure == "root directory: " + std::string(dir) + " is not owned by root");
  }
  SUBCASE("not reachable by the frontend user") {
    REQUIRE(::chmod(dir, 0700) == 0);
    const Entered entered = enter_with_socket_dir();
    CHECK(entered.code == 1);
    CHECK_MESSAGE(entered.failure.rfind("root directory: " + std::string(dir) +
                                            " (the collector socket's directory) does not let "
                                            "user ",
                                        0) == 0,
                  entered.failure);
  }
  SUBCASE("fine") {
    REQUIRE(::chmod(dir, 0755) == 0);
    const Entered entered = enter_with_socket_dir();
    CHECK(entered.code == kOk);
    CHECK(entered.failure == "");
  }
  ::rmdir(dir);
}

// ---------------------------------------------------------------------------

namespace {

constexpr std::string_view kRulesBegin =
    "<!-- syscalls:begin (generated; see tests/unit/test_sandbox.cpp) -->\n";
constexpr std::string_view kRulesEnd = "<!-- syscalls:end -->\n";

// One row per rule, in the code's order, merged over the architectures the
// rules were reviewed for; a rule some of them lack names those that have it.
std::string rules_markdown() {
  mmx::SyscallFilterOptions plain;
  mmx::SyscallFilterOptions by_path;
  by_path.allow_unix_connect = true;
  struct Row {
    mmx::SyscallRule rule;
    bool with_socket_only = false;
    std::vector<std::string> architectures;
  };
  std::vector<Row> rows;
  std::string summary;
  const auto architectures = mmx::reviewed_architectures();
  for (const std::string& arch : architectures) {
    std::set<std::string> everywhere;
    for (const auto& rule : mmx::syscall_filter_rules(plain, arch)) everywhere.insert(rule.syscall);
    std::set<std::string> allowed;
    std::set<std::string> answered;
    std::size_t at = 0;  // where a rule not seen yet goes: after the last one seen
    for (const auto& rule : mmx::syscall_filter_rules(by_path, arch)) {
      (rule.action == "allow" ? allowed : answered).insert(rule.syscall);
      auto same = [&](const Row& row) {
        return row.rule.syscall == rule.syscall && row.rule.action == rule.action &&
               row.rule.condition == rule.condition;
      };
      auto found = std::find_if(rows.begin(), rows.end(), same);
      if (found == rows.end()) {
        found = rows.insert(rows.begin() + static_cast<std::ptrdiff_t>(at),
                            Row{rule, everywhere.count(rule.syscall) == 0, {}});
      }
      found->architectures.push_back(arch);
      at = static_cast<std::size_t>(found - rows.begin()) + 1;
    }
    summary += "On " + arch + ": " + std::to_string(allowed.size()) + " syscalls allowed (" +
               std::to_string(allowed.size() - 2) + " without --collector-socket), " +
               std::to_string(answered.size()) + " answered with an error.\n";
  }
  std::string table = "| syscall | action | only when | architectures |\n|---|---|---|---|\n";
  for (const Row& row : rows) {
    std::string when = row.rule.condition;
    if (row.with_socket_only) when = (when.empty() ? "" : when + "; ") + "with --collector-socket";
    std::string where = "all";
    if (row.architectures.size() != architectures.size()) {
      where.clear();
      for (const auto& arch : row.architectures) where += (where.empty() ? "" : ", ") + arch;
    }
    table +=
        "| `" + row.rule.syscall + "` | " + row.rule.action + " | " + when + " | " + where + " |\n";
  }
  return summary +
         "Anything else kills the process. `arm` is 32-bit ARM (EABI, Debian's armhf).\n\n" + table;
}

}  // namespace

TEST_CASE("sandbox: docs/SECURITY.md lists the rules the filter loads") {
  const std::string path = std::string(MMX_SOURCE_DIR) + "/docs/SECURITY.md";
  const std::string current = read_text(path);
  const auto begin = current.find(kRulesBegin);
  const auto end = current.find(kRulesEnd);
  REQUIRE_MESSAGE(begin != std::string::npos, "syscalls:begin marker missing");
  REQUIRE_MESSAGE(end != std::string::npos, "syscalls:end marker missing");
  const std::string expected =
      current.substr(0, begin + kRulesBegin.size()) + rules_markdown() + current.substr(end);
  const char* update = std::getenv("MMX_UPDATE_DOCS");
  if (update != nullptr && std::string(update) == "1") {
    std::ofstream(path, std::ios::binary) << expected;
  }
  CHECK_MESSAGE(current == expected, "docs/SECURITY.md is stale: run with MMX_UPDATE_DOCS=1");
}
