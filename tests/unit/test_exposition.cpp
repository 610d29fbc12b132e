#include <ModemManager.h>
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "exposition.h"
#include "metric_families.h"
#include "snapshot_fixtures.h"
#include "test_support.h"

namespace {

using mmx::Format;
using mmx::test::SnapshotFixture;

// ---------------------------------------------------------------------------
// A strict reader of exposition pages, to check whole outputs: every line
// parses, each family has one HELP and one TYPE before its samples, a
// family's samples are contiguous, no series repeats, label values use only
// the escapes the formats define, the page is valid UTF-8 and OpenMetrics
// ends with exactly one "# EOF".

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string value;
};

struct Family {
  std::string name;  // metadata name
  std::string type;
  std::string help;
  std::string unit;
  int help_lines = 0;
  int type_lines = 0;
  std::vector<Sample> samples;
};

struct Page {
  std::vector<Family> families;
  std::vector<std::string> errors;
  bool eof = false;

  const Family* family(std::string_view name) const {
    for (const Family& f : families) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
};

bool valid_utf8(std::string_view s) {
  std::string repaired;
  mmx::append_repaired_utf8(repaired, s);
  return repaired == s;
}

bool is_name(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// The metadata name a sample belongs to under `type`.
bool owns(const Family& f, std::string_view sample, Format format) {
  if (format == Format::kOpenMetrics) {
    if (f.type == "counter") return sample == f.name + "_total";
    if (f.type == "info") return sample == f.name + "_info";
  }
  return sample == f.name;
}

bool parse_sample(std::string_view line, Sample& s, std::string& error) {
  std::size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (!is_name(s.name)) return error = "bad metric name", false;
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (true) {
      std::size_t eq = line.find('=', i);
      if (eq == std::string_view::npos) return error = "label without =", false;
      std::string name(line.substr(i, eq - i));
      if (!is_name(name)) return error = "bad label name '" + name + "'", false;
      if (eq + 1 >= line.size() || line[eq + 1] != '"') return error = "unquoted value", false;
      std::string value;
      std::size_t k = eq + 2;
      for (; k < line.size() && line[k] != '"'; ++k) {
        if (line[k] != '\\') {
          value.push_back(line[k]);
          continue;
        }
        if (++k >= line.size()) return error = "dangling backslash", false;
        switch (line[k]) {
          case '\\':
            value.push_back('\\');
            break;
          case '"':
            value.push_back('"');
            break;
          case 'n':
            value.push_back('\n');
            break;
          default:
            return error = "unknown escape", false;
        }
      }
      if (k >= line.size()) return error = "unterminated label value", false;
      if (!s.labels.emplace(name, value).second) return error = "duplicate label " + name, false;
      i = k + 1;
      if (i < line.size() && line[i] == ',') {
        ++i;
        continue;
      }
      if (i < line.size() && line[i] == '}') {
        ++i;
        break;
      }
      return error = "bad label separator", false;
    }
  }
  if (i >= line.size() || line[i] != ' ') return error = "no space before value", false;
  s.value = line.substr(i + 1);
  if (s.value == "NaN" || s.value == "+Inf" || s.value == "-Inf") return true;
  char* end = nullptr;
  std::strtod(s.value.c_str(), &end);
  if (s.value.empty() || *end != '\0') return error = "bad value '" + s.value + "'", false;
  return true;
}

Page parse_page(std::string_view page, Format format) {
  Page p;
  auto fail = [&](std::size_t n, std::string_view line, std::string what) {
    p.errors.push_back("line " + std::to_string(n) + ": " + what + ": " + std::string(line));
  };
  if (!valid_utf8(page)) p.errors.push_back("page is not valid UTF-8");
  if (!page.empty() && !page.ends_with('\n')) p.errors.push_back("page does not end in newline");
  std::set<std::string> series;
  Family* current = nullptr;
  auto family_for = [&](std::string_view name, std::size_t n, std::string_view line) -> Family* {
    if (current != nullptr && current->name == name) return current;
    for (const Family& f : p.families) {
      if (f.name == name) fail(n, line, "family " + f.name + " split or repeated");
    }
    p.families.push_back({std::string(name), "", "", "", 0, 0, {}});
    current = &p.families.back();
    return current;
  };
  std::size_t n = 0;
  std::size_t start = 0;
  while (start < page.size()) {
    const std::size_t end = page.find('\n', start);
    const std::string_view line = page.substr(start, end - start);
    start = end + 1;
    ++n;
    if (p.eof) fail(n, line, "line after # EOF");
    if (line.empty()) {
      fail(n, line, "blank line");
      continue;
    }
    if (line == "# EOF") {
      if (format != Format::kOpenMetrics) fail(n, line, "# EOF in text 0.0.4");
      p.eof = true;
      continue;
    }
    if (line.starts_with('#')) {
      std::istringstream in{std::string(line)};
      std::string hash, keyword, name;
      in >> hash >> keyword >> name;
      std::string rest;
      std::getline(in, rest);
      if (!rest.empty() && rest.front() == ' ') rest.erase(0, 1);
      if (!is_name(name)) fail(n, line, "bad metadata name");
      Family* f = family_for(name, n, line);
      if (!f->samples.empty()) fail(n, line, "metadata after samples");
      if (keyword == "HELP") {
        ++f->help_lines;
        f->help = rest;
      } else if (keyword == "TYPE") {
        ++f->type_lines;
        f->type = rest;
        static const std::set<std::string> text_types = {"gauge", "counter", "untyped", "histogram",
                                                         "summary"};
        static const std::set<std::string> om_types = {"gauge",          "counter", "info",
                                                       "stateset",       "unknown", "histogram",
                                                       "gaugehistogram", "summary"};
        const auto& types = format == Format::kOpenMetrics ? om_types : text_types;
        if (!types.contains(rest)) fail(n, line, "unknown type");
      } else if (keyword == "UNIT" && format == Format::kOpenMetrics) {
        f->unit = rest;
        if (!name.ends_with("_" + rest)) fail(n, line, "unit is not the name's suffix");
      } else {
        fail(n, line, "unknown comment line");
      }
      continue;
    }
    Sample s;
    std::string error;
    if (!parse_sample(line, s, error)) {
      fail(n, line, error);
      continue;
    }
    if (current == nullptr || !owns(*current, s.name, format)) {
      fail(n, line, "sample outside its family (no metadata, or family split)");
      continue;
    }
    if (current->type_lines == 0 || current->help_lines == 0) {
      fail(n, line, "sample before HELP and TYPE");
    }
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "|" + k + "=" + v;
    if (!series.insert(key).second) fail(n, line, "duplicate series");
    current->samples.push_back(std::move(s));
  }
  for (const Family& f : p.families) {
    if (f.help_lines != 1)
      p.errors.push_back(f.name + ": HELP lines: " + std::to_string(f.help_lines));
    if (f.type_lines != 1)
      p.errors.push_back(f.name + ": TYPE lines: " + std::to_string(f.type_lines));
  }
  if (format == Format::kOpenMetrics && !p.eof) p.errors.push_back("no # EOF");
  return p;
}

void check_page(std::string_view page, Format format) {
  Page p = parse_page(page, format);
  for (const std::string& e : p.errors) FAIL_CHECK(e);
  CHECK(p.errors.empty());
}

// The full page the frontend serves for `snapshot`.
std::string full_page(mmx::schema::Snapshot::Reader snapshot, Format format) {
  mmx::ExporterStatus status;
  status.build = {"0.1.0", "0123456789ab", "gcc 12.2.0", "0.9.2", "", "3.0.17"};
  status.collector_up = true;
  status.snapshots_total = 42;
  status.now_unix_nanos = mmx::test::kSnapshotUnixNanos + 1'500'000'000;
  status.process = {0.25, 4194304.0, 1699999100.0, 9.0, 1024.0};
  std::string page = mmx::render_exposition(snapshot, format);
  mmx::append_exporter_status(page, status, snapshot, format);
  page.append(mmx::exposition_terminator(format));
  return page;
}

bool has_line(std::string_view page, std::string_view line) {
  std::size_t pos = 0;
  while ((pos = page.find(line, pos)) != std::string_view::npos) {
    const bool starts = pos == 0 || page[pos - 1] == '\n';
    const bool ends = pos + line.size() == page.size() || page[pos + line.size()] == '\n';
    if (starts && ends) return true;
    ++pos;
  }
  return false;
}

std::size_t count_prefix(std::string_view page, std::string_view prefix) {
  std::size_t count = 0;
  std::size_t start = 0;
  while (start < page.size()) {
    const std::size_t end = page.find('\n', start);
    if (page.substr(start, end - start).starts_with(prefix)) ++count;
    start = end + 1;
  }
  return count;
}

const std::string kDevice0 = "device_id=\"" + mmx::test::device_id(0) + "\"";

std::string series(std::string_view name, std::string_view labels, std::string_view value) {
  std::string s(name);
  s += "{" + kDevice0;
  if (!labels.empty()) s += "," + std::string(labels);
  s += "} ";
  s += value;
  return s;
}

// Sets every value the typical fixture leaves out, so that every family of
// the snapshot part has a series.
void fill_everything(mmx::schema::Modem::Builder modem) {
  auto signal = modem.getSignal();
  auto set = [](mmx::schema::SignalValues::Builder v, double base) {
    v.setRssi(base);
    v.setRsrq(base / 10);
    v.setRsrp(base - 30);
    v.setSnr(12);
    v.setEcio(-7.5);
    v.setRscp(base - 20);
    v.setSinr(9);
    v.setIo(-80);
    v.setErrorRate(0.5);
  };
  set(signal.initCdma(), -70);
  set(signal.initEvdo(), -71);
  set(signal.initGsm(), -72);
  set(signal.initUmts(), -73);
  set(signal.getLte(), -65);
  set(signal.initNr5g(), -74);
  auto rejection = modem.getThreeGpp().initNetworkRejection();
  rejection.setError(11);
  rejection.setOperatorId("21407");
  modem.initSar().setPowerLevel(1);
  // A neighbour of each kind with the values the LTE cells lack.
  auto cells = modem.getCells();
  cells[2].setSinrDb(4.5);
  cells[2].setRscpDbm(-90);
  cells[2].setEcioDb(-6);
  cells[2].setRxLevelDbm(-70);
  auto bearer = modem.getBearers()[0];
  bearer.setConnectionErrorName("org.freedesktop.ModemManager1.Error.MobileEquipment.Gprs");
  bearer.setConnectionErrorMessage("Service option not subscribed");
}

}  // namespace

