#include "frontend_privileges.h"

#include <pwd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "errno_text.h"

namespace mmx {
namespace {

// nullopt with `error` empty when there is no such user.
std::optional<FrontendUser> look_up(const std::string& name, std::string& error) {
  passwd entry{};
  passwd* found = nullptr;
  std::vector<char> buffer(16 * 1024);
  const int rc = ::getpwnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0) {
    error = errno_text("cannot look up user \"" + name + "\"", rc);
    return std::nullopt;
  }
  if (found == nullptr) return std::nullopt;
  return FrontendUser{name, entry.pw_uid, entry.pw_gid};
}

}  // namespace

std::optional<FrontendUser> resolve_frontend_user(std::string_view requested, std::string& error) {
  error.clear();
  std::optional<FrontendUser> user;
  if (requested.empty()) {
    user = look_up(kDefaultFrontendUser, error);
    if (!user && error.empty()) user = look_up(kFallbackFrontendUser, error);
    if (!user && error.empty()) {
      error = std::string("neither user \"") + kDefaultFrontendUser + "\" nor \"" +
              kFallbackFrontendUser + "\" exists";
    }
  } else {
    user = look_up(std::string(requested), error);
    if (!user && error.empty()) error = "no user \"" + std::string(requested) + "\"";
  }
  if (!user) return std::nullopt;
  if (user->uid == 0 || user->gid == 0) {
    error = "user \"" + user->name + "\" has uid or gid 0: the frontend must not run as root";
    return std::nullopt;
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
