#include <charconv>

#include "exposition_parts.h"
#include "metric_families.h"
#include "mm_names.h"

namespace mmx {

void render_newer_daemon(ExpositionWriter& w, std::span<const ModemRef> modems) {
  begin_family(w, FamilyId::kModem3gppNetworkRejectionInfo);
  std::string technology;
  for (const ModemRef& m : modems) {
    if (!m.modem.hasThreeGpp() || !m.modem.getThreeGpp().hasNetworkRejection()) continue;
    const auto r = m.modem.getThreeGpp().getNetworkRejection();
    char error[16];
    auto [end, failed] = std::to_chars(error, error + sizeof error, r.getError());
    technology.clear();
    mm::append_mask_name(technology, mm::Enum::kModemAccessTechnology, r.getAccessTechnology());
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.label("error", std::string_view(error, static_cast<std::size_t>(end - error)));
    w.label("operator_id", {r.getOperatorId().cStr(), r.getOperatorId().size()});
    w.label("access_technology", technology);
    w.value(1);
  }
  begin_family(w, FamilyId::kModemSarEnabled);
  for (const ModemRef& m : modems) {
    if (!m.modem.hasSar()) continue;
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.value(m.modem.getSar().getEnabled() ? 1 : 0);
  }
  begin_family(w, FamilyId::kModemSarPowerLevel);
  for (const ModemRef& m : modems) {
    if (!m.modem.hasSar()) continue;
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.value(m.modem.getSar().getPowerLevel());
  }
}

}  // namespace mmx