TEST_CASE("exposition: every snapshot family is rendered when ModemManager reports everything") {
  SnapshotFixture f(1);
  fill_everything(f.modem(0));
  for (Format format : {Format::kText, Format::kOpenMetrics}) {
    const std::string page = full_page(f.reader(), format);
    check_page(page, format);
    const Page p = parse_page(page, format);
    std::vector<std::string> order;
    for (const Family& fam : p.families) order.push_back(fam.name);
    std::vector<std::string> expected;
    for (const mmx::MetricFamily& fam : mmx::metric_families()) {
      std::string name(fam.name);
      if (format == Format::kOpenMetrics && fam.type == mmx::MetricType::kCounter) {
        name.resize(name.size() - 6);  // _total
      }
      if (format == Format::kOpenMetrics && fam.type == mmx::MetricType::kInfo) {
        name.resize(name.size() - 5);  // _info
      }
      expected.push_back(name);
    }
    // Every family of the table, each once, in the table's order.
    CHECK(order == expected);
  }
}

TEST_CASE("exposition: an enum is one series per value ModemManager defines") {
  SnapshotFixture f(1);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(count_prefix(page, "modemmanager_modem_state{") == 13);
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"connected\"", "1")));
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"failed\"", "0")));
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"initializing\"", "0")));
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"unknown\"", "0")));
  CHECK(has_line(page, series("modemmanager_modem_power_state", "state=\"on\"", "1")));
  CHECK(count_prefix(page, "modemmanager_modem_power_state{") == 4);
  CHECK(has_line(page, series("modemmanager_modem_state_failed_reason", "reason=\"none\"", "1")));
  CHECK(count_prefix(page, "modemmanager_modem_state_failed_reason{") == 6);
  CHECK(count_prefix(page, "modemmanager_modem_3gpp_registration_state{") == 12);
  CHECK(
      has_line(page, series("modemmanager_modem_3gpp_registration_state", "state=\"home\"", "1")));
  CHECK(has_line(
      page, series("modemmanager_modem_3gpp_registration_state", "state=\"home-sms-only\"", "0")));
  CHECK(has_line(
      page, series("modemmanager_modem_3gpp_subscription_state", "state=\"provisioned\"", "1")));
  CHECK(has_line(
      page, series("modemmanager_modem_3gpp_packet_service_state", "state=\"attached\"", "1")));
}

