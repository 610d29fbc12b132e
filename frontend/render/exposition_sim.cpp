// The Sim interface: one modemmanager_sim_info row per SIM slot.

#include <charconv>
#include <string_view>

#include "exposition_parts.h"
#include "mm_names.h"

namespace mmx {

void render_sims(RowWriter& rows, std::span<const ModemView> modems) {
  char slot_text[16];
  for (const ModemView& m : modems) {
    for (auto sim : m.sims) {
      // Slot 0: the modem has no SIM slots, and the row no slot label.
      LabelValue slot = LabelValue::absent();
      if (sim.getSlot() != 0) {
        auto [end, error] = std::to_chars(slot_text, slot_text + sizeof slot_text, sim.getSlot());
        slot = std::string_view(slot_text, static_cast<std::size_t>(end - slot_text));
      }
      rows.row(FamilyId::kSimInfo, m.labels,
               {slot, sim.getActive() ? "true" : "false", text(sim.getIccid()), text(sim.getImsi()),
                text(sim.getEid()), text(sim.getOperatorIdentifier()), text(sim.getOperatorName()),
                mm::name(mm::Enum::kSimType, sim.getSimType())},
               1);
    }
  }
}

}  // namespace mmx
