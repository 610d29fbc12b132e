#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "exposition_writer.h"

namespace {

using mmx::Format;
using mmx::MetricType;

std::string escaped(std::string_view value) {
  std::string out;
  mmx::append_escaped_label_value(out, value);
  return out;
}

std::string repaired(std::string_view text) {
  std::string out;
  mmx::append_repaired_utf8(out, text);
  return out;
}

std::string number(double value) {
  std::string out;
  mmx::append_value(out, value);
  return out;
}

const std::string kFffd = "\xEF\xBF\xBD";

}  // namespace

TEST_CASE("exposition_writer: label values escape backslash, double quote and newline") {
  CHECK(escaped(R"(C:\modem)") == R"(C:\\modem)");
  CHECK(escaped(R"(say "hi")") == R"(say \"hi\")");
  CHECK(escaped("two\nlines") == R"(two\nlines)");
  CHECK(escaped("\\\"\n") == R"(\\\"\n)");
  CHECK(escaped("tab\tand\rcr stay") == "tab\tand\rcr stay");
  CHECK(escaped("") == "");
}

TEST_CASE("exposition_writer: valid UTF-8 passes through unchanged") {
  CHECK(repaired("Telefónica") == "Telefónica");
  CHECK(repaired("中国移动") == "中国移动");
  CHECK(repaired("\xF0\x9F\x93\xB6") == "\xF0\x9F\x93\xB6");  // U+1F4F6, 4 bytes
  CHECK(repaired("\xF4\x8F\xBF\xBF") == "\xF4\x8F\xBF\xBF");  // U+10FFFF, the last
  CHECK(repaired(std::string_view("a\0b", 3)) == std::string_view("a\0b", 3));
}

