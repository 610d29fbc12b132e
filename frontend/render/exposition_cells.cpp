#include <charconv>
#include <cmath>
#include <set>
#include <string>

#include "capnp_text.h"
#include "exposition_parts.h"
#include "metric_families.h"
#include "mm_names.h"

namespace mmx {
namespace {

using enum FamilyId;

// MMServingCellType of ModemManager 1.22 (not in 1.20's headers).
std::string_view role_name(schema::Cell::Reader cell) {
  if (!cell.getServing()) return "neighbour";
  switch (cell.getRole()) {
    case 1:
      return "pcell";
    case 2:
      return "scell";
    case 3:
      return "pscell";
    case 4:
      return "sscell";
    default:
      return "serving";
  }
}

// A number as label text; "" for `present` false.
std::string_view number(char (&buffer)[16], bool present, std::uint32_t value) {
  if (!present) return {};
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
  return {buffer, static_cast<std::size_t>(end - buffer)};
}

// The label set of a cell's signal series (device_id, cell_type, role, pci,
// arfcn): its identity, kept when neighbours come and go.
std::string signal_labels(const ModemRef& m, schema::Cell::Reader cell) {
  char arfcn[16];
  std::string labels(m.labels);
  labels.push_back(',');
  append_label(labels, "cell_type", mm::name(mm::Enum::kCellType, cell.getCellType()));
  labels.push_back(',');
  append_label(labels, "role", role_name(cell));
  labels.push_back(',');
  append_label(labels, "pci", text(cell.getPci()));
  labels.push_back(',');
  append_label(labels, "arfcn", number(arfcn, cell.getHasArfcn(), cell.getArfcn()));
  return labels;
}

template <typename Value>
void cell_gauge(ExpositionWriter& w, std::span<const ModemRef> modems, FamilyId id, Value value) {
  begin_family(w, id);
  std::set<std::string> seen;
  for (const ModemRef& m : modems) {
    seen.clear();
    for (auto cell : m.modem.getCells()) {
      const double v = value(cell);
      if (std::isnan(v)) continue;
      // Two cells alike in identity: the first (serving before neighbours,
      // stronger before weaker) is the one shown, never a duplicate series.
      std::string labels = signal_labels(m, cell);
      if (!seen.insert(labels).second) continue;
      w.begin_sample();
      w.rendered_labels(labels);
      w.value(v);
    }
  }
}

}  // namespace

void render_cells(ExpositionWriter& w, std::span<const ModemRef> modems) {
  using schema::CellInfoStatus;
  begin_family(w, kModemCellInfoSupported);
  for (const ModemRef& m : modems) {
    const CellInfoStatus status = m.modem.getCellInfo();
    if (status == CellInfoStatus::UNKNOWN) continue;
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.value(status == CellInfoStatus::READ ? 1 : 0);
  }

  begin_family(w, kCellInfo);
  std::set<std::string> seen;
  for (const ModemRef& m : modems) {
    seen.clear();
    for (auto cell : m.modem.getCells()) {
      char arfcn[16];
      char band[16];
      char bandwidth[16];
      std::string labels(m.labels);
      const auto add = [&labels](std::string_view name, std::string_view value) {
        labels.push_back(',');
        append_label(labels, name, value);
      };
      add("cell_type", mm::name(mm::Enum::kCellType, cell.getCellType()));
      add("serving", cell.getServing() ? "true" : "false");
      add("role", role_name(cell));
      add("operator_id", text(cell.getOperatorId()));
      add("lac", text(cell.getLac()));
      add("tac", text(cell.getTac()));
      add("ci", text(cell.getCi()));
      add("pci", text(cell.getPci()));
      add("arfcn", number(arfcn, cell.getHasArfcn(), cell.getArfcn()));
      add("band", number(band, cell.getBand() != 0, cell.getBand()));
      add("bandwidth", number(bandwidth, cell.getHasBandwidth(), cell.getBandwidth()));
      if (!seen.insert(labels).second) continue;
      w.begin_sample();
      w.rendered_labels(labels);
      w.value(1);
    }
  }

  using C = schema::Cell::Reader;
  cell_gauge(w, modems, kCellRsrpDbm, [](C c) { return c.getRsrpDbm(); });
  cell_gauge(w, modems, kCellRsrqDb, [](C c) { return c.getRsrqDb(); });
  cell_gauge(w, modems, kCellSinrDb, [](C c) { return c.getSinrDb(); });
  cell_gauge(w, modems, kCellRscpDbm, [](C c) { return c.getRscpDbm(); });
  cell_gauge(w, modems, kCellEcioDb, [](C c) { return c.getEcioDb(); });
  cell_gauge(w, modems, kCellRxLevelDbm, [](C c) { return c.getRxLevelDbm(); });
  cell_gauge(w, modems, kCellTimingAdvance, [](C c) { return c.getTimingAdvance(); });

  begin_family(w, kModemCarriers);
  for (const ModemRef& m : modems) {
    if (m.modem.getCellInfo() != CellInfoStatus::READ) continue;
    std::size_t counts[5] = {};  // pcell, scell, pscell, sscell, serving
    for (auto cell : m.modem.getCells()) {
      if (!cell.getServing()) continue;
      const std::uint32_t role = cell.getRole();
      ++counts[role >= 1 && role <= 4 ? role - 1 : 4];
    }
    constexpr std::string_view kRoles[] = {"pcell", "scell", "pscell", "sscell", "serving"};
    for (std::size_t i = 0; i < 5; ++i) {
      if (i == 4 && counts[i] == 0) continue;  // role-less carriers only when there are some
      w.begin_sample();
      w.rendered_labels(m.labels);
      w.label("role", kRoles[i]);
      w.value(static_cast<double>(counts[i]));
    }
  }

  begin_family(w, kModemCellsDropped);
  for (const ModemRef& m : modems) {
    if (m.modem.getCellInfo() != CellInfoStatus::READ) continue;
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.value(m.modem.getCellsDropped());
  }
}

}  // namespace mmx
