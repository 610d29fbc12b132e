// The Location interface: enabled sources, position and the 3GPP cell.

#include <cmath>

#include "enum_rows.h"
#include "exposition_parts.h"

namespace mmx {
void render_location(RowWriter& rows, std::span<const ModemView> modems) {
  using enum FamilyId;
  for (const ModemView& m : modems) {
    if (m.location) {
      flag_rows(rows, kLocationEnabled, m.labels, mm::Enum::kModemLocationSource,
                m.location->getEnabled());
    }
  }
  using L = schema::Location::Reader;
  constexpr auto location = &ModemView::location;
  part_rows(rows, kLocationLatitudeDegrees, modems, location,
            [](L l) { return l.getLatitudeDegrees(); });
  part_rows(rows, kLocationLongitudeDegrees, modems, location,
            [](L l) { return l.getLongitudeDegrees(); });
  part_rows(rows, kLocationAltitudeMeters, modems, location,
            [](L l) { return l.getAltitudeMeters(); });
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
