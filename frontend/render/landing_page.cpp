#include "landing_page.h"

#include <ModemManager.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "capnp_text.h"
#include "checked_snapshot.h"
#include "exposition_writer.h"
#include "landing_page_style.h"  // generated: the CSS and its SHA-256
#include "mm_names.h"
#include "signal_levels.h"
#include "wall_clock.h"

namespace mmx {
namespace {

// Device identifiers are 40 hex digits; 8 tell modems apart on one host
// (the full id is in the title and in every series).
constexpr std::size_t kShortDeviceId = 8;

// The policy minus frame-ancestors, which a <meta> policy may not carry
// (browsers ignore it there and say so on the console).
std::string policy_without_frame_ancestors() {
  std::string policy = "default-src 'none'; style-src ";
  policy.append(landing_page_style_hash());
  policy.append("; base-uri 'none'; form-action 'none'");
  return policy;
}

const std::string& meta_policy() {
  static const std::string policy = policy_without_frame_ancestors();
  return policy;
}

const char* html_escape(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return nullptr;
  }
}

// Appends `s` HTML-escaped (text and attribute values alike) with its UTF-8
// repaired. The escaped characters are ASCII, which never continues a
// multi-byte sequence, so repairing the runs between them is exact.
void append_html(std::string& out, std::string_view s) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* entity = html_escape(s[i]);
    if (entity == nullptr) continue;
    append_repaired_utf8(out, s.substr(run, i - run));
    out.append(entity);
    run = i + 1;
  }
  append_repaired_utf8(out, s.substr(run));
}

void append_number(std::string& out, std::uint64_t n) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, n);
  out.append(buffer, end);
}

// At most `decimals` decimals, trailing zeros dropped: "-96", "11.2", "0.5".
void append_decimal(std::string& out, double value, int decimals = 1) {
  if (!std::isfinite(value)) {
    out.append("?");
    return;
  }
  char buffer[48];
  auto [end, error] =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed, decimals);
  if (error != std::errc()) {
    out.append("?");  // beyond 1e40: no measurement a modem reports
    return;
  }
  std::string_view digits(buffer, static_cast<std::size_t>(end - buffer));
  if (digits.find('.') != std::string_view::npos) {
    while (digits.ends_with('0')) digits.remove_suffix(1);
    if (digits.ends_with('.')) digits.remove_suffix(1);
  }
  if (digits == "-0") digits = "0";
  out.append(digits);
}

// Binary prefixes, as `ip -s link` and most router UIs show traffic.
void append_bytes(std::string& out, double bytes) {
  constexpr std::string_view kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t unit = 0;
  while (bytes >= 1024.0 && unit + 1 < std::size(kUnits)) {
    bytes /= 1024.0;
    ++unit;
  }
  append_decimal(out, bytes, unit == 0 ? 0 : 1);
  out.push_back(' ');
  out.append(kUnits[unit]);
}

// The two largest units: "45 s", "3 min 20 s", "1 h 0 min", "2 d 4 h".
void append_duration(std::string& out, double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) seconds = 0;
  // The snapshot's value is anyone's double: beyond this (some 31,700
  // years) the cast below would be undefined.
  constexpr double kLongest = 1e12;
  const auto s = static_cast<std::uint64_t>(std::min(seconds, kLongest));
  struct Unit {
    std::uint64_t seconds;
    std::string_view name;
  };
  constexpr Unit kUnits[] = {{86400, "d"}, {3600, "h"}, {60, "min"}, {1, "s"}};
  for (std::size_t i = 0; i + 1 < std::size(kUnits); ++i) {
    if (s < kUnits[i].seconds) continue;
    append_number(out, s / kUnits[i].seconds);
    out.push_back(' ');
    out.append(kUnits[i].name);
    out.push_back(' ');
    append_number(out, s % kUnits[i].seconds / kUnits[i + 1].seconds);
    out.push_back(' ');
    out.append(kUnits[i + 1].name);
    return;
  }
  append_number(out, s);
  out.append(" s");
}

// The class of a value no threshold judges: plain text, no colour.
constexpr std::string_view kNeutral;

void append_pill(std::string& out, std::string_view level, std::string_view content) {
  out.append("<span class=\"pill");
  if (!level.empty()) {
    out.push_back(' ');
    out.append(level);
  }
  out.append("\">");
  append_html(out, content);
  out.append("</span>");
}

