#pragma once
// What the collector and the frontend must agree on about the frontend's
// confinement: the user it runs as (the frontend switches to it when started
// as root; the collector lets that uid connect to its snapshot socket) and
// how its syscall filter treats a violation.

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

#include "expected.h"

namespace mmx {

// The system user made for the frontend (sysusers.d); where it does not
// exist, the frontend runs as the user every system has for exactly this.
inline constexpr const char* kDefaultFrontendUser = "mm-exporter";
inline constexpr const char* kFallbackFrontendUser = "nobody";

struct FrontendUser {
  std::string name;
  uid_t uid = 0;
  gid_t gid = 0;
};

// `requested` empty: kDefaultFrontendUser, else kFallbackFrontendUser. A
// named user must exist; no fallback for it. A user whose uid or primary gid
// is 0 is refused: dropping to it would drop nothing. An error when there is
// no usable user.
[[nodiscard]] Expected<FrontendUser> resolve_frontend_user(std::string_view requested);

// What the frontend's seccomp filter does with a syscall outside its
// allowlist. kLog exists to find what a new kernel or libc needs (the kernel
// logs each such call, see docs/SECURITY.md) and is never the default.
enum class SandboxMode { kEnforce, kLog };

inline constexpr const char* kSandboxModeValues = "enforce or log";
bool parse_sandbox_mode(std::string_view text, SandboxMode& mode);
std::string_view sandbox_mode_name(SandboxMode mode);

}  // namespace mmx
