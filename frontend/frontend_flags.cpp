#include "frontend_flags.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>

#include "build_info.h"
#include "flags.h"
#include "invariant.h"

namespace mmx {
namespace {

constexpr const char* kSummary =
    "The HTTP side of mm-exporter: serves /metrics, /health and a landing page from the\n"
    "snapshots the collector sends. Holds no privilege and reads nothing but those snapshots\n"
    "and HTTP requests.";

bool parse_fd(std::string_view text, int& fd) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), fd);
  return ec == std::errc() && end == text.data() + text.size() && fd >= 0;
}

// Whether `fd` is a connected Unix stream socket; the error says what it is
// not.
Expected<> check_collector_fd(int fd) {
  const std::string name = "descriptor " + std::to_string(fd);
  int type = 0;
  int domain = 0;
  socklen_t length = sizeof type;
  if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0) {
    return fail(name + (errno == EBADF ? " is not open" : " is not a socket"));
  }
  length = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &length) != 0 || domain != AF_UNIX ||
      type != SOCK_STREAM) {
    return fail(name + " is not a Unix stream socket");
  }
  if (is_listening_socket(fd)) return fail(name + " is a listening socket, not a connection");
  sockaddr_storage peer{};
  length = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) {
    return fail(name + " is not connected");
  }
  return {};
}

Expected<> check_telemetry_path(std::string_view path) {
  if (path.empty() || path.front() != '/') return fail("must start with \"/\"");
  if (path == "/" || path == "/health") return fail("\"" + std::string(path) + "\" is taken");
  for (unsigned char c : path) {
    if (c <= ' ' || c == '?' || c == '#' || c >= 0x7f) {
      return fail("must be a plain path without spaces, \"?\" or \"#\"");
    }
  }
  return {};
}

}  // namespace