std::string_view state_level(std::int32_t state) {
  switch (state) {
    case MM_MODEM_STATE_CONNECTED:
    case MM_MODEM_STATE_REGISTERED:
      return "good";
    case MM_MODEM_STATE_FAILED:
    case MM_MODEM_STATE_LOCKED:
      return "poor";
    case MM_MODEM_STATE_UNKNOWN:
    case MM_MODEM_STATE_DISABLED:
      return kNeutral;
    default:  // on the way somewhere: enabling, searching, connecting…
      return "fair";
  }
}

std::string_view registration_level(std::uint32_t state) {
  switch (state) {
    case MM_MODEM_3GPP_REGISTRATION_STATE_HOME:
    case MM_MODEM_3GPP_REGISTRATION_STATE_ROAMING:
    case MM_MODEM_3GPP_REGISTRATION_STATE_HOME_SMS_ONLY:
    case MM_MODEM_3GPP_REGISTRATION_STATE_ROAMING_SMS_ONLY:
    case MM_MODEM_3GPP_REGISTRATION_STATE_HOME_CSFB_NOT_PREFERRED:
    case MM_MODEM_3GPP_REGISTRATION_STATE_ROAMING_CSFB_NOT_PREFERRED:
      return "good";
    case MM_MODEM_3GPP_REGISTRATION_STATE_SEARCHING:
    case MM_MODEM_3GPP_REGISTRATION_STATE_ATTACHED_RLOS:
      return "fair";
    case MM_MODEM_3GPP_REGISTRATION_STATE_DENIED:
    case MM_MODEM_3GPP_REGISTRATION_STATE_EMERGENCY_ONLY:
      return "poor";
    default:  // idle, unknown: nothing to judge
      return kNeutral;
  }
}

void append_span(std::string& out, std::string_view level, std::string_view content) {
  if (level.empty()) {
    append_html(out, content);
    return;
  }
  out.append("<span class=\"");
  out.append(level);
  out.append("\">");
  append_html(out, content);
  out.append("</span>");
}

void begin_fact(std::string& out, std::string_view term) {
  out.append("<dt>");
  out.append(term);
  out.append("</dt><dd>");
}

void append_missing(std::string& out) {
  out.append("<span class=\"muted\">&mdash;</span>");
}

// ---- health ---------------------------------------------------------------

void begin_tile(std::string& out, std::string_view level, std::string_view label) {
  out.append("<li");
  if (!level.empty()) {
    out.append(" class=\"");
    out.append(level);
    out.push_back('"');
  }
  out.append("><span>");
  out.append(label);
  out.append("</span><b>");
}

void end_tile(std::string& out) {
  out.append("</b></li>\n");
}

std::int64_t now_unix_nanos(const LandingInfo& info) {
  if (info.now_unix_nanos) return *info.now_unix_nanos;
  return wall_clock_nanos();
}

void append_age_tile(std::string& out, const CheckedSnapshot& checked, const LandingInfo& info) {
  const double age_seconds = checked.age_seconds(now_unix_nanos(info));
  const double heartbeat_seconds = checked.raw().getHeartbeatIntervalMillis() / 1000.0;
  // Good while at most one heartbeat is missed (a second's slack for the
  // collector's timing); fair from the second, before the frontend gives up
  // at the third.
  begin_tile(out, age_seconds <= 2 * heartbeat_seconds + 1 ? "good" : "fair", "Snapshot age");
  if (age_seconds < 60) {
    append_decimal(out, age_seconds);
    out.append(" s");
  } else {
    append_duration(out, age_seconds);
  }
  end_tile(out);
}

void append_manager_tile(std::string& out, const CheckedSnapshot& checked) {
  const auto manager = checked.raw().getManager();
  const bool pending = checked.raw().getFirstCollectionPending();
  begin_tile(out, pending ? kNeutral : manager.getPresent() ? "good" : "poor", "ModemManager");
  if (pending) {
    out.append("looking");
  } else if (manager.getPresent()) {
    if (manager.getVersion().size() > 0) {
      append_html(out, text(manager.getVersion()));
    } else {
      out.append("running");
    }
  } else {
    out.append("not running");
  }
  end_tile(out);
}