TEST_CASE("exposition: a failed modem has state failed and its reason") {
  SnapshotFixture f(1);
  f.modem(0).setState(MM_MODEM_STATE_FAILED);
  f.modem(0).setStateFailedReason(MM_MODEM_STATE_FAILED_REASON_SIM_MISSING);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"failed\"", "1")));
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"connected\"", "0")));
  CHECK(has_line(page,
                 series("modemmanager_modem_state_failed_reason", "reason=\"sim-missing\"", "1")));
}

TEST_CASE("exposition: a state number ModemManager does not define shows as other") {
  SnapshotFixture f(1);
  f.modem(0).setState(42);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has_line(page, series("modemmanager_modem_state", "state=\"other\"", "1")));
  CHECK(count_prefix(page, "modemmanager_modem_state{") == 14);
  CHECK_FALSE(has_line(page, series("modemmanager_modem_state", "state=\"connected\"", "1")));
  check_page(page, Format::kText);
}

TEST_CASE("exposition: a bitmask is one series per flag") {
  SnapshotFixture f(1);
  f.modem(0).setAccessTechnologies(MM_MODEM_ACCESS_TECHNOLOGY_LTE |
                                   MM_MODEM_ACCESS_TECHNOLOGY_5GNR);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(count_prefix(page, "modemmanager_modem_access_technology{") == 18);
  CHECK(has_line(page, series("modemmanager_modem_access_technology", "technology=\"lte\"", "1")));
  CHECK(has_line(page, series("modemmanager_modem_access_technology", "technology=\"5gnr\"", "1")));
  CHECK(has_line(page,
                 series("modemmanager_modem_access_technology", "technology=\"hspa-plus\"", "0")));
  CHECK(count_prefix(page, "modemmanager_location_enabled{") == 7);
  CHECK(has_line(page, series("modemmanager_location_enabled", "source=\"3gpp-lac-ci\"", "1")));
  CHECK(has_line(page, series("modemmanager_location_enabled", "source=\"gps-raw\"", "1")));
  CHECK(has_line(page, series("modemmanager_location_enabled", "source=\"gps-nmea\"", "0")));
}