FlagOutcome parse_frontend_flags(int argc, const char* const* argv) {
  FlagOutcome outcome;
  FrontendConfig& config = outcome.config;
  bool help = false;
  bool version = false;
  bool collector_fd_given = false;

  FlagSet flags(kFrontendProgram, kSummary);
  flags.add_custom(
      {"collector-fd"}, "",
      [&](std::string_view v) -> Expected<> {
        int fd = -1;
        if (!parse_fd(v, fd)) return fail("invalid descriptor \"" + std::string(v) + "\"");
        if (auto usable = check_collector_fd(fd); !usable) return usable;
        config.collector_fd = fd;
        collector_fd_given = true;
        return {};
      },
      "an inherited, connected Unix stream socket to the collector");
  flags.add_custom(
      {"collector-socket"}, "",
      [&](std::string_view v) -> Expected<> {
        if (v.empty() || v.front() != '/') return fail("needs an absolute path");
        if (v.size() >= sizeof(sockaddr_un::sun_path)) {
          return fail("path longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) +
                      " bytes");
        }
        config.collector_socket = std::string(v);
        return {};
      },
      "connect to the collector listening on this path; reconnect when it goes away");
  flags.add_custom(
      {"listen-fd"}, "",
      [&](std::string_view v) -> Expected<> {
        int fd = -1;
        if (!parse_fd(v, fd)) return fail("invalid descriptor \"" + std::string(v) + "\"");
        if (!is_listening_socket(fd)) {
          return fail("descriptor " + std::to_string(fd) + " is not a listening socket");
        }
        if (std::find(config.listen_fds.begin(), config.listen_fds.end(), fd) !=
            config.listen_fds.end()) {
          return fail("descriptor " + std::to_string(fd) + " given twice");
        }
        config.listen_fds.push_back(fd);
        return {};
      },
      "an inherited listening socket to serve HTTP on (repeatable)");
  flags.add_custom(
      {"web.listen-address", "listen-address"}, kDefaultListenAddress,
      [&](std::string_view v) -> Expected<> {
        auto address = parse_listen_address(v);
        if (!address) return fail(address.error());
        config.listen_addresses.push_back(std::move(*address));
        return {};
      },
      "address to listen on: [host]:port or unix:/path (repeatable; the default applies only "
      "without --listen-fd and --web.systemd-socket)");
  flags.add_bool({"web.systemd-socket"}, &config.systemd_socket,
                 "serve on the listening sockets systemd passes (socket activation)");
  flags.add_custom(
      {"web.telemetry-path", "metrics-path"}, config.telemetry_path,
      [&](std::string_view v) -> Expected<> {
        if (auto usable = check_telemetry_path(v); !usable) return usable;
        config.telemetry_path = std::string(v);
        return {};
      },
      "path under which to expose metrics");
  flags.add_string({"web.config.file"}, &config.web_config_file,
                   "path of a Prometheus exporter-toolkit web config file: TLS, basic auth, "
                   "response headers (read at start-up; empty: plain HTTP, no auth)");
  std::string external_url;
  std::string route_prefix;
  flags.add_string({"web.external-url"}, &external_url,
                   "the URL users reach the exporter at, e.g. behind a reverse proxy "
                   "(https://host/mm/); its path is the default of --web.route-prefix");
  flags.add_string({"web.route-prefix"}, &route_prefix,
                   "path prefix of every route served (default: the path of "
                   "--web.external-url, else /)");
  flags.add_uint({"web.max-requests"}, &config.max_requests, 0, 1'000'000,
                 "maximum number of parallel scrape requests, 0 for no limit; more get 503");
  flags.add_custom(
      {"frontend-user"}, std::string(kDefaultFrontendUser) + ", else " + kFallbackFrontendUser,
      [&](std::string_view v) -> Expected<> {
        if (v.empty()) return fail("needs a user name");
        config.frontend_user = std::string(v);
        return {};
      },
      "when started as root, the user to run as after locking down (a given user must exist)");
  flags.add_custom(
      {"sandbox-mode"}, std::string(sandbox_mode_name(SandboxMode::kEnforce)),
      [&](std::string_view v) -> Expected<> {
        if (!parse_sandbox_mode(v, config.sandbox_mode)) {
          return fail("invalid mode \"" + std::string(v) + "\" (want " + kSandboxModeValues + ")");
        }
        return {};
      },
      "what the syscall filter does with a syscall outside its allowlist: enforce (kill the "
      "process) or log (the kernel logs it and lets it run; for diagnosing a new kernel or "
      "libc, never for production)");
  flags.add_custom(
      {"log.level"}, "info",
      [&](std::string_view v) -> Expected<> {
        if (!parse_log_level(v, config.log_level)) {
          return fail("invalid level \"" + std::string(v) + "\" (want debug, info, warn or error)");
        }
        return {};
      },
      "only log messages with this severity or above: debug, info, warn, error");
  flags.add_bool({"check-web-config"}, &config.check_web_config,
                 "check --web.config.file (and --web.external-url, --web.route-prefix), "
                 "print what is wrong and exit: 0 when valid, 2 when not");
  flags.add_bool({"version"}, &version, "print version information and exit");
  flags.add_bool({"help", "h"}, &help, "show this help and exit");

  if (auto parsed = flags.parse(argc, argv); !parsed) {
    outcome.action = FlagOutcome::Action::kError;
    outcome.message = parsed.error();
    return outcome;
  }
  if (help) {
    outcome.action = FlagOutcome::Action::kHelp;
    outcome.message = flags.usage();
    return outcome;
  }
  if (version) {
    outcome.action = FlagOutcome::Action::kVersion;
    outcome.message = version_text(kFrontendProgram);
    return outcome;
  }
  {
    auto route = resolve_web_route(external_url, route_prefix);
    if (!route) {
      outcome.action = FlagOutcome::Action::kError;
      outcome.message = "flag " + route.error();
      return outcome;
    }
    config.web_route = std::move(*route);
  }
  if (config.check_web_config) return outcome;
  if (collector_fd_given == !config.collector_socket.empty()) {
    outcome.action = FlagOutcome::Action::kError;
    outcome.message = collector_fd_given
                          ? "give either --collector-fd or --collector-socket, not both"
                          : "tell me where the collector is: --collector-fd=N or "
                            "--collector-socket=PATH";
    return outcome;
  }
  if (config.listen_addresses.empty() && config.listen_fds.empty() && !config.systemd_socket) {
    auto address = parse_listen_address(kDefaultListenAddress);
    MMX_ASSERT(address.has_value(), "the default listen address does not parse");
    config.listen_addresses.push_back(std::move(*address));
  }
  return outcome;
}

}  // namespace mmx