void append_modems_tile(std::string& out, const CheckedSnapshot& checked) {
  const auto& modems = checked.modems();
  unsigned connected = 0;
  for (const CheckedModem& m : modems) {
    if (m.modem.getHasModemInterface() && m.modem.getState() == MM_MODEM_STATE_CONNECTED) {
      ++connected;
    }
  }
  begin_tile(out, kNeutral, "Modems");
  append_number(out, modems.size());
  if (!modems.empty()) {
    out.append(" <small class=\"muted\">(");
    append_number(out, connected);
    out.append(" connected)</small>");
  }
  end_tile(out);
}

void append_collection_tiles(std::string& out, const CheckedSnapshot& checked) {
  const auto collection = checked.raw().getCollection();
  begin_tile(out, collection.getSuccess() ? "good" : "poor", "Last collection");
  out.append(collection.getSuccess() ? "ok" : "failed");
  if (std::isfinite(collection.getDurationSeconds())) {
    out.append(" <small class=\"muted\">in ");
    append_decimal(out, collection.getDurationSeconds() * 1000.0);
    out.append(" ms</small>");
  }
  end_tile(out);

  const std::uint64_t errors = checked.errors_total();
  begin_tile(out, errors == 0 ? "good" : "fair", "D-Bus errors");
  append_number(out, errors);
  if (errors > 0) {
    out.append(" <small class=\"muted\">(");
    bool first = true;
    for (const ErrorKindCount& e : checked.errors()) {
      if (e.count == 0) continue;
      if (!first) out.append(", ");
      first = false;
      append_html(out, e.kind);
      out.push_back(' ');
      append_number(out, e.count);
    }
    out.append(")</small>");
  }
  end_tile(out);
}

void append_health(std::string& out, const CheckedSnapshot* checked, const LandingInfo& info) {
  out.append("<h2>Exporter</h2>\n<ul class=\"health\">\n");
  begin_tile(out, checked != nullptr ? "good" : "poor", "Collector");
  out.append(checked != nullptr ? "up" : "down");
  end_tile(out);
  if (checked != nullptr) {
    append_age_tile(out, *checked, info);
    append_manager_tile(out, *checked);
    append_modems_tile(out, *checked);
    append_collection_tiles(out, *checked);
  }
  out.append("</ul>\n");
}

// ---- one modem ------------------------------------------------------------

void append_quality(std::string& out, schema::Modem::Reader modem) {
  const std::uint32_t percent = std::min<std::uint32_t>(modem.getSignalQualityPercent(), 100);
  const std::string_view level = level_name(rate_signal_quality(percent));
  // Width classes in steps of 5 %: a style attribute would need
  // 'unsafe-inline' (or 'unsafe-hashes') in the CSP.
  const std::uint32_t width = (percent + 2) / 5 * 5;
  out.append("<div class=\"quality\"><div class=\"bar\" role=\"img\" aria-label=\"");
  append_number(out, percent);
  out.append(" %\"><i class=\"");
  out.append(level);
  out.append(" w");
  append_number(out, width);
  out.append("\"></i></div><b class=\"");
  out.append(level);
  out.append("\">");
  append_number(out, percent);
  out.append(" %</b>");
  if (!modem.getSignalQualityRecent()) out.append("<span class=\"muted\">not recent</span>");
  out.append("</div>");
}

struct MeasureField {
  SignalMeasure measure;
  double (schema::SignalValues::Reader::*get)() const;
};

// The order a radio engineer reads them: power, quality, interference, then
// the rest.
constexpr MeasureField kMeasures[] = {
    {SignalMeasure::kRsrp, &schema::SignalValues::Reader::getRsrp},
    {SignalMeasure::kRsrq, &schema::SignalValues::Reader::getRsrq},
    {SignalMeasure::kSinr, &schema::SignalValues::Reader::getSinr},
    {SignalMeasure::kSnr, &schema::SignalValues::Reader::getSnr},
    {SignalMeasure::kRscp, &schema::SignalValues::Reader::getRscp},
    {SignalMeasure::kEcio, &schema::SignalValues::Reader::getEcio},
    {SignalMeasure::kRssi, &schema::SignalValues::Reader::getRssi},
    {SignalMeasure::kIo, &schema::SignalValues::Reader::getIo},
    {SignalMeasure::kErrorRate, &schema::SignalValues::Reader::getErrorRate},
};