TEST_CASE("exposition: modes, bands, locks and ports use ModemManager's names") {
  SnapshotFixture f(1);
  std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has_line(page, series("modemmanager_modem_current_modes",
                              "allowed=\"2g, 3g, 4g\",preferred=\"4g\"", "1")));
  CHECK(has_line(page, series("modemmanager_modem_current_bands", "band=\"eutran-1\"", "1")));
  CHECK(has_line(page, series("modemmanager_modem_current_bands", "band=\"eutran-20\"", "1")));
  CHECK(count_prefix(page, "modemmanager_modem_current_bands{") == 3);
  CHECK(has_line(page, series("modemmanager_modem_unlock_required", "lock=\"none\"", "0")));
  CHECK(has_line(page, series("modemmanager_modem_unlock_retries", "lock=\"sim-pin\"", "3")));
  CHECK(has_line(page, series("modemmanager_modem_unlock_retries", "lock=\"sim-puk\"", "10")));
  CHECK(has_line(page, series("modemmanager_modem_network_port_info", "device=\"wwan0\"", "1")));
  CHECK(count_prefix(page, "modemmanager_modem_network_port_info{") == 1);

  f.modem(0).setUnlockRequired(MM_MODEM_LOCK_SIM_PIN);
  page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has_line(page, series("modemmanager_modem_unlock_required", "lock=\"sim-pin\"", "1")));
  CHECK(count_prefix(page, "modemmanager_modem_unlock_required{") == 1);

  f.modem(0).setUnlockRequired(MM_MODEM_LOCK_UNKNOWN);
  page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(count_prefix(page, "modemmanager_modem_unlock_required{") == 0);
}

TEST_CASE("exposition: numbers without a name collapse into one other series") {
  SnapshotFixture f(1);
  auto bands = f.modem(0).initCurrentBands(4);
  bands.set(0, 998);
  bands.set(1, MM_MODEM_BAND_EUTRAN_3);
  bands.set(2, 999);
  bands.set(3, MM_MODEM_BAND_EUTRAN_3);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(count_prefix(page, "modemmanager_modem_current_bands{") == 2);
  CHECK(has_line(page, series("modemmanager_modem_current_bands", "band=\"eutran-3\"", "1")));
  CHECK(has_line(page, series("modemmanager_modem_current_bands", "band=\"other\"", "1")));
  check_page(page, Format::kText);
}

