#include "sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "errno_text.h"
#include "log.h"
#include "seccomp_filter.h"
#include "unique_fd.h"

namespace mmx {
namespace {

// Descriptors beyond the HTTP connections and those open at entry: the
// receiver's reconnection, a connection the gate accepts while another
// closes, slack for the libraries.
constexpr std::size_t kSpareDescriptors = 16;

// Entries of the directory `fd` other than "." and "..", read with
// getdents64 on a descriptor of its own (the caller's keeps its offset).
std::optional<std::size_t> count_entries(int fd) {
  UniqueFd dir(::openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return std::nullopt;
  alignas(8) char buffer[4096];
  std::size_t count = 0;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir.get(), buffer, sizeof buffer);
    if (n < 0) return std::nullopt;
    if (n == 0) return count;
    for (long offset = 0; offset < n;) {
      const auto* entry = reinterpret_cast<const dirent64*>(buffer + offset);
      const std::string_view name(entry->d_name);
      if (name != "." && name != "..") ++count;
      offset += entry->d_reclen;
    }
  }
}

// The highest descriptor number open now, read before the root changes.
Expected<int> highest_open_fd() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) return fail(errno_text("/proc/self/fd"));
  int highest = -1;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    highest = std::max(highest, std::atoi(entry->d_name));
  }
  ::closedir(dir);
  return highest;
}

// A namespace is per thread, and a thread started earlier would keep the
// old one. The filter is synchronised to all threads anyway.
Expected<> check_only_thread() {
  UniqueFd tasks(::open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!tasks) return fail(errno_text("/proc/self/task"));
  const auto count = count_entries(tasks.get());
  if (!count) return fail(errno_text("reading /proc/self/task"));
  if (*count != 1) return fail("other threads are running");
  return {};
}

// mkdir that leaves an existing directory alone and gives a new one `mode`
// whatever the umask.
Expected<> make_directory(const char* path, mode_t mode) {
  if (::mkdir(path, mode) == 0) {
    if (::chmod(path, mode) != 0) return fail(errno_text(std::string("chmod ") + path));
  } else if (errno != EEXIST) {
    // A read-only /run (systemd's ProtectSystem=strict) needs the directory
    // made beforehand, by tmpfiles.d.
    return fail(errno_text(std::string("mkdir ") + path));
  }
  return {};
}

// Opens the directory to chroot into and checks, on the descriptor (so
// nothing can be swapped in between), what ntpd checks of its chroot: a
// directory owned by root that only root can write to. The empty root must
// also be empty; the collector socket's directory must let the frontend
// user reach the socket.
Expected<UniqueFd> open_root_directory(const std::string& path, bool must_be_empty,
                                       const FrontendUser& user) {
  const int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (must_be_empty ? O_NOFOLLOW : 0);
  UniqueFd dir(::open(path.c_str(), flags));
  if (!dir) return fail(errno_text(path));
  struct stat st {};
  if (::fstat(dir.get(), &st) != 0) return fail(errno_text("fstat " + path));
  if (!S_ISDIR(st.st_mode)) return fail(path + " is not a directory");
  if (st.st_uid != 0) return fail(path + " is not owned by root");
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return fail(path + " is writable by group or others");
  }
  if (must_be_empty) {
    const auto entries = count_entries(dir.get());
    if (!entries) return fail(errno_text("reading " + path));
    if (*entries != 0) return fail(path + " is not empty");
  } else {
    const bool searchable =
        (st.st_mode & S_IXOTH) != 0 || (st.st_gid == user.gid && (st.st_mode & S_IXGRP) != 0);
    if (!searchable) {
      return fail(path + " (the collector socket's directory) does not let user " + user.name +
                  " reach the socket: it needs o+x");
    }
  }
  return dir;
}

bool has_effective_capability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capget, &header, data) != 0) return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

Expected<> set_limit(int resource, rlim_t value, const char* name) {
  const rlimit limit{value, value};
  if (::setrlimit(resource, &limit) != 0) return fail(errno_text(name));
  return {};
}

