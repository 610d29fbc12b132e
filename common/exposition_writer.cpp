#include "exposition_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace mmx {
namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence that starts at text[i] (a byte
// >= 0x80), or 0 with `bad` set to the length of its maximal ill-formed
// subpart. The ranges are Table 3-7 of the Unicode standard, which excludes
// overlong forms, surrogates and code points above U+10FFFF.
std::size_t utf8_sequence_length(std::string_view text, std::size_t i, std::size_t& bad) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    bad = 1;
    return 0;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (i + k >= text.size()) {
      bad = k;
      return 0;
    }
    const auto c = static_cast<unsigned char>(text[i + k]);
    if (c < low || c > high) {
      bad = k;
      return 0;
    }
    low = 0x80;
    high = 0xBF;
  }
  return length;
}

// Appends `text` escaped with `escape(c)` (nullptr: keep c) and repaired.
// The escaped characters are ASCII, and ASCII never continues a multi-byte
// sequence, so repairing the runs between them gives the same result as
// repairing the whole text first.
template <typename Escape>
void append_escaped(std::string& out, std::string_view text, Escape escape) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char* replacement = escape(text[i]);
    if (replacement == nullptr) continue;
    append_repaired_utf8(out, text.substr(run, i - run));
    out.append(replacement);
    run = i + 1;
  }
  append_repaired_utf8(out, text.substr(run));
}

const char* label_value_escape(char c) {
  switch (c) {
    case '\\':
      return "\\\\";
    case '"':
      return "\\\"";
    case '\n':
      return "\\n";
    default:
      return nullptr;
  }
}

// Text 0.0.4 escapes only backslash and newline in HELP (a \" there is an
// error to its parser); OpenMetrics escapes the double quote as well.
const char* help_escape_text(char c) {
  switch (c) {
    case '\\':
      return "\\\\";
    case '\n':
      return "\\n";
    default:
      return nullptr;
  }
}

// OpenMetrics names a counter family without _total and an info family
// without _info; its samples keep the suffix. Text 0.0.4 uses the sample name.
std::string_view metadata_name(std::string_view name, MetricType type, Format format) {
  if (format != Format::kOpenMetrics) return name;
  auto strip = [&](std::string_view suffix) {
    return name.ends_with(suffix) ? name.substr(0, name.size() - suffix.size()) : name;
  };
  switch (type) {
    case MetricType::kCounter:
      return strip("_total");
    case MetricType::kInfo:
      return strip("_info");
    case MetricType::kGauge:
    case MetricType::kStateSet:
      return name;
  }
  return name;
}

}  // namespace

std::string_view metric_type_name(MetricType type, Format format) {
  switch (type) {
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kCounter:
      return "counter";
    case MetricType::kInfo:
      return format == Format::kOpenMetrics ? "info" : "gauge";
    case MetricType::kStateSet:
      return format == Format::kOpenMetrics ? "stateset" : "gauge";
  }
  return "untyped";
}

std::string_view content_type(Format format) {
  switch (format) {
    case Format::kText:
      return "text/plain; version=0.0.4; charset=utf-8";
    case Format::kOpenMetrics:
      return "application/openmetrics-text; version=1.0.0; charset=utf-8";
  }
  return "text/plain; version=0.0.4; charset=utf-8";
}

std::string_view exposition_terminator(Format format) {
  return format == Format::kOpenMetrics ? "# EOF\n" : "";
}

void append_repaired_utf8(std::string& out, std::string_view text) {
  std::size_t run = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t bad = 0;
    if (std::size_t length = utf8_sequence_length(text, i, bad); length != 0) {
      i += length;
      continue;
    }
    out.append(text.substr(run, i - run));
    out.append(kReplacementCharacter);
    i += bad;
    run = i;
  }
  out.append(text.substr(run));
}

void append_escaped_label_value(std::string& out, std::string_view value) {
  // Nearly every value is plain ASCII with nothing to escape: one scan, one
  // append.
  const bool plain = std::none_of(value.begin(), value.end(), [](char c) {
    return c == '\\' || c == '"' || c == '\n' || static_cast<unsigned char>(c) >= 0x80;
  });
  if (plain) {
    out.append(value);
    return;
  }
  append_escaped(out, value, label_value_escape);
}

void append_label(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append("=\"");
  append_escaped_label_value(out, value);
  out.push_back('"');
}

void append_value(std::string& out, double value) {
  // Most samples are 0 or 1 (states, flags, info); skip the general path.
  if (value == 0.0 && !std::signbit(value)) {
    out.push_back('0');
    return;
  }
  if (value == 1.0) {
    out.push_back('1');
    return;
  }
  if (std::isnan(value)) {
    out.append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out.append(value > 0 ? "+Inf" : "-Inf");
    return;
  }
  // Shortest round-trip form, never locale-dependent: to_chars is
  // specified to behave as in the "C" locale.
  char buffer[32];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  if (error != std::errc()) {
    out.append("NaN");  // cannot happen: 32 bytes hold any double
    return;
  }
  out.append(buffer, end);
}

void ExpositionWriter::family(std::string_view name, MetricType type, std::string_view unit,
                              std::string_view help) {
  name_ = name;
  type_ = type;
  unit_ = unit;
  help_ = help;
  head_pending_ = true;
  labels_open_ = false;
}

void ExpositionWriter::write_head() {
  const std::string_view meta = metadata_name(name_, type_, format_);
  out_.append("# HELP ");
  out_.append(meta);
  out_.push_back(' ');
  if (format_ == Format::kOpenMetrics) {
    append_escaped(out_, help_, label_value_escape);
  } else {
    append_escaped(out_, help_, help_escape_text);
  }
  out_.append("\n# TYPE ");
  out_.append(meta);
  out_.push_back(' ');
  out_.append(metric_type_name(type_, format_));
  out_.push_back('\n');
  if (format_ == Format::kOpenMetrics && !unit_.empty()) {
    out_.append("# UNIT ");
    out_.append(meta);
    out_.push_back(' ');
    out_.append(unit_);
    out_.push_back('\n');
  }
  head_pending_ = false;
}

void ExpositionWriter::begin_sample() {
  if (head_pending_) write_head();
  out_.append(name_);
  labels_open_ = false;
}

void ExpositionWriter::open_label() {
  out_.push_back(labels_open_ ? ',' : '{');
  labels_open_ = true;
}

void ExpositionWriter::label(std::string_view name, std::string_view value) {
  open_label();
  append_label(out_, name, value);
}

void ExpositionWriter::rendered_labels(std::string_view pairs) {
  if (pairs.empty()) return;
  open_label();
  out_.append(pairs);
}

void ExpositionWriter::value(double value) {
  if (labels_open_) out_.push_back('}');
  labels_open_ = false;
  out_.push_back(' ');
  append_value(out_, value);
  out_.push_back('\n');
}

}  // namespace mmx