TEST_CASE("exposition: a value ModemManager does not have is absent, not 0 or NaN") {
  SnapshotFixture f(1);
  auto lte = f.modem(0).getSignal().getLte();
  lte.setRsrp(std::nan(""));
  f.modem(0).getLocation().setLatitudeDegrees(std::nan(""));
  f.modem(0).getBearers()[0].disownStats();
  f.builder().getCollection().setDurationSeconds(std::nan(""));
  const std::string page = full_page(f.reader(), Format::kText);
  check_page(page, Format::kText);
  CHECK(page.find("NaN") == std::string::npos);
  CHECK(count_prefix(page, "modemmanager_signal_lte_rsrp_dbm") == 0);
  CHECK(has_line(page, series("modemmanager_signal_lte_rsrq_db", "", "-9.5")));
  CHECK(count_prefix(page, "modemmanager_signal_umts_") == 0);  // Umts not reported
  CHECK(count_prefix(page, "modemmanager_signal_error_rate_percent") == 0);
  CHECK(count_prefix(page, "modemmanager_location_latitude_degrees") == 0);
  CHECK(has_line(page, series("modemmanager_location_longitude_degrees", "", "-3.7038")));
  CHECK(count_prefix(page, "modemmanager_bearer_rx_bytes_total") == 0);
  CHECK(count_prefix(page, "modemmanager_bearer_connection_duration_seconds") == 0);
  CHECK(count_prefix(page, "modemmanager_bearer_connected{") == 1);
  CHECK(count_prefix(page, "modemmanager_scrape_duration_seconds ") == 0);
  CHECK(count_prefix(page, "modemmanager_bearer_connection_error_info") == 0);
}

TEST_CASE("exposition: an interface the modem does not have leaves no series") {
  SnapshotFixture f(0);
  f.use_minimal_modems(1);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  check_page(page, Format::kText);
  for (std::string_view prefix :
       {"modemmanager_signal_", "modemmanager_location_", "modemmanager_sim_",
        "modemmanager_bearer_", "modemmanager_modem_3gpp_", "modemmanager_messaging_sms_count"}) {
    INFO(prefix);
    CHECK(count_prefix(page, prefix) == 0);
  }
  CHECK(has_line(page, series("modemmanager_messaging_supported", "", "0")));
  CHECK(count_prefix(page, "modemmanager_modem_state{") == 13);

  // Without the Modem interface's properties, none of its series either.
  f.modem(0).setHasModemInterface(false);
  const std::string bare = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(count_prefix(bare, "modemmanager_modem_") == 0);
  CHECK(has_line(bare, "modemmanager_modems 1"));
}

TEST_CASE("exposition: hostile strings are escaped and made valid UTF-8") {
  SnapshotFixture f(1);
  f.modem(0).setManufacturer("Evil \"Corp\" \\ x\nmodemmanager_up 1");
  f.modem(0).setModel("Telef\xC3\xB3nica \xFF\xFE end");
  f.modem(0).getThreeGpp().setOperatorName("op\xE2\x82");
  f.modem(0).getSims()[0].setOperatorName("\"}\n# EOF");
  for (Format format : {Format::kText, Format::kOpenMetrics}) {
    const std::string page = full_page(f.reader(), format);
    check_page(page, format);
    CHECK(page.find("manufacturer=\"Evil \\\"Corp\\\" \\\\ x\\nmodemmanager_up "
                    "1\",model=\"Telef\xC3\xB3nica "
                    "\xEF\xBF\xBD\xEF\xBF\xBD end\"") != std::string::npos);
    CHECK(page.find("operator_name=\"op\xEF\xBF\xBD\"") != std::string::npos);
    CHECK(page.find("operator_name=\"\\\"}\\n# EOF\"") != std::string::npos);
    CHECK(has_line(page, "modemmanager_up 1"));
    CHECK(count_prefix(page, "modemmanager_up ") == 1);
  }
}

TEST_CASE("exposition: operator code is a string label, leading zero kept") {
  SnapshotFixture f(1);
  f.modem(0).getThreeGpp().setOperatorCode("01");
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(
      has_line(page, series("modemmanager_modem_3gpp_operator_code", "operator_code=\"01\"", "1")));
  CHECK(has_line(
      page, series("modemmanager_modem_3gpp_operator_name", "operator_name=\"vodafone ES\"", "1")));
}

TEST_CASE("exposition: redacted identifiers render as empty labels, missing operator as absent") {
  SnapshotFixture f(1);
  auto sim = f.modem(0).getSims()[0];
  sim.setIccid("");
  sim.setImsi("");
  f.modem(0).setEquipmentIdentifier("");
  f.modem(0).getThreeGpp().setOperatorCode("");
  f.modem(0).getThreeGpp().setOperatorName("");
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  check_page(page, Format::kText);
  CHECK(page.find("equipment_identifier=\"\",") != std::string::npos);
  CHECK(page.find("iccid=\"\",imsi=\"\",eid=\"\",") != std::string::npos);
  CHECK(count_prefix(page, "modemmanager_modem_3gpp_operator_code") == 0);
  CHECK(count_prefix(page, "modemmanager_modem_3gpp_operator_name") == 0);
}

