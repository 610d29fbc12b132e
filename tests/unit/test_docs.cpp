// docs/METRICS.md and the README's metric list are generated from the table
// in common/metric_families.h; these tests fail when either drifts.
// Regenerate with: MMX_UPDATE_DOCS=1 ./build/bin/unit-tests -tc='docs*'

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "metric_families.h"
#include "metrics_doc.h"

namespace {

const std::string kSourceDir = MMX_SOURCE_DIR;
constexpr std::string_view kBegin =
    "<!-- metrics:begin (generated; see tests/unit/test_docs.cpp) -->\n";
constexpr std::string_view kEnd = "<!-- metrics:end -->\n";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream(path, std::ios::binary) << content;
}

bool updating() {
  const char* value = std::getenv("MMX_UPDATE_DOCS");
  return value != nullptr && std::string(value) == "1";
}

// Replaces what lies between the markers in `document`.
std::string with_generated(const std::string& document, const std::string& generated) {
  const auto begin = document.find(kBegin);
  const auto end = document.find(kEnd);
  REQUIRE_MESSAGE(begin != std::string::npos, "metrics:begin marker missing");
  REQUIRE_MESSAGE(end != std::string::npos, "metrics:end marker missing");
  return document.substr(0, begin + kBegin.size()) + generated + document.substr(end);
}

}  // namespace

TEST_CASE("docs: docs/METRICS.md lists every metric family the code serves") {
  const std::string path = kSourceDir + "/docs/METRICS.md";
  const std::string current = read_file(path);
  const std::string expected = with_generated(current, mmx::metric_families_markdown());
  if (updating()) write_file(path, expected);
  CHECK_MESSAGE(current == expected, "docs/METRICS.md is stale: run with MMX_UPDATE_DOCS=1");
}

TEST_CASE("docs: the README lists every metric family the code serves") {
  const std::string path = kSourceDir + "/README.md";
  const std::string current = read_file(path);
  const std::string expected = with_generated(current, mmx::metric_families_markdown_list());
  if (updating()) write_file(path, expected);
  CHECK_MESSAGE(current == expected,
                "README.md's metric list is stale: run with MMX_UPDATE_DOCS=1");
}

TEST_CASE("docs: --help names every metric family") {
  const std::string help = mmx::metric_families_help();
  for (const auto& family : mmx::metric_families()) {
    CAPTURE(family.name);
    CHECK(help.find(std::string(family.name) + " (") != std::string::npos);
  }
}