bool has_values(schema::SignalValues::Reader values) {
  for (const MeasureField& field : kMeasures) {
    if (!std::isnan((values.*field.get)())) return true;
  }
  return false;
}

// One row per technology, named in the label column, so the values get the
// card's full width to wrap in.
void append_technology_values(std::string& out, RadioTechnology technology,
                              schema::SignalValues::Reader values) {
  begin_fact(out, technology_name(technology));
  out.append("<ul class=\"vals\">");
  for (const MeasureField& field : kMeasures) {
    const double value = (values.*field.get)();
    if (std::isnan(value)) continue;
    const auto level = rate_signal(technology, field.measure, value);
    out.append("<li");
    if (level) {
      out.append(" class=\"");
      out.append(level_name(*level));
      out.append("\" title=\"");
      out.append(level_name(*level));
      out.push_back('"');
    }
    out.append("><small>");
    out.append(measure_name(field.measure));
    out.append("</small>");
    append_decimal(out, value);
    out.push_back(' ');
    out.append(measure_unit(field.measure));
    out.append("</li>");
  }
  out.append("</ul></dd>\n");
}

// Newest technology first: on a 5G NSA modem the NR values matter most.
void append_signal_values(std::string& out, schema::Modem::Reader modem) {
  if (!modem.hasSignal()) return;
  auto signal = modem.getSignal();
  struct Technology {
    RadioTechnology technology;
    bool present;
    schema::SignalValues::Reader values;
  };
  const Technology technologies[] = {
      {RadioTechnology::kNr5g, signal.hasNr5g(), signal.getNr5g()},
      {RadioTechnology::kLte, signal.hasLte(), signal.getLte()},
      {RadioTechnology::kUmts, signal.hasUmts(), signal.getUmts()},
      {RadioTechnology::kGsm, signal.hasGsm(), signal.getGsm()},
      {RadioTechnology::kEvdo, signal.hasEvdo(), signal.getEvdo()},
      {RadioTechnology::kCdma, signal.hasCdma(), signal.getCdma()},
  };
  for (const Technology& t : technologies) {
    if (t.present && has_values(t.values)) append_technology_values(out, t.technology, t.values);
  }
}

void append_bearers(std::string& out, const CheckedModem& modem) {
  begin_fact(out, "Bearer");
  if (modem.bearers.empty()) {
    out.append("<span class=\"muted\">none</span></dd>\n");
    return;
  }
  out.append("<ul class=\"items\">");
  for (const CheckedBearer& checked : modem.bearers) {
    const auto b = checked.bearer;
    out.append("<li>");
    append_pill(out, b.getConnected() ? "good" : kNeutral, b.getConnected() ? "up" : "down");
    if (b.getInterface().size() > 0) {
      append_html(out, text(b.getInterface()));
    } else {
      out.append("bearer ");
      append_html(out, checked.index);
    }
    if (b.getApn().size() > 0) {
      out.append(" <span class=\"muted\">APN</span> ");
      append_html(out, text(b.getApn()));
    }
    if (checked.stats) {
      const auto stats = *checked.stats;
      const bool traffic = !std::isnan(stats.getRxBytes()) || !std::isnan(stats.getTxBytes());
      if (b.getConnected() && traffic) {
        out.append("<div class=\"detail\">&darr; ");
        append_bytes(out, std::isnan(stats.getRxBytes()) ? 0 : stats.getRxBytes());
        out.append(" &middot; &uarr; ");
        append_bytes(out, std::isnan(stats.getTxBytes()) ? 0 : stats.getTxBytes());
        if (!std::isnan(stats.getDurationSeconds())) {
          out.append(" &middot; up ");
          append_duration(out, stats.getDurationSeconds());
        }
        out.append("</div>");
      }
      if (!std::isnan(stats.getFailedAttempts()) && stats.getFailedAttempts() > 0) {
        out.append("<div class=\"detail\">");
        append_decimal(out, stats.getFailedAttempts(), 0);
        out.append(" of ");
        append_decimal(out, std::isnan(stats.getAttempts()) ? 0 : stats.getAttempts(), 0);
        out.append(" attempts failed</div>");
      }
    }
    if (!b.getConnected() &&
        (b.getConnectionErrorMessage().size() > 0 || b.getConnectionErrorName().size() > 0)) {
      out.append("<div class=\"detail poor\">");
      append_html(out, text(b.getConnectionErrorMessage().size() > 0 ? b.getConnectionErrorMessage()
                                                                     : b.getConnectionErrorName()));
      out.append("</div>");
    }
    out.append("</li>");
  }
  out.append("</ul></dd>\n");
}

