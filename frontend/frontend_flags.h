#pragma once
// The command line of mm-exporter-frontend. Parsing checks every value,
// including that inherited descriptors are what they claim to be, so main()
// only acts on a configuration that is known to be whole.

#include <string>
#include <vector>

#include "frontend_privileges.h"
#include "log.h"
#include "sockets.h"
#include "web_route.h"

namespace mmx {

struct FrontendConfig {
  // Exactly one of these two says where the snapshots come from.
  int collector_fd = -1;         // --collector-fd: an inherited, connected socket
  std::string collector_socket;  // --collector-socket: a path to connect to

  std::vector<int> listen_fds;                  // --listen-fd: inherited listening sockets
  std::vector<ListenAddress> listen_addresses;  // --web.listen-address: bound here
  bool systemd_socket = false;                  // --web.systemd-socket

  std::string telemetry_path = "/metrics";
  // --web.config.file: TLS, basic auth and headers (web_security.h); "" for
  // none. Read by main() before the sandbox.
  std::string web_config_file;
  // --web.external-url and --web.route-prefix, checked and normalised.
  WebRoute web_route;
  unsigned max_requests = 40;  // 0: unlimited
  LogLevel log_level = LogLevel::kInfo;

  // The sandbox (sandbox.h): the user to switch to when started as root
  // (--frontend-user; empty: the default, else its fallback), and what the
  // syscall filter does with a violation (--sandbox-mode).
  std::string frontend_user;
  SandboxMode sandbox_mode = SandboxMode::kEnforce;

  // --check-web-config: read --web.config.file and the route flags, say
  // what is wrong (exit 2) or nothing (exit 0), serve nothing. The
  // collector checks a file this way before it (re)starts a frontend with
  // it, so that it links neither OpenSSL nor yaml-cpp itself.
  bool check_web_config = false;
};

struct FlagOutcome {
  enum class Action { kRun, kHelp, kVersion, kError };
  Action action = Action::kRun;
  // The usage text for kHelp, the version text for kVersion, the problem for
  // kError (one line, without the program name).
  std::string message;
  FrontendConfig config;
};

inline constexpr const char* kFrontendProgram = "mm-exporter-frontend";
inline constexpr const char* kDefaultListenAddress = ":9539";

// Parses argv[1..argc). The default listen address applies only when no
// --listen-fd and no --web.systemd-socket is given.
FlagOutcome parse_frontend_flags(int argc, const char* const* argv);

}  // namespace mmx
