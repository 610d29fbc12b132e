// The Location interface: enabled sources, position and the 3GPP cell.

#include <cmath>

#include "enum_rows.h"
#include "exposition_parts.h"

namespace mmx {
namespace {

template <typename Value>
void position_rows(RowWriter& rows, FamilyId id, std::span<const ModemView> modems, Value value) {
  gauge_rows(rows, id, modems,
             [&](const ModemView& m) { return m.location ? value(*m.location) : kNoValue; });
}

}  // namespace

void render_location(RowWriter& rows, std::span<const ModemView> modems) {
  using enum FamilyId;
  for (const ModemView& m : modems) {
    if (m.location) {
      flag_rows(rows, kLocationEnabled, m.labels, mm::Enum::kModemLocationSource,
                m.location->getEnabled());
    }
  }
  using L = schema::Location::Reader;
  position_rows(rows, kLocationLatitudeDegrees, modems, [](L l) { return l.getLatitudeDegrees(); });
  position_rows(rows, kLocationLongitudeDegrees, modems,
                [](L l) { return l.getLongitudeDegrees(); });
  position_rows(rows, kLocationAltitudeMeters, modems, [](L l) { return l.getAltitudeMeters(); });
  for (const ModemView& m : modems) {
    if (!m.location || !m.location->hasThreeGpp()) continue;
    const auto cell = m.location->getThreeGpp();
    rows.row(kLocation3gppInfo, m.labels,
             {text(cell.getMcc()), text(cell.getMnc()), text(cell.getLac()), text(cell.getTac()),
              text(cell.getCellId())},
             1);
  }
}

}  // namespace mmx
