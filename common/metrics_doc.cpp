#include "metrics_doc.h"

#include "metric_families.h"

namespace mmx {
namespace {

// The type as OpenMetrics names it: the richest description of each family.
std::string_view type_name(MetricType type) {
  return metric_type_name(type, Format::kOpenMetrics);
}

// Markdown table cells may not hold a raw '|'.
std::string cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string metric_families_help() {
  std::string out = "Metrics (see docs/METRICS.md for labels and meaning):\n";
  for (const MetricFamily& f : metric_families()) {
    out += "  ";
    out += f.name;
    out += " (";
    out += type_name(f.type);
    out += ")\n";
  }
  return out;
}

std::string metric_families_markdown() {
  std::string out =
      "| metric | type | labels | description |\n"
      "|---|---|---|---|\n";
  for (const MetricFamily& f : metric_families()) {
    out += "| `";
    out += f.name;
    out += "` | ";
    out += type_name(f.type);
    out += " | ";
    bool first = true;
    for (std::string_view label : f.labels) {
      if (!first) out += ", ";
      out += label;
      first = false;
    }
    out += " | ";
    out += cell(f.help);
    out += " |\n";
  }
  return out;
}

std::string metric_families_markdown_list() {
  std::string out;
  for (const MetricFamily& f : metric_families()) {
    out += "- `";
    out += f.name;
    out += "` ";
    out += type_name(f.type);
    bool first = true;
    for (std::string_view label : f.labels) {
      out += first ? " {" : ", ";
      out += label;
      first = false;
    }
    if (!first) out += "}";
    out += "\n";
  }
  return out;
}

}  // namespace mmx
