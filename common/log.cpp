#include "log.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace mmx {
namespace {

std::atomic<LogLevel> g_level{LogLevel::kInfo};
char g_component[32] = "mm-exporter";

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  // Not strftime(): it calls tzset(), which opens /etc/localtime at every
  // call, and the sandboxed frontend may open nothing.
  char out[48];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis));
  return out;
}

}  // namespace

void set_log_component(std::string_view component) {
  const std::size_t n = std::min(component.size(), sizeof g_component - 1);
  component.copy(g_component, n);
  g_component[n] = '\0';
}

void set_log_level(LogLevel level) {
  g_level = level;
}

bool log_enabled(LogLevel level) {
  return level >= g_level.load(std::memory_order_relaxed);
}

bool parse_log_level(std::string_view text, LogLevel& level) {
  for (LogLevel l : {LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError}) {
    if (text == level_name(l)) {
      level = l;
      return true;
    }
  }
  return false;
}

std::string logfmt_value(std::string_view value) {
  bool plain = !value.empty();
  for (unsigned char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || c >= 0x7f) plain = false;
  }
  if (plain) return std::string(value);
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (c < ' ') {
          char hex[8];
          std::snprintf(hex, sizeof hex, "\\x%02x", c);
          out += hex;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void log(LogLevel level, std::string_view message, const LogFields& fields) {
  if (level < g_level.load(std::memory_order_relaxed)) return;
  const int saved_errno = errno;
  std::string line = "time=" + timestamp() + " level=" + std::string(level_name(level)) +
                     " component=" + g_component + " msg=" + logfmt_value(message);
  for (const auto& [key, value] : fields) {
    line += " ";
    line += key;
    line += "=";
    line += logfmt_value(value);
  }
  line += "\n";
  // A failed write to stderr has nowhere to be reported.
  [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
  errno = saved_errno;
}

}  // namespace mmx
