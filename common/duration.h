#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mmx {

using Duration = std::chrono::nanoseconds;

// Parses Go's time.ParseDuration syntax ("500ms", "1m30s", "1.5h", "0"), the
// syntax of the seed exporter's flags. Negative durations and overflow are
// rejected. Returns nullopt on any error.
std::optional<Duration> parse_duration(std::string_view text);

// Formats like Go's Duration.String(): "5s", "1m30s", "250ms", "0s".
std::string format_duration(Duration d);

}  // namespace mmx
