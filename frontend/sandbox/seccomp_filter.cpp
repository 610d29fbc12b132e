#include "seccomp_filter.h"

#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <iterator>
#include <memory>

#include "errno_text.h"

// The rules name syscalls and argument positions as x86_64, aarch64 and
// 32-bit ARM (EABI) have them: clone's flags are its first argument on all
// three (s390 swaps the first two), socket calls are syscalls of their own
// (not i386's socketcall), and O_ and PROT_ flags are this build's. Another
// architecture needs its own review, and its own measurement.
#if !defined(__x86_64__) && !defined(__aarch64__) && !(defined(__arm__) && defined(__ARM_EABI__))
#error \
    "review frontend/sandbox/seccomp_filter.cpp for this architecture before building the sandbox"
#endif

namespace mmx {
namespace {

// The architectures the rules were reviewed for, by libseccomp's names.
constexpr const char* kReviewedArchitectures[] = {"x86_64", "aarch64", "arm"};

scmp_arg_cmp arg_equals(unsigned index, std::uint64_t value) {
  return scmp_arg_cmp{index, SCMP_CMP_EQ, value, 0};
}
// (argument & mask) == value
scmp_arg_cmp arg_masked(unsigned index, std::uint64_t mask, std::uint64_t value) {
  return scmp_arg_cmp{index, SCMP_CMP_MASKED_EQ, mask, value};
}

// Every thread glibc's pthread_create() starts shares all of these with its
// creator...
constexpr std::uint64_t kThreadFlags =
    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM;
// ...and may ask for these, which only set up its TLS and thread id.
constexpr std::uint64_t kThreadBookkeepingFlags =
    CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID;
// The kernel reads the low 32 bits of clone()'s flags. Every one of them
// except the bookkeeping is checked, so a clone with any other flag (a
// namespace, CLONE_VFORK, CLONE_PARENT, an exit signal: a process, not a
// thread) or without one of kThreadFlags does not match.
constexpr std::uint64_t kCloneCheckedBits = 0xffffffffULL & ~kThreadBookkeepingFlags;

// glibc's internal signal for setxid broadcasts (__SIGRTMIN + 1, below
// SIGRTMIN as applications see it).
constexpr std::uint64_t kGlibcSetxidSignal = 33;

// The flag bits that make an open() more than a read-only probe. O_TMPFILE
// includes O_DIRECTORY; its own bit is what tells it apart.
#ifndef __O_TMPFILE
#define __O_TMPFILE (O_TMPFILE & ~O_DIRECTORY)
#endif
constexpr std::uint64_t kOpenWriteBits = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | __O_TMPFILE;

// Adds rules to a libseccomp context, or (without one) only records them.
class FilterBuilder {
 public:
  // Rules for `arch` (a libseccomp architecture token), added to `ctx`
  // unless it is null.
  FilterBuilder(scmp_filter_ctx ctx, std::uint32_t arch) : ctx_(ctx), arch_(arch) {}

  // Whether this architecture has the syscall at all.
  bool has(const char* name) const { return number(name) >= 0; }

  void allow(const char* call, const char* condition = "",
             std::initializer_list<scmp_arg_cmp> args = {}) {
    add(call, SCMP_ACT_ALLOW, "allow", condition, args);
  }
  void fail_with(const char* call, int error, const char* error_name, const char* condition = "",
                 std::initializer_list<scmp_arg_cmp> args = {}) {
    add(call, SCMP_ACT_ERRNO(static_cast<std::uint32_t>(error)), error_name, condition, args);
  }

  const std::vector<SyscallRule>& rules() const { return rules_; }
  // Whether every rule was added to the context; else the first that was
  // not (the rules after it were not tried). One check after the long list
  // of rules, instead of one per rule.
  Expected<> added() const {
    if (!error_.empty()) return fail(error_);
    return {};
  }