TEST_CASE("exposition: SIM and bearer series carry slot and bearer labels") {
  SnapshotFixture f(1);
  std::string page = mmx::render_exposition(f.reader(), Format::kText);
  const std::string id = mmx::test::device_id(0);
  CHECK(has_line(page, "modemmanager_sim_info{device_id=\"" + id +
                           "\",slot=\"1\",active=\"true\",iccid=\"8934010000000001000\","
                           "imsi=\"214010000010000\",eid=\"\",operator_identifier=\"21401\","
                           "operator_name=\"vodafone ES\",sim_type=\"physical\"} 1"));
  CHECK(has_line(page, "modemmanager_bearer_info{device_id=\"" + id +
                           "\",bearer=\"0\",interface=\"wwan0\",apn=\"internet\","
                           "ip_type=\"ipv4v6\",bearer_type=\"default\",multiplexed=\"false\"} 1"));
  CHECK(has_line(page, "modemmanager_bearer_connected{device_id=\"" + id + "\",bearer=\"0\"} 1"));
  CHECK(has_line(
      page, "modemmanager_bearer_rx_bytes_total{device_id=\"" + id + "\",bearer=\"0\"} 223456789"));
  CHECK(has_line(page, "modemmanager_bearer_connection_failed_attempts_total{device_id=\"" + id +
                           "\",bearer=\"0\"} 1"));

  // A modem without SIM slots: the series has no slot label.
  f.modem(0).getSims()[0].setSlot(0);
  page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(page.find("modemmanager_sim_info{device_id=\"" + id + "\",active=\"true\"") !=
        std::string::npos);
}

TEST_CASE("exposition: bearers sort by number, modems by device id, duplicates dropped") {
  SnapshotFixture f(3);
  // Reverse the modems and give modem 2 the id of modem 0.
  f.modem(0).setDeviceId(mmx::test::device_id(9));
  f.modem(2).setDeviceId(mmx::test::device_id(1));
  auto bearers = f.modem(1).initBearers(3);
  for (unsigned i = 0; i < 3; ++i) {
    const char* index[] = {"10", "2", "2"};
    bearers[i].setIndex(index[i]);
    bearers[i].setConnected(i == 0);
  }
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  check_page(page, Format::kText);
  CHECK(has_line(page, "modemmanager_modems 2"));
  const std::string id1 = mmx::test::device_id(1);
  const std::string id9 = mmx::test::device_id(9);
  CHECK(page.find("modemmanager_modem_max_bearers{device_id=\"" + id1 +
                  "\"} 1\n"
                  "modemmanager_modem_max_bearers{device_id=\"" +
                  id9 + "\"} 1\n") != std::string::npos);
  CHECK(page.find("modemmanager_bearer_connected{device_id=\"" + id1 +
                  "\",bearer=\"2\"} 0\n"
                  "modemmanager_bearer_connected{device_id=\"" +
                  id1 + "\",bearer=\"10\"} 1\n") != std::string::npos);
  CHECK(mmx::render_exposition(f.reader(), Format::kText) == page);  // deterministic
}

TEST_CASE("exposition: without ModemManager there is no modem series at all") {
  SnapshotFixture f(2);
  f.builder().getManager().setPresent(false);
  for (Format format : {Format::kText, Format::kOpenMetrics}) {
    const std::string page = full_page(f.reader(), format);
    check_page(page, format);
    CHECK(has_line(page, "modemmanager_up 0"));
    CHECK(page.find("device_id=") == std::string::npos);
    CHECK(count_prefix(page, "modemmanager_modems") == 0);
    CHECK(count_prefix(page, "modemmanager_info") == 0);
    CHECK(has_line(page, "modemmanager_scrape_success 1"));
    CHECK(has_line(page, "modemmanager_scrape_duration_seconds 0.0125"));
  }
}