// Locks the SIM asks for: a PIN, a PUK… (the modem's UnlockRequired).
bool is_lock(std::uint32_t lock) {
  return lock != MM_MODEM_LOCK_NONE && lock != MM_MODEM_LOCK_UNKNOWN;
}

void append_sims(std::string& out, const CheckedModem& checked) {
  const auto modem = checked.modem;
  begin_fact(out, "SIM");
  const std::uint32_t lock = modem.getUnlockRequired();
  if (modem.getHasModemInterface() && is_lock(lock)) {
    out.append("<div>");
    std::string what(mm::name(mm::Enum::kModemLock, lock));
    what.append(" required");
    append_pill(out, "poor", what);
    out.append("</div>");
  }
  if (checked.sims.empty()) {
    out.append("<span class=\"muted\">none</span>");
  } else {
    out.append("<ul class=\"items\">");
    for (auto sim : checked.sims) {
      out.append("<li>");
      std::string label;
      if (sim.getSlot() > 0) {
        label = "slot ";
        label.append(std::to_string(sim.getSlot()));
        if (sim.getActive()) label.append(" \xC2\xB7 active");  // U+00B7 middle dot
      } else {
        label = sim.getActive() ? "active" : "inactive";
      }
      append_pill(out, sim.getActive() ? "good" : kNeutral, label);
      std::string_view name = text(sim.getOperatorName());
      if (name.empty()) name = text(sim.getOperatorIdentifier());
      append_html(out, name);
      if (sim.getSimType() != MM_SIM_TYPE_UNKNOWN) {
        out.append(" <span class=\"muted\">");
        append_html(out, mm::name(mm::Enum::kSimType, sim.getSimType()));
        out.append("</span>");
      }
      out.append("</li>");
    }
    out.append("</ul>");
  }
  auto retries = modem.getUnlockRetries();
  if (modem.getHasModemInterface() && retries.size() > 0) {
    out.append("<div class=\"detail\">Retries left: ");
    bool first = true;
    for (auto r : retries) {
      if (!first) out.append(" &middot; ");
      first = false;
      append_html(out, mm::name(mm::Enum::kModemLock, r.getLock()));
      out.push_back(' ');
      // The last try of a PIN is worth a warning: one more and the PUK is due.
      if (r.getRetries() <= 1) {
        out.append("<span class=\"poor\">");
        append_number(out, r.getRetries());
        out.append("</span>");
      } else {
        append_number(out, r.getRetries());
      }
    }
    out.append("</div>");
  }
  out.append("</dd>\n");
}

// The serving cells from GetCellInfo: role, technology, band or channel,
// PCI and RSRP (or RSCP / RX level), one line each.
void append_cells(std::string& out, schema::Modem::Reader modem) {
  if (modem.getCellInfo() != schema::CellInfoStatus::READ) return;
  begin_fact(out, "Cells");
  bool any = false;
  for (auto cell : modem.getCells()) {
    if (!cell.getServing()) continue;
    if (!any) out.append("<ul class=\"items\">");
    any = true;
    out.append("<li>");
    constexpr std::string_view kRoles[] = {"serving", "PCell", "SCell", "PSCell", "SSCell"};
    const std::uint32_t role = cell.getRole();
    append_pill(out, kNeutral, kRoles[role <= 4 ? role : 0]);
    append_html(out, mm::name(mm::Enum::kCellType, cell.getCellType()));
    if (cell.getBand() != 0) {
      out.append(" B");
      append_number(out, cell.getBand());
    }
    if (cell.getHasArfcn()) {
      out.append(" <span class=\"muted\">ch</span> ");
      append_number(out, cell.getArfcn());
    }
    if (cell.getPci().size() > 0) {
      out.append(" <span class=\"muted\">PCI</span> ");
      append_html(out, text(cell.getPci()));
    }
    for (const auto& [name, value] :
         {std::pair<std::string_view, double>{"RSRP", cell.getRsrpDbm()},
          {"RSCP", cell.getRscpDbm()},
          {"RX", cell.getRxLevelDbm()}}) {
      if (std::isnan(value)) continue;
      out.append(" <span class=\"muted\">");
      out.append(name);
      out.append("</span> ");
      append_decimal(out, value, 0);
      out.append(" dBm");
      break;
    }
    out.append("</li>");
  }
  if (any) {
    out.append("</ul>");
  } else {
    out.append("<span class=\"muted\">none</span>");
  }
  out.append("</dd>\n");
}

