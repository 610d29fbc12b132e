#pragma once
// Structured log lines on stderr in logfmt, the format Prometheus and its
// exporters print: time=... level=info component=collector msg="..." key=value
// Each line is written with a single write(2) so lines from several threads
// and both processes never interleave.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmx {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogFields = std::vector<std::pair<std::string_view, std::string>>;

void set_log_component(std::string_view component);
void set_log_level(LogLevel level);
// Parses "debug", "info", "warn", "error".
bool parse_log_level(std::string_view text, LogLevel& level);

// Whether a line of `level` would be written: skips building fields that
// would be thrown away.
bool log_enabled(LogLevel level);
void log(LogLevel level, std::string_view message, const LogFields& fields = {});
inline void log_debug(std::string_view m, const LogFields& f = {}) {
  log(LogLevel::kDebug, m, f);
}
inline void log_info(std::string_view m, const LogFields& f = {}) {
  log(LogLevel::kInfo, m, f);
}
inline void log_warn(std::string_view m, const LogFields& f = {}) {
  log(LogLevel::kWarn, m, f);
}
inline void log_error(std::string_view m, const LogFields& f = {}) {
  log(LogLevel::kError, m, f);
}

// Quotes a logfmt value when it needs it.
std::string logfmt_value(std::string_view value);

}  // namespace mmx
