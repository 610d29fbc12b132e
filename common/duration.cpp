#include "duration.h"

#include <cstdint>
#include <limits>

namespace mmx {
namespace {

struct Unit {
  std::string_view suffix;
  std::int64_t nanos;
};

// Longest suffixes first so "ms" is not read as "m".
constexpr Unit kUnits[] = {
    {"ns", 1},
    {"us", 1'000},
    {"\xc2\xb5s", 1'000},  // U+00B5 micro sign, as Go accepts
    {"\xce\xbcs", 1'000},  // U+03BC Greek mu, as Go accepts
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
};

std::optional<std::int64_t> unit_nanos(std::string_view rest, std::size_t& length) {
  for (const auto& unit : kUnits) {
    if (rest.substr(0, unit.suffix.size()) == unit.suffix) {
      // "m" must not swallow the "m" of "ms".
      if (unit.suffix == "m" && rest.size() > 1 && rest[1] == 's') continue;
      length = unit.suffix.size();
      return unit.nanos;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  if (text == "0") return Duration::zero();
  if (text.empty()) return std::nullopt;
  long double total = 0;
  std::string_view rest = text;
  while (!rest.empty()) {
    std::size_t i = 0;
    long double number = 0;
    bool digits = false;
    while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
      number = number * 10 + (rest[i] - '0');
      digits = true;
      ++i;
    }
    if (i < rest.size() && rest[i] == '.') {
      ++i;
      long double scale = 0.1L;
      while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
        number += (rest[i] - '0') * scale;
        scale /= 10;
        digits = true;
        ++i;
      }
    }
    if (!digits) return std::nullopt;
    std::size_t unit_length = 0;
    auto nanos = unit_nanos(rest.substr(i), unit_length);
    if (!nanos) return std::nullopt;  // Go requires a unit on every number but "0".
    total += number * static_cast<long double>(*nanos);
    if (total > static_cast<long double>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    rest.remove_prefix(i + unit_length);
  }
  return Duration(static_cast<std::int64_t>(total + 0.5L));
}

std::string format_duration(Duration d) {
  std::int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out;
  if (ns < 0) {
    out = "-";
    ns = -ns;
  }
  auto fraction = [](std::int64_t value, std::int64_t unit) {
    std::string s = std::to_string(value / unit);
    std::int64_t rem = value % unit;
    if (rem != 0) {
      std::string digits = std::to_string(rem + unit).substr(1);  // zero-padded
      while (!digits.empty() && digits.back() == '0') digits.pop_back();
      s += "." + digits;
    }
    return s;
  };
  if (ns < 1'000) return out + std::to_string(ns) + "ns";
  if (ns < 1'000'000) return out + fraction(ns, 1'000) + "\xc2\xb5s";
  if (ns < 1'000'000'000) return out + fraction(ns, 1'000'000) + "ms";
  const std::int64_t hours = ns / 3'600'000'000'000;
  ns %= 3'600'000'000'000;
  const std::int64_t minutes = ns / 60'000'000'000;
  ns %= 60'000'000'000;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return out + fraction(ns, 1'000'000'000) + "s";
}

}  // namespace mmx