// State changes seen since the exporter started, and the last one's age.
void append_state_changes(std::string& out, schema::Modem::Reader modem,
                          std::int64_t now_unix_nanos) {
  if (!modem.hasEvents()) return;
  auto events = modem.getEvents();
  std::uint64_t changes = 0;
  for (auto c : events.getStateEntries()) changes += c.getCount();
  begin_fact(out, "State changes");
  append_number(out, changes);
  out.append(" since start");
  const std::int64_t last = events.getLastStateChangeUnixNanos();
  if (last > 0 && now_unix_nanos >= last) {
    out.append(" <span class=\"muted\">(last ");
    append_duration(out, static_cast<double>(now_unix_nanos - last) / 1e9);
    out.append(" ago)</span>");
  }
  out.append("</dd>\n");
}

// The card's head: model, short device id, port, revision and state.
void append_modem_header(std::string& out, const CheckedModem& checked) {
  const auto modem = checked.modem;
  const std::string_view id = checked.device_id;
  const bool has_modem = modem.getHasModemInterface();
  out.append("<article class=\"modem\" data-device-id=\"");
  append_html(out, id);
  out.append("\">\n<header><div><h3>");
  std::string model(text(modem.getManufacturer()));
  if (!model.empty() && modem.getModel().size() > 0) model.push_back(' ');
  model.append(text(modem.getModel()));
  if (!has_modem || model.empty()) model = "Modem";
  append_html(out, model);
  out.append("</h3><p class=\"sub\"><code title=\"");
  append_html(out, id);
  out.append("\">");
  append_html(out, id.substr(0, std::min(id.size(), kShortDeviceId)));
  out.append("</code>");
  if (has_modem && modem.getPrimaryPort().size() > 0) {
    out.append(" &middot; ");
    append_html(out, text(modem.getPrimaryPort()));
  }
  if (has_modem && modem.getRevision().size() > 0) {
    out.append(" &middot; ");
    append_html(out, text(modem.getRevision()));
  }
  out.append("</p></div>");
  if (has_modem) {
    append_pill(out, state_level(modem.getState()),
                mm::name(mm::Enum::kModemState, modem.getState()));
  } else {
    append_pill(out, kNeutral, "unreadable");
  }
  out.append("</header>\n<dl>\n");
}

// Why a modem is failed or not powered on, when it is.
void append_trouble(std::string& out, schema::Modem::Reader modem) {
  if (!modem.getHasModemInterface()) return;
  if (modem.getState() == MM_MODEM_STATE_FAILED) {
    begin_fact(out, "Failed");
    append_span(out, "poor",
                mm::name(mm::Enum::kModemStateFailedReason, modem.getStateFailedReason()));
    out.append("</dd>\n");
  }
  if (modem.getPowerState() != MM_MODEM_POWER_STATE_ON &&
      modem.getPowerState() != MM_MODEM_POWER_STATE_UNKNOWN) {
    begin_fact(out, "Power");
    append_span(out, "fair", mm::name(mm::Enum::kModemPowerState, modem.getPowerState()));
    out.append("</dd>\n");
  }
}