 private:
  // The syscall's number on this architecture; negative where it has none
  // (aarch64 has no open(), poll() or stat(), 32-bit ARM no mmap()), and
  // such a rule is left out, as OpenSSH wraps each of its rules in
  // #ifdef __NR_x.
  int number(const char* name) const { return seccomp_syscall_resolve_name_arch(arch_, name); }

  void add(const char* call, std::uint32_t action, const char* action_name, const char* condition,
           std::initializer_list<scmp_arg_cmp> args) {
    const int nr = number(call);
    if (nr < 0) return;
    rules_.push_back({call, action_name, condition});
    if (ctx_ == nullptr || !error_.empty()) return;
    const int rc =
        seccomp_rule_add_array(ctx_, action, nr, static_cast<unsigned>(args.size()), args.begin());
    if (rc != 0) error_ = errno_text(std::string("rule for ") + call, -rc);
  }

  scmp_filter_ctx ctx_;
  std::uint32_t arch_;
  std::vector<SyscallRule> rules_;
  std::string error_;
};

// The allowlist. It was measured, not guessed: the end-to-end suite ran
// against frontends under strace and with the filter in log mode, and the
// unit tests run every path the frontend takes after the sandbox (threads,
// sleeps, abort), on x86_64 and, in emulated machines, on aarch64 and 32-bit
// ARM. Each rule says who needs it.
//
// Per architecture: a rule for a syscall an architecture lacks is left out
// there. 32-bit ARM adds its own: glibc 2.36, built for kernels older than
// 5.1, tries the 64-bit-time syscalls (*_time64) first and falls back to the
// old ones only on ENOSYS; 64-bit offsets go through _llseek, memory maps
// through mmap2, the stat family through its *64 forms, recv() and send()
// through recv and send, getrlimit() through ugetrlimit. Those were found
// on Debian's armmp kernel in an emulated machine (scripts/test-arm.sh
// armhf), where the unit tests below and the frontend were killed without
// them.
void add_rules(FilterBuilder& f, const SyscallFilterOptions& options) {
  // --- Descriptors it already holds -------------------------------------
  // The snapshot stream (receiver), the stop eventfd's write (stop()),
  // log lines on stderr, systemd's notification socket.
  f.allow("read");
  f.allow("write");
  // glibc's fatal messages (malloc corruption, abort) on stderr.
  f.allow("writev");
  // process_* metrics: /proc/self/stat and /proc/self/fd, opened before the
  // sandbox and read again at every scrape.
  f.allow("pread64");
  f.allow("lseek");
  f.allow("_llseek");  // 32-bit ARM's lseek()
  f.allow("getdents64");
  // Everyone: finished connections, the receiver's lost collector socket.
  f.allow("close");
  // The receiver waits on its socket and eventfd; a response being written
  // on its connection. aarch64's glibc implements poll() with ppoll.
  if (f.has("poll")) {
    f.allow("poll");
  } else {
    f.allow("ppoll");
  }

  // The connection gate's threads wait on one epoll set, made before the
  // sandbox, arm each connection for one event at a time, and set the
  // timer of the earliest deadline. aarch64 has epoll_pwait only.
  if (f.has("epoll_wait")) {
    f.allow("epoll_wait");
  } else {
    f.allow("epoll_pwait");
  }
  f.allow("epoll_ctl");
  f.allow("timerfd_settime");
  f.allow("timerfd_settime64");

  // --- HTTP (connection_gate.h; cpp-httplib only parses and writes into
  // memory) --------------------------------------------------------------
  // New connections on the handed-over listening sockets, with their
  // addresses: nothing about a socket is asked or set after it is accepted
  // (no setsockopt, getsockname, getpeername).
  f.allow("accept4");
  // Request heads in (recv), responses out (send; a head and its body in
  // one sendmsg). Nothing to pass a descriptor to but the HTTP clients
  // (TCP) and the collector, whose end refuses every write.
  f.allow("recvfrom");
  f.allow("sendto");
  // 32-bit ARM has recv and send of their own, and glibc's recv() and
  // send() call them (x86_64 and aarch64 go through recvfrom and sendto).
  f.allow("recv");
  f.allow("send");
  f.allow("sendmsg");
  // The end of the last response on a connection, before it is drained
  // and closed (a lingering close): the write side only.
  f.allow("shutdown", "how SHUT_WR", {arg_equals(1, SHUT_WR)});

  // --- Threads (std::thread: the receiver and the gate's)
  // Mutexes, condition variables, joins.
  f.allow("futex");
  f.allow("futex_time64");  // 32-bit ARM: timed waits
  // glibc registers every new thread's robust mutex list and rseq area.
  f.allow("set_robust_list");
  f.allow("rseq");
  // pthread_create(), and nothing that makes a process.
  f.allow("clone", "thread flags only (CLONE_THREAD, CLONE_VM, CLONE_SIGHAND, ...)",
          {arg_masked(0, kCloneCheckedBits, kThreadFlags)});
  // glibc tries clone3 first; its flags are in memory, where a filter
  // cannot look. ENOSYS makes glibc fall back to clone().
  f.fail_with("clone3", ENOSYS, "ENOSYS");
  // Threads end with exit(), the process with exit_group().
  f.allow("exit");
  f.allow("exit_group");

  // --- Memory (malloc, thread stacks) -------------------------------------
  // Never executable: everything executable was mapped before the sandbox.
  f.allow("mmap", "without PROT_EXEC", {arg_masked(2, PROT_EXEC, 0)});
  f.allow("mmap2", "without PROT_EXEC", {arg_masked(2, PROT_EXEC, 0)});  // 32-bit ARM
  f.allow("mprotect", "without PROT_EXEC", {arg_masked(2, PROT_EXEC, 0)});
  f.allow("munmap");
  // malloc returns memory and glibc frees finished threads' stacks.
  f.allow("madvise");
  // The main thread's malloc arena grows and shrinks with brk.
  f.allow("brk");
  // malloc sizes its arena count from the CPU count, which glibc reads from
  // /sys and /proc; both answer EACCES here, and glibc falls back to this.
  f.allow("sched_getaffinity");

  // --- Signals and time ---------------------------------------------------
  // pthread_create() blocks signals around clone(); main() waits for
  // SIGTERM/SIGINT with sigwait().
  f.allow("rt_sigprocmask");
  f.allow("rt_sigtimedwait");
  f.allow("rt_sigtimedwait_time64");
  // glibc installs the handler of its internal SIGSETXID (which applies a
  // setuid() to every thread) when the first thread is created, i.e. after
  // the sandbox. No other signal's disposition may change.
  f.allow("rt_sigaction", "glibc's SIGSETXID only", {arg_equals(0, kGlibcSetxidSignal)});
  // main() ends the process with SIGTERM to itself when a listener fails or
  // the collector is gone; abort() raises SIGABRT on its own thread. Only
  // this process may be signalled.
  f.allow("getpid");
  f.allow("gettid");  // raise() names the calling thread to tgkill
  f.allow("kill", "this process only", {arg_equals(0, static_cast<std::uint64_t>(::getpid()))});
  f.allow("tgkill", "this process only", {arg_equals(0, static_cast<std::uint64_t>(::getpid()))});
  // Clocks are read in the vDSO, but through the syscall where the clock
  // source has no vDSO support (some virtual machines).
  f.allow("clock_gettime");
  f.allow("clock_gettime64");
  // std::this_thread::sleep_for: the gate's pause after a failing
  // epoll_wait.
  f.allow("clock_nanosleep");
  f.allow("clock_nanosleep_time64");
  // A poll or sleep with a timeout that a stop signal (SIGSTOP/SIGCONT, a
  // debugger, the cgroup freezer) interrupted is resumed by the kernel
  // through this.
  f.allow("restart_syscall");
  // OpenSSL's random generator (TLS handshakes) reseeds from the kernel:
  // hourly, and at once in a forked child. It reads entropy, nothing else.
  f.allow("getrandom");
  // process_max_fds: getrlimit() of this process; never setting one.
  f.allow("prlimit64", "own limits, read only", {arg_equals(0, 0), arg_equals(2, 0)});
  // 32-bit ARM's getrlimit() with a 32-bit struct rlimit (no
  // _FILE_OFFSET_BITS=64): the calling process's limit, and only read.
  f.allow("ugetrlimit");

  // --- The collector, by path (--collector-socket) ------------------------
  if (options.allow_unix_connect) {
    // The receiver reconnects when the collector restarts.
    f.allow("socket", "AF_UNIX, SOCK_STREAM",
            {arg_equals(0, AF_UNIX), arg_masked(1, 0xf, SOCK_STREAM)});
    f.allow("connect");
  }

  // --- Answered, not allowed ----------------------------------------------
  // glibc opens files by itself: malloc reads
  // /proc/sys/vm/overcommit_memory and the CPU count from
  // /sys/devices/system/cpu/online (then /proc/stat). Nothing is there in
  // the empty root, and every caller copes with a failure, so a read-only
  // open() fails with EACCES; one that could write or create kills.
  f.fail_with("open", EACCES, "EACCES", "read-only", {arg_masked(1, kOpenWriteBits, 0)});
  f.fail_with("openat", EACCES, "EACCES", "read-only", {arg_masked(2, kOpenWriteBits, 0)});
  // stat() of those files, and of stdio before its first use.
  f.fail_with("stat", EACCES, "EACCES");
  f.fail_with("lstat", EACCES, "EACCES");
  f.fail_with("fstat", EACCES, "EACCES");
  f.fail_with("newfstatat", EACCES, "EACCES");
  f.fail_with("stat64", EACCES, "EACCES");  // 32-bit ARM's forms
  f.fail_with("lstat64", EACCES, "EACCES");
  f.fail_with("fstat64", EACCES, "EACCES");
  f.fail_with("fstatat64", EACCES, "EACCES");
  f.fail_with("statx", EACCES, "EACCES");
}

struct ContextReleaser {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};

}  // namespace

std::vector<SyscallRule> syscall_filter_rules(const SyscallFilterOptions& options,
                                              const std::string& architecture) {
  const std::uint32_t arch = architecture.empty() ? seccomp_arch_native()
                                                  : seccomp_arch_resolve_name(architecture.c_str());
  if (arch == 0) return {};
  FilterBuilder builder(nullptr, arch);
  add_rules(builder, options);
  return builder.rules();
}

std::vector<std::string> reviewed_architectures() {
  return {std::begin(kReviewedArchitectures), std::end(kReviewedArchitectures)};
}

Expected<> install_syscall_filter(const SyscallFilterOptions& options) {
  // API level 3: the kernel and libseccomp both support KILL_PROCESS and LOG.
  if (seccomp_api_get() < 3) {
    return fail(
        "the kernel or libseccomp is too old: need SECCOMP_RET_KILL_PROCESS and "
        "SECCOMP_RET_LOG (Linux 4.14, libseccomp 2.4)");
  }
  const std::uint32_t violation =
      options.mode == SandboxMode::kLog ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS;
  std::unique_ptr<void, ContextReleaser> ctx(seccomp_init(violation));
  if (!ctx) return fail("seccomp_init failed");
  // A syscall made through another architecture's ABI is never legitimate
  // here, and is how filters get bypassed: kill, in log mode too.
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
      rc != 0) {
    return fail(errno_text("bad-architecture action", -rc));
  }
  if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1); rc != 0) {
    return fail(errno_text("thread synchronisation", -rc));
  }
  if (options.mode == SandboxMode::kLog) {
    // Log the EACCES and ENOSYS answers as well: the point is to see all.
    if (int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_LOG, 1); rc != 0) {
      return fail(errno_text("logging", -rc));
    }
  }
  FilterBuilder builder(ctx.get(), seccomp_arch_native());
  add_rules(builder, options);
  if (auto added = builder.added(); !added) return added;
  if (int rc = seccomp_load(ctx.get()); rc != 0) {
    return fail(errno_text("seccomp_load", -rc));
  }
  return {};
}

}  // namespace mmx
