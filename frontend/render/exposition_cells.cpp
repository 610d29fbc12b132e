// Cells and carriers, from Modem.GetCellInfo as the collector polls it.

#include <charconv>
#include <cmath>
#include <set>
#include <string>

#include "exposition_parts.h"
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

// The labels of a cell's signal rows (device_id, cell_type, role, pci,
// arfcn): its identity, kept when neighbours come and go.
RenderedLabels signal_labels(const ModemView& m, schema::Cell::Reader cell) {
  char arfcn[16];
  return RenderedLabels(kCellRsrpDbm, m.labels,
                        {mm::name(mm::Enum::kCellType, cell.getCellType()), role_name(cell),
                         text(cell.getPci()), number(arfcn, cell.getHasArfcn(), cell.getArfcn())});
}

RenderedLabels info_labels(const ModemView& m, schema::Cell::Reader cell) {
  char arfcn[16];
  char band[16];
  char bandwidth[16];
  return RenderedLabels(
      kCellInfo, m.labels,
      {mm::name(mm::Enum::kCellType, cell.getCellType()), cell.getServing() ? "true" : "false",
       role_name(cell), text(cell.getOperatorId()), text(cell.getLac()), text(cell.getTac()),
       text(cell.getCi()), text(cell.getPci()), number(arfcn, cell.getHasArfcn(), cell.getArfcn()),
       number(band, cell.getBand() != 0, cell.getBand()),
       number(bandwidth, cell.getHasBandwidth(), cell.getBandwidth())});
}

// The cells of modems with the Modem interface, one row per identity: of
// two cells alike, the first (serving before neighbours, stronger before
// weaker) is the one shown, never a duplicate series.
template <typename Labels, typename Value>
void cell_rows(RowWriter& rows, FamilyId id, std::span<const ModemView> modems, Labels labels_of,
               Value value) {
  std::set<std::string, std::less<>> seen;
  for (const ModemView& m : modems) {
    if (!m.has_modem_interface) continue;
    seen.clear();
    for (auto cell : m.modem.getCells()) {
      const double v = value(cell);
      if (std::isnan(v)) continue;
      RenderedLabels labels = labels_of(m, cell);
      if (seen.emplace(labels.text()).second) rows.row(id, labels, v);
    }
  }
}

void carrier_rows(RowWriter& rows, const ModemView& m) {
  std::size_t counts[5] = {};  // pcell, scell, pscell, sscell, serving
  for (auto cell : m.modem.getCells()) {
    if (!cell.getServing()) continue;
    const std::uint32_t role = cell.getRole();
    ++counts[role >= 1 && role <= 4 ? role - 1 : 4];
  }
  constexpr std::string_view kRoles[] = {"pcell", "scell", "pscell", "sscell", "serving"};
  for (std::size_t i = 0; i < 5; ++i) {
    if (i == 4 && counts[i] == 0) continue;  // role-less carriers only when there are some
    rows.row(kModemCarriers, m.labels, {kRoles[i]}, static_cast<double>(counts[i]));
  }
}

}  // namespace

void render_cells(RowWriter& rows, std::span<const ModemView> modems) {
  using schema::CellInfoStatus;
  for (const ModemView& m : modems) {
    const CellInfoStatus status = m.modem.getCellInfo();
    if (!m.has_modem_interface || status == CellInfoStatus::UNKNOWN) continue;
    rows.row(kModemCellInfoSupported, m.labels, bool_value(status == CellInfoStatus::READ));
  }
  using C = schema::Cell::Reader;
  cell_rows(rows, kCellInfo, modems, info_labels, [](C) { return 1.0; });
  cell_rows(rows, kCellRsrpDbm, modems, signal_labels, [](C c) { return c.getRsrpDbm(); });
  cell_rows(rows, kCellRsrqDb, modems, signal_labels, [](C c) { return c.getRsrqDb(); });
  cell_rows(rows, kCellSinrDb, modems, signal_labels, [](C c) { return c.getSinrDb(); });
  cell_rows(rows, kCellRscpDbm, modems, signal_labels, [](C c) { return c.getRscpDbm(); });
  cell_rows(rows, kCellEcioDb, modems, signal_labels, [](C c) { return c.getEcioDb(); });
  cell_rows(rows, kCellRxLevelDbm, modems, signal_labels, [](C c) { return c.getRxLevelDbm(); });
  cell_rows(rows, kCellTimingAdvance, modems, signal_labels,
            [](C c) { return c.getTimingAdvance(); });
  for (const ModemView& m : modems) {
    if (m.has_modem_interface && m.modem.getCellInfo() == CellInfoStatus::READ) {
      carrier_rows(rows, m);
    }
  }
  for (const ModemView& m : modems) {
    if (m.has_modem_interface && m.modem.getCellInfo() == CellInfoStatus::READ) {
      rows.row(kModemCellsDropped, m.labels, m.modem.getCellsDropped());
    }
  }
}

}  // namespace mmx