TEST_CASE("exposition: scrape families describe the collector's last collection") {
  SnapshotFixture f(0);
  auto errors = f.builder().getCollection().initErrors(3);
  errors[0].setKind("timeout");
  errors[0].setCount(2);
  errors[1].setKind("dbus_error");
  errors[1].setCount(1);
  errors[2].setKind("timeout");
  errors[2].setCount(3);
  f.builder().getCollection().setSuccess(false);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(page.find("modemmanager_scrape_errors_total{kind=\"dbus_error\"} 1\n"
                  "modemmanager_scrape_errors_total{kind=\"timeout\"} 5\n") != std::string::npos);
  CHECK(has_line(page, "modemmanager_scrape_success 0"));
  CHECK(has_line(page, "modemmanager_modems 0"));
  CHECK(has_line(page, "modemmanager_info{version=\"1.20.4\"} 1"));
  const mmx::MetricFamily& d = mmx::metric_family(mmx::FamilyId::kScrapeDurationSeconds);
  CHECK(d.help.find("collector's last full collection") != std::string_view::npos);
}

TEST_CASE("exposition: OpenMetrics pages end with one # EOF, text pages with none") {
  SnapshotFixture f(2);
  const std::string om = full_page(f.reader(), Format::kOpenMetrics);
  CHECK(om.ends_with("\n# EOF\n"));
  CHECK(count_prefix(om, "# EOF") == 1);
  CHECK(om.find("# TYPE modemmanager_modem info\n") != std::string::npos);
  CHECK(om.find("# TYPE modemmanager_scrape_errors counter\n") != std::string::npos);
  CHECK(om.find("# UNIT modemmanager_bearer_rx_bytes bytes\n") != std::string::npos);
  CHECK(om.find("modemmanager_bearer_rx_bytes_total{") != std::string::npos);
  const std::string text = full_page(f.reader(), Format::kText);
  CHECK(text.find("# EOF") == std::string::npos);
  CHECK(text.find("# UNIT") == std::string::npos);
  CHECK(text.find("# TYPE modemmanager_modem_info gauge\n") != std::string::npos);
  CHECK(text.find("# TYPE modemmanager_scrape_errors_total counter\n") != std::string::npos);
}

TEST_CASE("exposition: exporter status without a collector is collector_up 0 and frontend only") {
  mmx::ExporterStatus status;
  status.build = {"0.1.0", "abc", "gcc", "0.9.2", "", "0.11.4"};
  status.snapshots_total = 3;
  status.snapshots_refused_total = 2;
  status.process.open_fds = 7;
  for (Format format : {Format::kText, Format::kOpenMetrics}) {
    std::string page = mmx::render_exporter_status(status, std::nullopt, format);
    page.append(mmx::exposition_terminator(format));
    check_page(page, format);
    CHECK(has_line(page, "modemmanager_exporter_collector_up 0"));
    CHECK(count_prefix(page, "modemmanager_exporter_snapshot_age_seconds") == 0);
    CHECK(has_line(page, format == Format::kText ? "modemmanager_exporter_snapshots_total 3"
                                                 : "modemmanager_exporter_snapshots_total 3"));
    CHECK(has_line(page, "modemmanager_exporter_snapshots_refused_total 2"));
    CHECK(has_line(page, "process_open_fds{process=\"frontend\"} 7"));
    CHECK(page.find("process=\"collector\"") == std::string::npos);
    CHECK(count_prefix(page, "process_cpu_seconds_total") == 0);  // NaN: absent
    CHECK(has_line(page,
                   "modemmanager_exporter_build_info{version=\"0.1.0\",revision=\"abc\","
                   "compiler=\"gcc\",capnp=\"0.9.2\",sdbus_cpp=\"\",httplib=\"0.11.4\"} 1"));
  }
}

TEST_CASE("exposition: process families hold collector and frontend in one block") {
  SnapshotFixture f(1);
  const std::string page = full_page(f.reader(), Format::kText);
  CHECK(page.find("# TYPE process_open_fds gauge\n"
                  "process_open_fds{process=\"collector\"} 12\n"
                  "process_open_fds{process=\"frontend\"} 9\n") != std::string::npos);
  CHECK(has_line(page, "process_cpu_seconds_total{process=\"collector\"} 1.5"));
  CHECK(has_line(page, "modemmanager_exporter_snapshot_age_seconds 1.5"));
  CHECK(has_line(page, "modemmanager_exporter_collector_up 1"));
  CHECK(has_line(page, "modemmanager_exporter_snapshots_total 42"));
}