bool is_regular_file(int fd) {
  struct stat st {};
  return ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace

std::string collector_socket_in_sandbox(const std::string& path) {
  if (::geteuid() != 0) return path;
  return path.substr(path.rfind('/'));
}

namespace {

// The lock-down, step by step. Each named step returns an error when it
// failed, and each relies on the ones before: enter_sandbox() runs none
// after a failed one.

// Sockets already open stay in the namespace they were made in.
Expected<> enter_network_namespace() {
  if (::unshare(CLONE_NEWNET) != 0) return fail(errno_text("unshare"));
  return {};
}

struct NewRoot {
  UniqueFd dir;
  std::string path;
};

// The directory to chroot into, opened and checked: an empty directory
// owned by root, or the collector socket's directory when the receiver must
// reconnect by path.
Expected<NewRoot> open_new_root(const SandboxOptions& options, const FrontendUser& user) {
  NewRoot root;
  Expected<UniqueFd> dir;
  if (options.collector_socket.empty()) {
    root.path = kEmptyRoot;
    const std::string parent = root.path.substr(0, root.path.rfind('/'));
    if (auto made = make_directory(parent.c_str(), 0755); !made) return fail(made.error());
    if (auto made = make_directory(kEmptyRoot, 0555); !made) return fail(made.error());
    dir = open_root_directory(root.path, true, user);
  } else {
    root.path = options.collector_socket.substr(0, options.collector_socket.rfind('/'));
    if (root.path.empty()) root.path = "/";
    dir = open_root_directory(root.path, false, user);
  }
  if (!dir) return fail(std::move(dir.error()));
  root.dir = std::move(*dir);
  return root;
}

Expected<> change_root(const NewRoot& root) {
  if (::fchdir(root.dir.get()) != 0) return fail(errno_text("fchdir " + root.path));
  if (::chroot(".") != 0) return fail(errno_text("chroot " + root.path));
  if (::chdir("/") != 0) return fail(errno_text("chdir /"));
  return {};
}

// Empties the bounding set (nothing gained by any later execve, which the
// filter forbids anyway) and the ambient set. The bounding set needs
// CAP_SETPCAP, which a service manager may have withheld: then it stays as
// it is, harmless under NO_NEW_PRIVS and a filter that kills execve.
Expected<> drop_capability_bounding_set() {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    return fail(errno_text("PR_CAP_AMBIENT_CLEAR_ALL"));
  }
  if (!has_effective_capability(CAP_SETPCAP)) {
    log_debug("Keeping the capability bounding set: no CAP_SETPCAP");
    return {};
  }
  for (int cap = 0;; ++cap) {
    const int present = ::prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
    if (present < 0) break;  // past the last capability this kernel knows
    if (present == 1 && ::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      return fail(errno_text("PR_CAPBSET_DROP " + std::to_string(cap)));
    }
  }
  return {};
}

Expected<> switch_user(const FrontendUser& user) {
  const gid_t gid = user.gid;
  if (::setgroups(1, &gid) != 0 || ::setresgid(gid, gid, gid) != 0 ||
      ::setresuid(user.uid, user.uid, user.uid) != 0) {
    return fail(errno_text("switching to user " + user.name));
  }
  return {};
}

// Clears the permitted, effective and inheritable sets: setresuid() away
// from root already did, but a non-root frontend may have been given
// capabilities (ambient, or securebits that keep them).
Expected<> clear_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (::syscall(SYS_capset, &header, data) != 0) return fail(errno_text("capset"));
  if (::syscall(SYS_capget, &header, data) != 0) return fail(errno_text("capget"));
  for (const auto& d : data) {
    if (d.effective != 0 || d.permitted != 0 || d.inheritable != 0) {
      return fail("capabilities remain after clearing them");
    }
  }
  return {};
}

// Nothing of root may be left, and none of it may be had back.
Expected<> verify_unprivileged() {
  uid_t r = 0, e = 0, s = 0;
  gid_t rg = 0, eg = 0, sg = 0;
  if (::getresuid(&r, &e, &s) != 0 || ::getresgid(&rg, &eg, &sg) != 0) {
    return fail(errno_text("getresuid"));
  }
  if (r == 0 || e == 0 || s == 0) return fail("still running with uid 0");
  if (rg == 0 || eg == 0 || sg == 0) return fail("running with gid 0");
  gid_t groups[NGROUPS_MAX];
  const int count = ::getgroups(NGROUPS_MAX, groups);
  if (count < 0) return fail(errno_text("getgroups"));
  if (std::find(groups, groups + count, gid_t{0}) != groups + count) {
    return fail("member of group 0");
  }
  if (::setuid(0) == 0 || ::seteuid(0) == 0) return fail("could become uid 0 again");
  if (::setgid(0) == 0 || ::setegid(0) == 0) return fail("could become gid 0 again");
  return {};
}

// No privileges gained through any exec.
Expected<> forbid_new_privileges() {
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return fail(errno_text("PR_SET_NO_NEW_PRIVS"));
  }
  return {};
}

// No ptrace or /proc reading by another process of the same user.
Expected<> make_undumpable() {
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) return fail(errno_text("PR_SET_DUMPABLE"));
  return {};
}

