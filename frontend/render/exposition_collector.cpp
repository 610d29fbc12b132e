#include "exposition_parts.h"
#include "metric_families.h"

namespace mmx {

void render_dbus_calls(ExpositionWriter& w, schema::Collection::Reader collection) {
  // 0: a collector that predates the window says nothing about it.
  const std::uint32_t window = collection.getCallWindow();
  if (window == 0) return;
  begin_family(w, FamilyId::kExporterDbusCallWindow);
  w.begin_sample();
  w.value(window);
  begin_family(w, FamilyId::kExporterDbusCallsInFlightMax);
  w.begin_sample();
  w.value(collection.getCallsInFlightMax());
  begin_family(w, FamilyId::kExporterDbusCallRetriesTotal);
  w.begin_sample();
  w.value(static_cast<double>(collection.getCallRetries()));
}

}  // namespace mmx
