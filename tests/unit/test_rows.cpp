// The one row writer of the exposition (frontend/render/rows.h): label names
// from the metric table, and in builds that check invariants, an abort for
// a row that does not match its family.

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>

#include "rows.h"

namespace {

using mmx::FamilyId;
using mmx::Format;

TEST_CASE("rows: label names come from the family's entry in the table") {
  std::string out;
  mmx::RowWriter rows(out, Format::kText);
  const mmx::RenderedLabels modem(FamilyId::kModemInfo, {}, {"abc"});
  const mmx::RenderedLabels bearer(FamilyId::kBearerInfo, modem, {"2"});
  rows.row(FamilyId::kModemState, modem, {"registered"}, 1);
  rows.row(FamilyId::kSimInfo, modem,
           {mmx::LabelValue::absent(), "true", "8949", "", "", "26201", "Op", "physical"}, 1);
  rows.row(FamilyId::kBearerConnected, bearer, 1);
  CHECK(out.find("modemmanager_modem_state{device_id=\"abc\",state=\"registered\"} 1\n") !=
        std::string::npos);
  CHECK(out.find("modemmanager_sim_info{device_id=\"abc\",active=\"true\",iccid=\"8949\",imsi=\"\","
                 "eid=\"\",operator_identifier=\"26201\",operator_name=\"Op\","
                 "sim_type=\"physical\"} 1\n") != std::string::npos);
  CHECK(out.find("modemmanager_bearer_connected{device_id=\"abc\",bearer=\"2\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("rows: a value's bytes are recorded when asked") {
  std::string out;
  mmx::RowWriter rows(out, Format::kText);
  mmx::TextRanges ranges;
  rows.row(FamilyId::kProcessOpenFds, {"frontend"}, 7, &ranges);
  REQUIRE(ranges.size() == 1);
  CHECK(out.substr(ranges[0].first, ranges[0].second - ranges[0].first) == "} 7\n");
}

#if defined(MMX_CHECK_INVARIANTS)
// True if `body`, run in a child, ends it with SIGABRT.
bool aborts(const std::function<void()>& body) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(STDERR_FILENO);  // the invariant's message is expected
    body();
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

TEST_CASE("rows: a row that does not match its family aborts in checking builds") {
  const auto page = [](const std::function<void(mmx::RowWriter&)>& write) {
    return [write] {
      std::string out;
      mmx::RowWriter rows(out, Format::kText);
      write(rows);
    };
  };
  const mmx::RenderedLabels modem(FamilyId::kModemInfo, {}, {"abc"});
  const mmx::RenderedLabels bearer(FamilyId::kBearerInfo, modem, {"2"});
  // The control: a matching row does not abort.
  CHECK_FALSE(
      aborts(page([&](mmx::RowWriter& r) { r.row(FamilyId::kModemState, modem, {"x"}, 1); })));
  // A label too few, one too many.
  CHECK(aborts(page([&](mmx::RowWriter& r) { r.row(FamilyId::kModemState, modem, 1); })));
  CHECK(aborts(page([&](mmx::RowWriter& r) {
    r.row(FamilyId::kModemState, modem, {"x", "y"}, 1);
  })));
  // A bearer's labels on a modem family (bearer where state belongs).
  CHECK(aborts(page([&](mmx::RowWriter& r) { r.row(FamilyId::kModemState, bearer, 1); })));
  // A family resumed after the next began: it would be split.
  CHECK(aborts(page([&](mmx::RowWriter& r) {
    r.row(FamilyId::kModems, 1);
    r.row(FamilyId::kUp, 1);
  })));
}
#endif

// The renderers write rows only through RowWriter: a sample written by hand
// would take its label names from the renderer, not from the table.
TEST_CASE("rows: no renderer writes a sample but through RowWriter") {
  const std::filesystem::path render = std::filesystem::path(MMX_SOURCE_DIR) / "frontend/render";
  int checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(render)) {
    const std::string name = entry.path().filename().string();
    if (!name.ends_with(".cpp") || name == "rows.cpp") continue;
    std::ifstream file(entry.path());
    std::stringstream content;
    content << file.rdbuf();
    const std::string source = content.str();
    for (const char* call : {"begin_sample(", ".label(", "rendered_labels(", "begin_family("}) {
      CHECK_MESSAGE(source.find(call) == std::string::npos, name, " calls ", call);
    }
    ++checked;
  }
  CHECK(checked >= 10);
}

}  // namespace
