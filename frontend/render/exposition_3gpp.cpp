// The Modem3gpp interface: registration, operator, subscription and packet
// service state.

#include <string_view>

#include "enum_rows.h"
#include "exposition_parts.h"

namespace mmx {

void render_3gpp(RowWriter& rows, std::span<const ModemView> modems) {
  using enum FamilyId;
  for (const ModemView& m : modems) {
    if (!m.three_gpp) continue;
    enum_rows(rows, kModem3gppRegistrationState, m.labels, mm::Enum::kModem3gppRegistrationState,
              m.three_gpp->getRegistrationState());
  }
  // Operator code and name are strings ("01" stays "01"); empty means
  // ModemManager has none (not registered), which is absent, not "".
  for (const ModemView& m : modems) {
    if (!m.three_gpp) continue;
    const std::string_view code = text(m.three_gpp->getOperatorCode());
    if (!code.empty()) rows.row(kModem3gppOperatorCode, m.labels, {code}, 1);
  }
  for (const ModemView& m : modems) {
    if (!m.three_gpp) continue;
    const std::string_view name = text(m.three_gpp->getOperatorName());
    if (!name.empty()) rows.row(kModem3gppOperatorName, m.labels, {name}, 1);
  }
  for (const ModemView& m : modems) {
    if (!m.three_gpp) continue;
    enum_rows(rows, kModem3gppSubscriptionState, m.labels, mm::Enum::kModem3gppSubscriptionState,
              m.three_gpp->getSubscriptionState());
  }
  for (const ModemView& m : modems) {
    if (!m.three_gpp) continue;
    enum_rows(rows, kModem3gppPacketServiceState, m.labels, mm::Enum::kModem3gppPacketServiceState,
              m.three_gpp->getPacketServiceState());
  }
}

}  // namespace mmx