void append_network(std::string& out, schema::Modem::Reader modem) {
  begin_fact(out, "Operator");
  if (modem.hasThreeGpp() && (modem.getThreeGpp().getOperatorName().size() > 0 ||
                              modem.getThreeGpp().getOperatorCode().size() > 0)) {
    auto three_gpp = modem.getThreeGpp();
    if (three_gpp.getOperatorName().size() > 0) {
      append_html(out, text(three_gpp.getOperatorName()));
      if (three_gpp.getOperatorCode().size() > 0) out.push_back(' ');
    }
    if (three_gpp.getOperatorCode().size() > 0) {
      out.append("<span class=\"muted\">");
      append_html(out, text(three_gpp.getOperatorCode()));
      out.append("</span>");
    }
  } else {
    append_missing(out);
  }
  out.append("</dd>\n");

  if (modem.hasThreeGpp()) {
    const std::uint32_t registration = modem.getThreeGpp().getRegistrationState();
    begin_fact(out, "Registration");
    append_span(out, registration_level(registration),
                mm::name(mm::Enum::kModem3gppRegistrationState, registration));
    out.append("</dd>\n");
  }
}

void append_technology_and_quality(std::string& out, schema::Modem::Reader modem) {
  if (!modem.getHasModemInterface()) return;
  begin_fact(out, "Technology");
  const std::uint32_t technologies = modem.getAccessTechnologies();
  if (technologies == MM_MODEM_ACCESS_TECHNOLOGY_UNKNOWN) {
    append_missing(out);
  } else {
    std::string names;
    mm::append_mask_name(names, mm::Enum::kModemAccessTechnology, technologies);
    append_html(out, names);
  }
  out.append("</dd>\n");
  begin_fact(out, "Signal");
  append_quality(out, modem);
  out.append("</dd>\n");
}

void append_modem(std::string& out, const CheckedModem& checked, std::int64_t now_nanos) {
  const auto modem = checked.modem;
  append_modem_header(out, checked);
  append_trouble(out, modem);
  append_network(out, modem);
  append_technology_and_quality(out, modem);
  append_signal_values(out, modem);
  append_cells(out, modem);
  append_state_changes(out, modem, now_nanos);
  append_bearers(out, checked);
  append_sims(out, checked);
  out.append("</dl>\n</article>\n");
}

void append_modems(std::string& out, const CheckedSnapshot& checked, std::int64_t now_nanos) {
  const auto snapshot = checked.raw();
  out.append("<h2>Modems</h2>\n");
  if (snapshot.getFirstCollectionPending()) {
    out.append("<p class=\"empty\">Reading the modems from ModemManager.</p>\n");
    return;
  }
  if (!snapshot.getManager().getPresent()) {
    out.append(
        "<p class=\"alert\">ModemManager is not running: there is no modem to show until it "
        "starts.</p>\n");
    return;
  }
  if (checked.modems().empty()) {
    out.append("<p class=\"empty\">No modem.</p>\n");
    return;
  }
  out.append("<div class=\"modems\">\n");
  for (const CheckedModem& modem : checked.modems()) append_modem(out, modem, now_nanos);
  out.append("</div>\n");
}