TEST_CASE("exposition_writer: invalid UTF-8 becomes U+FFFD, one per maximal subpart") {
  CHECK(repaired("\xFF") == kFffd);
  CHECK(repaired("a\x80z") == "a" + kFffd + "z");            // lone continuation byte
  CHECK(repaired("\xC3") == kFffd);                          // truncated at the end
  CHECK(repaired("\xC3(") == kFffd + "(");                   // continuation missing
  CHECK(repaired("\xC0\xAF") == kFffd + kFffd);              // overlong '/', C0 never valid
  CHECK(repaired("\xE0\x80\xAF") == kFffd + kFffd + kFffd);  // overlong 3-byte form
  CHECK(repaired("\xED\xA0\x80") == kFffd + kFffd + kFffd);  // UTF-16 surrogate D800
  CHECK(repaired("\xF4\x90\x80\x80") == kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  CHECK(repaired("\xE2\x82") == kFffd);                                  // maximal subpart of "€"
  CHECK(repaired("\xE2\x82x") == kFffd + "x");
  CHECK(repaired("\xF0\x9F\x93") == kFffd);
  CHECK(repaired("ok\xF5\xBF") == "ok" + kFffd + kFffd);
}

TEST_CASE("exposition_writer: escaping and repair combine in label values") {
  CHECK(escaped("\"\xC3\"") == "\\\"" + kFffd + "\\\"");
  CHECK(escaped("\xE2\x82\n") == kFffd + "\\n");
}

TEST_CASE("exposition_writer: values are shortest round-trip and locale independent") {
  CHECK(number(0) == "0");
  CHECK(number(1) == "1");
  CHECK(number(-95) == "-95");
  CHECK(number(-9.5) == "-9.5");
  CHECK(number(0.1) == "0.1");
  CHECK(number(40.4168) == "40.4168");
  CHECK(number(1e21) == "1e+21");
  CHECK(number(123456789) == "123456789");
  CHECK(number(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(std::stod(number(1.0 / 3.0)) == 1.0 / 3.0);
}

TEST_CASE("exposition_writer: NaN and infinities are spelled as the formats want") {
  CHECK(number(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(number(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(number(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("exposition_writer: text 0.0.4 writes HELP and TYPE under the sample name") {
  std::string out;
  mmx::ExpositionWriter w(out, Format::kText);
  w.family("x_errors_total", MetricType::kCounter, "", "Errors.");
  w.begin_sample();
  w.label("kind", "timeout");
  w.value(3);
  w.family("x_info", MetricType::kInfo, "", "Version.");
  w.begin_sample();
  w.label("version", "1.0");
  w.value(1);
  w.family("x_state", MetricType::kStateSet, "", "State.");
  w.begin_sample();
  w.label("x_state", "on");
  w.value(1);
  w.family("x_seconds", MetricType::kGauge, "seconds", "Time.");
  w.begin_sample();
  w.value(0.5);
  CHECK(out ==
        "# HELP x_errors_total Errors.\n"
        "# TYPE x_errors_total counter\n"
        "x_errors_total{kind=\"timeout\"} 3\n"
        "# HELP x_info Version.\n"
        "# TYPE x_info gauge\n"
        "x_info{version=\"1.0\"} 1\n"
        "# HELP x_state State.\n"
        "# TYPE x_state gauge\n"
        "x_state{x_state=\"on\"} 1\n"
        "# HELP x_seconds Time.\n"
        "# TYPE x_seconds gauge\n"
        "x_seconds 0.5\n");
  CHECK(mmx::exposition_terminator(Format::kText).empty());
}

TEST_CASE("exposition_writer: OpenMetrics names counter and info families without suffix") {
  std::string out;
  mmx::ExpositionWriter w(out, Format::kOpenMetrics);
  w.family("x_errors_total", MetricType::kCounter, "", "Errors.");
  w.begin_sample();
  w.label("kind", "timeout");
  w.value(3);
  w.family("x_info", MetricType::kInfo, "", "Version.");
  w.begin_sample();
  w.label("version", "1.0");
  w.value(1);
  w.family("x_state", MetricType::kStateSet, "", "State.");
  w.begin_sample();
  w.label("x_state", "on");
  w.value(1);
  w.family("x_bytes_total", MetricType::kCounter, "bytes", "Bytes.");
  w.begin_sample();
  w.value(10);
  out.append(mmx::exposition_terminator(Format::kOpenMetrics));
  CHECK(out ==
        "# HELP x_errors Errors.\n"
        "# TYPE x_errors counter\n"
        "x_errors_total{kind=\"timeout\"} 3\n"
        "# HELP x Version.\n"
        "# TYPE x info\n"
        "x_info{version=\"1.0\"} 1\n"
        "# HELP x_state State.\n"
        "# TYPE x_state stateset\n"
        "x_state{x_state=\"on\"} 1\n"
        "# HELP x_bytes Bytes.\n"
        "# TYPE x_bytes counter\n"
        "# UNIT x_bytes bytes\n"
        "x_bytes_total 10\n"
        "# EOF\n");
}

TEST_CASE("exposition_writer: HELP escapes per format and is repaired") {
  std::string text;
  mmx::ExpositionWriter t(text, Format::kText);
  t.family("x", MetricType::kGauge, "", "a \\ b\nc \"d\" \xFF");
  t.begin_sample();
  t.value(1);
  CHECK(text.starts_with("# HELP x a \\\\ b\\nc \"d\" " + kFffd + "\n"));

  std::string om;
  mmx::ExpositionWriter o(om, Format::kOpenMetrics);
  o.family("x", MetricType::kGauge, "", "a \\ b\nc \"d\" \xFF");
  o.begin_sample();
  o.value(1);
  CHECK(om.starts_with("# HELP x a \\\\ b\\nc \\\"d\\\" " + kFffd + "\n"));
}

TEST_CASE("exposition_writer: a family without samples writes nothing") {
  std::string out;
  mmx::ExpositionWriter w(out, Format::kText);
  w.family("x_empty", MetricType::kGauge, "", "Nothing.");
  w.family("x_full", MetricType::kGauge, "", "Something.");
  w.begin_sample();
  w.value(2);
  CHECK(out == "# HELP x_full Something.\n# TYPE x_full gauge\nx_full 2\n");
}

TEST_CASE("exposition_writer: pre-rendered label pairs join the sample's labels") {
  std::string labels;
  mmx::append_label(labels, "device_id", "a\"b");
  std::string out;
  mmx::ExpositionWriter w(out, Format::kText);
  w.family("x", MetricType::kGauge, "", "X.");
  w.begin_sample();
  w.rendered_labels(labels);
  w.label("state", "on");
  w.value(1);
  w.begin_sample();
  w.rendered_labels(labels);
  w.value(0);
  CHECK(out.ends_with("x{device_id=\"a\\\"b\",state=\"on\"} 1\nx{device_id=\"a\\\"b\"} 0\n"));
}

TEST_CASE("exposition_writer: content types name the format and its version") {
  CHECK(mmx::content_type(Format::kText) == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(mmx::content_type(Format::kOpenMetrics) ==
        "application/openmetrics-text; version=1.0.0; charset=utf-8");
}