TEST_CASE("exposition: the metric family table keeps the formats' naming rules") {
  std::set<std::string_view> names;
  for (const mmx::MetricFamily& f : mmx::metric_families()) {
    INFO(f.name);
    CHECK(names.insert(f.name).second);
    CHECK(is_name(std::string(f.name)));
    CHECK_FALSE(f.help.empty());
    CHECK(f.help.find('"') == std::string_view::npos);
    CHECK(f.name.ends_with("_total") == (f.type == mmx::MetricType::kCounter));
    if (f.type == mmx::MetricType::kInfo) CHECK(f.name.ends_with("_info"));
    if (!f.unit.empty()) {
      const std::string_view meta =
          f.type == mmx::MetricType::kCounter ? f.name.substr(0, f.name.size() - 6) : f.name;
      CHECK(meta.ends_with("_" + std::string(f.unit)));
      CHECK(f.type != mmx::MetricType::kInfo);
    }
    const bool per_modem =
        f.name.starts_with("modemmanager_modem_") || f.name.starts_with("modemmanager_signal_") ||
        f.name.starts_with("modemmanager_bearer_") || f.name.starts_with("modemmanager_sim_") ||
        f.name.starts_with("modemmanager_location_") ||
        f.name.starts_with("modemmanager_messaging_") || f.name.starts_with("modemmanager_cell_");
    CHECK(per_modem == (!f.labels.empty() && f.labels.front() == "device_id"));
  }
  CHECK(names.size() == 95);
}

TEST_CASE("exposition: pages of 64 modems stay well-formed") {
  SnapshotFixture f(64);
  for (Format format : {Format::kText, Format::kOpenMetrics}) {
    const std::string page = full_page(f.reader(), format);
    check_page(page, format);
    CHECK(count_prefix(page, "modemmanager_modem_state{") == 64 * 13);
  }
}

// ---------------------------------------------------------------------------
// External validators, when installed: Prometheus' own promtool lints text
// 0.0.4 (Debian package prometheus), the Python client's OpenMetrics parser
// checks OpenMetrics strictly (python3-prometheus-client).

namespace {

struct CommandResult {
  int status = -1;
  std::string output;
};

CommandResult run_with_input(const std::string& command, std::string_view input) {
  char path[] = "/tmp/mmx-exposition-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  std::size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = write(fd, input.data() + done, input.size() - done);
    REQUIRE(n > 0);
    done += static_cast<std::size_t>(n);
  }
  close(fd);
  CommandResult r;
  const std::string full = command + " < " + path + " 2>&1";
  if (FILE* pipe = popen(full.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) r.output.append(buffer, n);
    r.status = pclose(pipe);
  }
  unlink(path);
  return r;
}

std::string hostile_everything_page(Format format) {
  SnapshotFixture f(3);
  fill_everything(f.modem(0));
  f.modem(1).setManufacturer("Evil \"Corp\" \\ x\n\xFF");
  f.modem(2).setState(MM_MODEM_STATE_FAILED);
  f.modem(2).getBearers()[0].disownStats();
  return full_page(f.reader(), format);
}

}  // namespace

TEST_CASE("exposition: promtool check metrics accepts the page without a warning") {
  MMX_REQUIRE_OR_SKIP(access("/usr/bin/promtool", X_OK) == 0,
                      "promtool (Debian package prometheus)");
  const CommandResult r =
      run_with_input("/usr/bin/promtool check metrics", hostile_everything_page(Format::kText));
  INFO(r.output);
  // The one known conflict: METRICS.md keeps the seed's name
  // modemmanager_messaging_sms_count (its dashboards and alerts use it), and
  // promtool's lint reserves the _count suffix for histograms and summaries.
  // Any other line of promtool's output fails the test.
  const std::string known =
      "modemmanager_messaging_sms_count non-histogram and non-summary metrics should not have "
      "\"_count\" suffix\n";
  std::string rest = r.output;
  if (const auto at = rest.find(known); at != std::string::npos) rest.erase(at, known.size());
  CHECK(rest.empty());
  CHECK((r.status == 0 || (WIFEXITED(r.status) && WEXITSTATUS(r.status) == 3 && rest.empty())));
}

TEST_CASE("exposition: the Python client's OpenMetrics parser accepts the page") {
  MMX_REQUIRE_OR_SKIP(
      std::system("/usr/bin/python3 -c 'import prometheus_client.openmetrics.parser' "
                  ">/dev/null 2>&1") == 0,
      "python3-prometheus-client");
  const CommandResult r = run_with_input(
      "/usr/bin/python3 -c 'import sys; from prometheus_client.openmetrics.parser import "
      "text_string_to_metric_families as p; print(len(list(p(sys.stdin.read()))))'",
      hostile_everything_page(Format::kOpenMetrics));
  INFO(r.output);
  CHECK(r.status == 0);
  CHECK(r.output == std::to_string(mmx::metric_families().size()) + "\n");
}
