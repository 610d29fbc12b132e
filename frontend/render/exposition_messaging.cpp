// The Messaging interface: whether the modem has it, and its SMS count.

#include "exposition_parts.h"

namespace mmx {

void render_messaging(RowWriter& rows, std::span<const ModemView> modems) {
  using enum FamilyId;
  for (const ModemView& m : modems) {
    rows.row(kMessagingSupported, m.labels, bool_value(m.messaging.has_value()));
  }
  for (const ModemView& m : modems) {
    if (m.messaging) {
      rows.row(kMessagingSmsCount, m.labels, static_cast<double>(m.messaging->getMessageCount()));
    }
  }
}

}  // namespace mmx
