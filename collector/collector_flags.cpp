#include "collector_flags.h"

#include "build_config.h"
#include "flags.h"
#include "metrics_doc.h"
#include "sockets.h"

namespace mmx {
namespace {

// What parsing each flag alone cannot tell: ranges, and flags that depend on
// one another. Fills the fields derived from the flags.
Expected<> check_values(CollectorConfig& config, const std::string& level,
                        const std::string& sandbox_mode) {
  if (!parse_log_level(level, config.log_level)) {
    return fail("flag --log.level: invalid value \"" + level +
                "\" (want debug, info, warn or error)");
  }
  if (!parse_sandbox_mode(sandbox_mode, config.sandbox_mode)) {
    return fail("flag --sandbox-mode: invalid value \"" + sandbox_mode + "\" (want " +
                kSandboxModeValues + ")");
  }
  auto redaction = parse_redaction(config.redact_list);
  if (!redaction) return fail("flag --redact: " + redaction.error());
  config.redaction = *redaction;
  if (config.telemetry_path.empty() || config.telemetry_path[0] != '/' ||
      config.telemetry_path == "/" || config.telemetry_path == "/health") {
    return fail("flag --web.telemetry-path: \"" + config.telemetry_path +
                "\" must start with / and not be / or /health");
  }
  if (config.refresh_interval < std::chrono::seconds(1)) {
    return fail("flag --refresh-interval: must be at least 1s");
  }
  if (config.cell_info_interval > Duration::zero() &&
      config.cell_info_interval < std::chrono::seconds(1)) {
    return fail("flag --cell-info-interval: must be 0 or at least 1s");
  }
  if (config.dbus_timeout < std::chrono::milliseconds(10)) {
    return fail("flag --dbus.timeout: must be at least 10ms");
  }
  if (config.signal_rate > Duration::zero() && config.signal_rate < std::chrono::seconds(1)) {
    return fail("flag --signal-rate: must be 0 or at least 1s (ModemManager counts in seconds)");
  }
  if (config.listen_addresses.empty()) return fail("flag --web.listen-address: needs an address");
  for (const auto& text : config.listen_addresses) {
    if (auto address = parse_listen_address(text); !address) {
      return fail("flag --web.listen-address: " + address.error());
    }
  }
  auto route = resolve_web_route(config.external_url, config.route_prefix);
  if (!route) return fail("flag " + route.error());
  config.web_route = std::move(*route);
  if (!config.web_config_file.empty() && !config.collector_socket.empty()) {
    return fail(
        "flag --web.config.file: give it to mm-exporter-frontend; with --collector-socket "
        "this process serves no HTTP");
  }
  return {};
}

}  // namespace

Expected<> parse_collector_flags(int argc, const char* const* argv, CollectorConfig& config,
                                 std::string* usage) {
  FlagSet flags("mm-exporter",
                "Prometheus exporter for ModemManager. Runs as root (or a user ModemManager's\n"
                "D-Bus policy allows), mirrors ModemManager from D-Bus signals, and serves the\n"
                "metrics through an unprivileged frontend process it starts.");
  flags.add_strings({"web.listen-address", "listen-address"}, &config.listen_addresses,
                    "Address to serve metrics on: host:port, :port or unix:/path. Repeatable.");
  flags.add_string({"web.telemetry-path", "metrics-path"}, &config.telemetry_path,
                   "Path under which to expose metrics.");
  flags.add_string({"web.config.file"}, &config.web_config_file,
                   "Path of a Prometheus exporter-toolkit web config file: TLS, basic auth, "
                   "response headers. Read at start-up and on SIGHUP, which restarts the "
                   "frontend with it; empty: plain HTTP, no auth.");
  flags.add_string({"web.external-url"}, &config.external_url,
                   "The URL users reach the exporter at, e.g. behind a reverse proxy "
                   "(https://host/mm/); its path is the default of --web.route-prefix.");
  flags.add_string({"web.route-prefix"}, &config.route_prefix,
                   "Path prefix of every route served (default: the path of "
                   "--web.external-url, else /).");
  flags.add_duration({"signal-rate"}, &config.signal_rate,
                     "Refresh rate asked of each modem's extended signal measurements "
                     "(Signal.Setup); 0 leaves it alone.");
  flags.add_duration({"refresh-interval"}, &config.refresh_interval,
                     "How often to poll locations (GetLocation) and resync all state with "
                     "ModemManager to heal missed signals.");
  flags.add_duration({"cell-info-interval"}, &config.cell_info_interval,
                     "How often to poll each modem's serving and neighbour cells "
                     "(Modem.GetCellInfo), and right after it registers; 0 never asks.");
  flags.add_duration({"dbus.timeout"}, &config.dbus_timeout,
                     "Timeout of every D-Bus call to ModemManager.");
  flags.add_string({"collector-socket"}, &config.collector_socket,
                   "Listen for separately started frontends on this Unix socket path instead "
                   "of starting one (split mode).");
  flags.add_string({"frontend-path"}, &config.frontend_path,
                   "The mm-exporter-frontend binary to start (default: the one next to this "
                   "binary, else " MMX_FRONTEND_INSTALL_PATH ").");
  flags.add_string({"frontend-user"}, &config.frontend_user,
                   "User the frontend runs as when started as root, and that may connect to "
                   "--collector-socket (default: mm-exporter, else nobody).");
  std::string sandbox_mode(sandbox_mode_name(config.sandbox_mode));
  flags.add_string({"sandbox-mode"}, &sandbox_mode,
                   "What the frontend's syscall filter does with a syscall outside its "
                   "allowlist: enforce (kill) or log (let it run; the kernel logs it). log is "
                   "for diagnosing a new kernel or libc, never for production.");
  flags.add_uint({"web.max-requests"}, &config.max_requests, 0, 100000,
                 "Maximum number of parallel scrape requests; 0 means no limit.");
  flags.add_string({"redact"}, &config.redact_list,
                   "Comma-separated values never to export: imsi, iccid, eid, imei, msisdn, "
                   "location, or all.");
  std::string level = "info";
  flags.add_string({"log.level"}, &level, "Log level: debug, info, warn or error.");
  flags.add_bool({"version"}, &config.show_version, "Print version information and exit.");
  flags.add_bool({"help", "h"}, &config.show_help, "Show this help and exit.");

  if (usage != nullptr) *usage = flags.usage() + "\n" + metric_families_help();
  if (auto parsed = flags.parse(argc, argv); !parsed) return parsed;
  if (config.show_help || config.show_version) return {};
  return check_values(config, level, sandbox_mode);
}

}  // namespace mmx
