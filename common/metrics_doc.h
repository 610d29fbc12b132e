#pragma once
// The list of metric families for people: in --help, in docs/METRICS.md and
// in the README, all generated from the table in metric_families.h so that
// none of them can drift from what /metrics serves.

#include <string>

namespace mmx {

// "Metrics:" and one indented line per family name with its type.
std::string metric_families_help();

// A Markdown table of every family: name, type, labels, description.
std::string metric_families_markdown();

// A compact Markdown list: one line per family with its type and labels.
std::string metric_families_markdown_list();

}  // namespace mmx
