#pragma once
// The frontend's syscall allowlist (libseccomp), the last step of
// enter_sandbox() and the only copy of it: the unit tests load this very
// filter into a forked child.
//
// The kernel checks the architecture first (a syscall of any other ABI,
// such as int 0x80 on x86_64, kills the process in every mode), then
// matches the syscall against the rules below. Anything not listed gets the
// violation action: in enforce mode the whole process is killed with
// SIGSYS. Read-only open() and stat() are answered with EACCES instead,
// because glibc probes files harmlessly (see seccomp_filter.cpp), and
// clone3() with ENOSYS, so glibc falls back to clone(), whose flags can be
// checked. docs/SECURITY.md lists the rules; a unit test keeps it in step.

#include <string>
#include <vector>

#include "expected.h"
#include "frontend_privileges.h"

namespace mmx {

struct SyscallFilterOptions {
  SandboxMode mode = SandboxMode::kEnforce;
  // --collector-socket: the receiver reconnects, so socket(AF_UNIX,
  // SOCK_STREAM) and connect() are allowed. Otherwise neither is.
  bool allow_unix_connect = false;
};

// One rule, for documentation and tests.
struct SyscallRule {
  std::string syscall;    // "clone"
  std::string action;     // "allow", "EACCES", "ENOSYS"
  std::string condition;  // "" or what the arguments must be, in words
};

// Installs the filter for the calling thread and every thread it starts
// (and, via TSYNC, any thread already running). On an error nothing is
// installed, and the caller must not go on.
[[nodiscard]] Expected<> install_syscall_filter(const SyscallFilterOptions& options);

// The rules install_syscall_filter() would load, in order, on this
// architecture or on `architecture` (libseccomp's name: "x86_64",
// "aarch64", "arm"); syscalls an architecture does not have are left out
// there. Empty for an architecture libseccomp does not know.
std::vector<SyscallRule> syscall_filter_rules(const SyscallFilterOptions& options,
                                              const std::string& architecture = "");

// The architectures the rules were reviewed for, by libseccomp's names; the
// build refuses any other.
std::vector<std::string> reviewed_architectures();

}  // namespace mmx
