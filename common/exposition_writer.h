#pragma once
// Low-level writer of the Prometheus exposition formats: text 0.0.4 and
// OpenMetrics 1.0.0. It knows the syntax (metadata lines, escaping, number
// spelling, per-format naming of counters and info families) and nothing of
// ModemManager.
//
// Output is always valid UTF-8: every invalid byte sequence in HELP text or a
// label value becomes U+FFFD, so a hostile string from a modem can neither
// break the line structure nor make a scraper reject the whole page.

#include <cstdint>
#include <string>
#include <string_view>

namespace mmx {

enum class Format : std::uint8_t {
  kText,         // Prometheus text format 0.0.4
  kOpenMetrics,  // OpenMetrics text format 1.0.0
};

enum class MetricType : std::uint8_t {
  kGauge,
  kCounter,   // sample name ends in _total; OpenMetrics metadata names it without
  kInfo,      // value 1, sample name ends in _info; a gauge in text 0.0.4
  kStateSet,  // a gauge in text 0.0.4; in OpenMetrics the state label must be
              // named like the family, so contract enums use kGauge instead
};

// The TYPE line's word for `type` in `format` (info and stateset are
// gauges in text 0.0.4).
std::string_view metric_type_name(MetricType type, Format format);

// The HTTP Content-Type of a page in `format`.
std::string_view content_type(Format format);

// What ends a complete page: "# EOF\n" for OpenMetrics, nothing for 0.0.4.
// Append it once, after the last family of all parts of a page.
std::string_view exposition_terminator(Format format);

// Appends `text`, each invalid UTF-8 sequence (maximal subpart, as the Unicode
// standard recommends) replaced by U+FFFD.
void append_repaired_utf8(std::string& out, std::string_view text);

// Appends a label value escaped for both formats (\\, \", \n) and repaired.
void append_escaped_label_value(std::string& out, std::string_view value);

// Appends `name="value"`, escaped: for label sets rendered once and reused
// with ExpositionWriter::rendered_labels.
void append_label(std::string& out, std::string_view name, std::string_view value);

// Appends a sample value: shortest text that reads back as the same double,
// independent of the locale; NaN, +Inf, -Inf spelled as both formats want.
void append_value(std::string& out, double value);

// Writes families into a caller-owned string, one family at a time:
//
//   w.family("x_total", MetricType::kCounter, "", "help");
//   w.begin_sample(); w.label("kind", "timeout"); w.value(3);
//
// A family's HELP/TYPE/UNIT lines are written just before its first sample,
// so a family without samples leaves no trace and none is ever split. Label
// names and family names are trusted (they come from metric_families); label
// values are escaped.
class ExpositionWriter {
 public:
  ExpositionWriter(std::string& out, Format format) : out_(out), format_(format) {}

  // `name` is the sample name as text 0.0.4 shows it ("..._total" for
  // counters, "..._info" for info). `unit` is empty or a suffix of the name.
  void family(std::string_view name, MetricType type, std::string_view unit, std::string_view help);

  void begin_sample();
  void label(std::string_view name, std::string_view value);
  // Label pairs made with append_label, comma-separated.
  void rendered_labels(std::string_view pairs);
  // Ends the sample.
  void value(double value);

  Format format() const { return format_; }

 private:
  void write_head();
  void open_label();

  std::string& out_;
  Format format_;
  std::string_view name_;
  std::string_view unit_;
  std::string_view help_;
  MetricType type_ = MetricType::kGauge;
  bool head_pending_ = false;
  bool labels_open_ = false;
};

}  // namespace mmx
