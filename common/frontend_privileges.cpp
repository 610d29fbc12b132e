#include "frontend_privileges.h"

#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "errno_text.h"

namespace mmx {
namespace {

// nullopt when there is no such user; an error when the lookup failed.
Expected<std::optional<FrontendUser>> look_up(const std::string& name) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  const int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) return fail(errno_text("cannot look up user \"" + name + "\"", rc));
  if (found == nullptr) return std::nullopt;
  return FrontendUser{name, entry.pw_uid, entry.pw_gid};
}

// The user asked for, or the default, else the fallback.
Expected<FrontendUser> find_user(std::string_view requested) {
  if (!requested.empty()) {
    auto user = look_up(std::string(requested));
    if (!user) return fail(user.error());
    if (!*user) return fail("no user \"" + std::string(requested) + "\"");
    return **user;
  }
  for (const char* name : {kDefaultFrontendUser, kFallbackFrontendUser}) {
    auto user = look_up(name);
    if (!user) return fail(user.error());
    if (*user) return **user;
  }
  return fail(std::string("neither user \"") + kDefaultFrontendUser + "\" nor \"" +
              kFallbackFrontendUser + "\" exists");
}

}  // namespace

Expected<FrontendUser> resolve_frontend_user(std::string_view requested) {
  auto user = find_user(requested);
  if (user && (user->uid == 0 || user->gid == 0)) {
    return fail("user \"" + user->name + "\" has uid or gid 0: the frontend must not run as root");
  }
  return user;
}

bool parse_sandbox_mode(std::string_view text, SandboxMode& mode) {
  for (SandboxMode m : {SandboxMode::kEnforce, SandboxMode::kLog}) {
    if (text == sandbox_mode_name(m)) {
      mode = m;
      return true;
    }
  }
  return false;
}

std::string_view sandbox_mode_name(SandboxMode mode) {
  switch (mode) {
    case SandboxMode::kEnforce:
      return "enforce";
    case SandboxMode::kLog:
      return "log";
  }
  return "enforce";
}

}  // namespace mmx