bool keeps_in_url_path(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  // RFC 3986 unreserved, sub-delims, ':', '@' and '/': legal in a path as is.
  return std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string csp_sha256_source(std::string_view sha256_hex) {
  if (sha256_hex.size() != 64) return {};
  unsigned char digest[32];
  for (std::size_t i = 0; i < 32; ++i) {
    const int high = hex_digit(sha256_hex[2 * i]);
    const int low = hex_digit(sha256_hex[2 * i + 1]);
    if (high < 0 || low < 0) return {};
    digest[i] = static_cast<unsigned char>(high << 4 | low);
  }
  constexpr std::string_view kBase64 =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string source = "'sha256-";
  for (std::size_t i = 0; i < 32; i += 3) {
    const unsigned b0 = digest[i];
    const unsigned b1 = i + 1 < 32 ? digest[i + 1] : 0;
    const unsigned b2 = i + 2 < 32 ? digest[i + 2] : 0;
    source.push_back(kBase64[b0 >> 2]);
    source.push_back(kBase64[(b0 & 3) << 4 | b1 >> 4]);
    source.push_back(i + 1 < 32 ? kBase64[(b1 & 15) << 2 | b2 >> 6] : '=');
    source.push_back(i + 2 < 32 ? kBase64[b2 & 63] : '=');
  }
  source.push_back('\'');
  return source;
}

std::string_view landing_page_style_hash() {
  static const std::string source = csp_sha256_source(landing_page_style::kSha256Hex);
  return source;
}

std::string_view landing_page_content_security_policy() {
  static const std::string policy = policy_without_frame_ancestors() + "; frame-ancestors 'none'";
  return policy;
}

std::string relative_link(std::string_view page_path, std::string_view target_path) {
  // The page's directory is everything up to its last '/'; one "../" per
  // directory level below the root.
  const std::size_t last_slash = page_path.rfind('/');
  const std::string_view directory = last_slash == std::string_view::npos
                                         ? std::string_view("/")
                                         : page_path.substr(0, last_slash + 1);
  const auto depth = std::count(directory.begin(), directory.end(), '/') - 1;
  std::string link;
  if (depth <= 0) {
    link = "./";  // "./" also keeps a first segment with ':' from reading as a scheme
  } else {
    for (std::ptrdiff_t i = 0; i < depth; ++i) link.append("../");
  }
  while (target_path.starts_with('/')) target_path.remove_prefix(1);
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (char c : target_path) {
    if (keeps_in_url_path(c)) {
      link.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      link.push_back('%');
      link.push_back(kHex[byte >> 4]);
      link.push_back(kHex[byte & 0x0F]);
    }
  }
  return link;
}

namespace {

// From the doctype to the page's navigation.
void append_page_head(std::string& out, const LandingInfo& info, std::string_view metrics_link,
                      std::string_view health_link) {
  out.append(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"color-scheme\" content=\"light dark\">\n"
      // Also a <meta> policy, so the page is as strict when served through a
      // proxy that drops the header.
      "<meta http-equiv=\"Content-Security-Policy\" content=\"");
  out.append(meta_policy());
  out.append("\">\n<title>");
  append_html(out, info.program);
  out.append("</title>\n<style>");
  out.append(landing_page_style::kCss);
  out.append("</style>\n</head>\n<body>\n<header class=\"top\"><div class=\"wrap\"><h1>");
  append_html(out, info.program);
  out.append("<small>ModemManager exporter</small></h1>\n<nav><a href=\"");
  append_html(out, metrics_link);
  out.append("\">Metrics</a><a href=\"");
  append_html(out, health_link);
  out.append("\">Health</a></nav></div></header>\n<main class=\"wrap\">\n");
}

void append_collector_gone(std::string& out, const LandingInfo& info) {
  out.append(
      "<p class=\"alert\">Collector not connected: no modem data is served until it "
      "reconnects.");
  if (!info.collector_problem.empty()) {
    out.append("<br><span class=\"detail\">");
    append_html(out, info.collector_problem);
    out.append("</span>");
  }
  out.append("</p>\n");
}

void append_page_foot(std::string& out, const LandingInfo& info, std::string_view metrics_link,
                      std::string_view health_link) {
  out.append("</main>\n<footer><div class=\"wrap\">");
  append_html(out, info.program);
  out.append(" <span class=\"version\">");
  append_html(out, info.version);
  out.append("</span>");
  if (!info.revision.empty()) {
    out.append(" <span class=\"muted\">(revision ");
    append_html(out, info.revision);
    out.append(")</span>");
  }
  out.append(" &middot; <a href=\"");
  append_html(out, metrics_link);
  out.append("\">");
  append_html(out, info.metrics_path);
  out.append("</a><a href=\"");
  append_html(out, health_link);
  out.append("\">");
  append_html(out, info.health_path);
  out.append("</a></div></footer>\n</body>\n</html>\n");
}

}  // namespace

std::string render_landing_page(std::optional<schema::Snapshot::Reader> snapshot,
                                const LandingInfo& info) {
  std::string out;
  out.reserve(landing_page_style::kCss.size() + 2048 +
              (snapshot ? snapshot->getModems().size() * 2560 : 0));
  const std::string metrics_link = relative_link(info.page_path, info.metrics_path);
  const std::string health_link = relative_link(info.page_path, info.health_path);
  append_page_head(out, info, metrics_link, health_link);
  // The one normalised view of the snapshot every part of the page reads.
  const std::optional<CheckedSnapshot> checked =
      snapshot ? std::optional<CheckedSnapshot>(std::in_place, *snapshot) : std::nullopt;
  append_health(out, checked ? &*checked : nullptr, info);
  if (checked) {
    append_modems(out, *checked, now_unix_nanos(info));
  } else {
    append_collector_gone(out, info);
  }
  append_page_foot(out, info, metrics_link, health_link);
  return out;
}

}  // namespace mmx
