// What newer daemons have: the 3GPP network rejection (ModemManager 1.24)
// and the Sar interface.

#include <charconv>
#include <string>

#include "exposition_parts.h"
#include "mm_names.h"

namespace mmx {

void render_newer_daemon(RowWriter& rows, std::span<const ModemView> modems) {
  using enum FamilyId;
  std::string technology;
  for (const ModemView& m : modems) {
    if (!m.has_modem_interface || !m.three_gpp || !m.three_gpp->hasNetworkRejection()) continue;
    const auto r = m.three_gpp->getNetworkRejection();
    char error[16];
    auto [end, failed] = std::to_chars(error, error + sizeof error, r.getError());
    technology.clear();
    mm::append_mask_name(technology, mm::Enum::kModemAccessTechnology, r.getAccessTechnology());
    rows.row(kModem3gppNetworkRejectionInfo, m.labels,
             {std::string_view(error, static_cast<std::size_t>(end - error)),
              text(r.getOperatorId()), technology},
             1);
  }
  for (const ModemView& m : modems) {
    if (m.has_modem_interface && m.modem.hasSar()) {
      rows.row(kModemSarEnabled, m.labels, bool_value(m.modem.getSar().getEnabled()));
    }
  }
  for (const ModemView& m : modems) {
    if (m.has_modem_interface && m.modem.hasSar()) {
      rows.row(kModemSarPowerLevel, m.labels, m.modem.getSar().getPowerLevel());
    }
  }
}

}  // namespace mmx