Expected<> limit_resources(int highest_fd, std::size_t connections) {
  // Nothing of the frontend's belongs in a core file: it holds what
  // ModemManager reported, identifiers included.
  if (auto set = set_limit(RLIMIT_CORE, 0, "RLIMIT_CORE"); !set) return set;
  // No file may grow. Unless stdout or stderr is a file the operator sent
  // the log to: writing it past size 0 would kill the frontend (SIGXFSZ).
  // It is the only file it holds; the filter keeps it from opening others.
  if (is_regular_file(STDOUT_FILENO) || is_regular_file(STDERR_FILENO)) {
    log_debug("Not limiting file size: the log goes to a file");
  } else if (auto set = set_limit(RLIMIT_FSIZE, 0, "RLIMIT_FSIZE"); !set) {
    return set;
  }
  // What is open now, the connections, and a little slack. The gate pauses
  // accepting while it is out of descriptors, so the bound caps the queue
  // of waiting connections instead of failing. Never above the hard limit.
  rlimit current{};
  if (::getrlimit(RLIMIT_NOFILE, &current) != 0) return fail(errno_text("getrlimit"));
  const rlim_t wanted = static_cast<rlim_t>(highest_fd + 1) + connections + kSpareDescriptors;
  // Not RLIMIT_NPROC: it counts every task of the user id system-wide,
  // threads included (nobody is shared), so no value is both tight and
  // safe. The filter is what stops a fork: clone needs thread flags.
  return set_limit(RLIMIT_NOFILE, std::min(wanted, current.rlim_max), "RLIMIT_NOFILE");
}

// The last step: the syscall allowlist. Returns its number of rules.
Expected<std::size_t> install_filter(const SandboxOptions& options) {
  SyscallFilterOptions filter;
  filter.mode = options.mode;
  filter.allow_unix_connect = !options.collector_socket.empty();
  if (auto installed = install_syscall_filter(filter); !installed) return fail(installed.error());
  return syscall_filter_rules(filter).size();
}

// The failure of the step named `step`, as the log names it.
tl::unexpected<SandboxFailure> failed(std::string_view step, std::string error) {
  return tl::unexpected<SandboxFailure>(SandboxFailure{std::string(step), std::move(error)});
}

// Steps 1 to 3, for a frontend started as root. Returns the new root's path.
SandboxResult<std::string> leave_root(const SandboxOptions& options) {
  // Resolved while /etc is reachable: NSS reads files and loads modules.
  const auto user = resolve_frontend_user(options.user);
  if (!user) return failed("user", user.error());
  if (auto done = enter_network_namespace(); !done)
    return failed("network namespace", done.error());
  auto root = open_new_root(options, *user);
  if (!root) return failed("root directory", root.error());
  if (auto done = change_root(*root); !done) return failed("chroot", done.error());
  if (auto done = drop_capability_bounding_set(); !done)
    return failed("capabilities", done.error());
  if (auto done = switch_user(*user); !done) return failed("user", done.error());
  log_info("Dropped privileges",
           {{"user", user->name}, {"uid", std::to_string(user->uid)}, {"root", root->path}});
  return root->path;
}

// Steps 4 to 7, whoever started the frontend. Returns the filter's number
// of rules.
SandboxResult<std::size_t> confine(const SandboxOptions& options, int highest_fd) {
  if (auto done = clear_capabilities(); !done) return failed("capabilities", done.error());
  if (auto done = verify_unprivileged(); !done) return failed("check", done.error());
  if (auto done = forbid_new_privileges(); !done) return failed("no new privileges", done.error());
  if (auto done = make_undumpable(); !done) return failed("dumpable", done.error());
  if (auto done = limit_resources(highest_fd, options.connections); !done) {
    return failed("rlimits", done.error());
  }
  auto rules = install_filter(options);
  if (!rules) return failed("syscall filter", rules.error());
  return *rules;
}

}  // namespace

SandboxResult<> enter_sandbox(const SandboxOptions& options) {
  if (options.mode == SandboxMode::kLog) {
    log_warn(
        "Sandbox in log mode: syscalls outside the allowlist are logged by the kernel "
        "(dmesg, audit) and not stopped. For diagnosis only; never run like this in production");
  }
  if (auto alone = check_only_thread(); !alone) return failed("start", alone.error());
  const bool root = ::geteuid() == 0;
  const auto highest_fd = highest_open_fd();
  if (!highest_fd) return failed("descriptor limit", highest_fd.error());
  std::string root_path = "unchanged (not started as root)";
  if (root) {
    auto new_root = leave_root(options);
    if (!new_root) return tl::unexpected(std::move(new_root.error()));
    root_path = std::move(*new_root);
  }
  const auto rules = confine(options, *highest_fd);
  if (!rules) return tl::unexpected(rules.error());
  log_info("Sandbox entered", {{"mode", std::string(sandbox_mode_name(options.mode))},
                               {"rules", std::to_string(*rules)},
                               {"root", root_path}});
  return {};
}

}  // namespace mmx
