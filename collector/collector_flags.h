#pragma once
// Flags of mm-exporter (the collector and one-command entry point).

#include <string>
#include <vector>

#include "duration.h"
#include "expected.h"
#include "frontend_privileges.h"
#include "log.h"
#include "redaction.h"
#include "web_route.h"

namespace mmx {

struct CollectorConfig {
  std::vector<std::string> listen_addresses = {":9539"};
  std::string telemetry_path = "/metrics";
  // Passed to the frontend. The config file is made absolute and checked at
  // start-up and before every reload (SIGHUP).
  std::string web_config_file;
  std::string external_url;
  std::string route_prefix;
  WebRoute web_route;  // the two above, checked and normalised
  Duration signal_rate = std::chrono::seconds(5);
  Duration refresh_interval = std::chrono::seconds(30);
  Duration dbus_timeout = std::chrono::seconds(5);
  // Modem.GetCellInfo poll; zero: never asked.
  Duration cell_info_interval = std::chrono::seconds(60);
  std::string collector_socket;  // listen for frontends here instead of starting one
  std::string frontend_path;     // default: mm-exporter-frontend next to this binary
  // The frontend's user (empty: mm-exporter, else nobody), resolved at start:
  // passed to the frontend, and allowed to connect to --collector-socket.
  std::string frontend_user;
  SandboxMode sandbox_mode = SandboxMode::kEnforce;  // passed to the frontend
  unsigned max_requests = 40;
  std::string redact_list;
  Redaction redaction;
  LogLevel log_level = LogLevel::kInfo;
  bool show_version = false;
  bool show_help = false;
};

// Parses argv; the error is the message (for "mm-exporter: <message>").
[[nodiscard]] Expected<> parse_collector_flags(int argc, const char* const* argv,
                                               CollectorConfig& config, std::string* usage);

}  // namespace mmx
