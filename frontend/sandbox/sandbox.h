#pragma once
// The frontend's lock-down, entered once every descriptor it needs is open
// and before it reads a byte from the network or the collector. One
// function, one order (OpenBSD's privsep children and OpenSSH's sandboxed
// pre-auth child are the models):
//
//   when root:
//     1. a network namespace of its own: the listening sockets it holds keep
//        working in the namespace they were made in; nothing new can reach
//        any network (no interface but a down loopback)
//     2. chroot into an empty, root-owned directory (kEmptyRoot), or, when
//        it reaches the collector by path, into that socket's directory
//     3. no capability in the bounding or ambient set; setgroups, setresgid,
//        setresuid to the frontend user (mm-exporter, else nobody)
//   always:
//     4. no capabilities; check that uid/gid 0 cannot be had back
//     5. PR_SET_NO_NEW_PRIVS, not dumpable (no ptrace by the same user)
//     6. rlimits: no files written, no core, descriptors bounded
//     7. the seccomp allowlist (seccomp_filter.h)
//
// Every step is fatal: the first that fails ends the lock-down (no later
// step runs) and the frontend logs which step failed and exits 1; the
// collector's supervisor gives up after a few such exits. There is no mode
// without the sandbox.

#include <cstddef>
#include <string>

#include "expected.h"
#include "frontend_privileges.h"

namespace mmx {

// The frontend's root when started as root. Created (mode 0555) when
// missing; refused unless it is a directory owned by root, writable by root
// alone, and empty, as ntpd checks its chroot.
inline constexpr const char* kEmptyRoot = "/run/mm-exporter/empty";

struct SandboxOptions {
  SandboxMode mode = SandboxMode::kEnforce;
  // --frontend-user; empty: kDefaultFrontendUser, else kFallbackFrontendUser.
  std::string user;
  // --collector-socket, or empty when the collector connection was
  // inherited. By path, the receiver must be able to reconnect: the root is
  // then the socket's directory (owned by root, writable by root alone,
  // searchable by the frontend user), and socket(AF_UNIX) and connect()
  // stay allowed.
  std::string collector_socket;
  // HTTP connections to leave descriptors for, on top of those open now.
  std::size_t connections = 0;
};

// The step of the lock-down that failed, named as the log names it
// ("chroot", "capabilities", "syscall filter"), and why.
struct SandboxFailure {
  std::string step;
  std::string error;
};

// Expected<T> with the failed step beside the error: the caller logs both.
template <class T = void>
using SandboxResult = tl::expected<T, SandboxFailure>;

// Locks the process down as above. Call it from the main thread while it is
// the only thread. On failure the process is left part locked down, without
// the syscall filter (the last step): the caller must log the failure and
// end it, starting nothing more.
[[nodiscard]] SandboxResult<> enter_sandbox(const SandboxOptions& options);

// The path the receiver must connect to once enter_sandbox() chrooted into
// the socket's directory: "/collector.sock" for "/run/mm-exporter/collector.sock"
// when this process is root, `path` unchanged when it is not.
std::string collector_socket_in_sandbox(const std::string& path);

}  // namespace mmx
