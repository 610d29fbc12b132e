// What changed since the collector started: state and registration
// transitions, bearer connects and disconnects (each modem's `events`).

#include <cmath>
#include <cstdint>

#include "enum_rows.h"
#include "exposition_parts.h"

namespace mmx {
namespace {

using enum FamilyId;

// The modem's events, if it has the Modem interface and events.
std::optional<schema::ModemEvents::Reader> events(const ModemView& m) {
  if (!m.has_modem_interface || !m.modem.hasEvents()) return std::nullopt;
  return m.modem.getEvents();
}

template <typename Value>
void events_rows(RowWriter& rows, FamilyId id, std::span<const ModemView> modems, Value value) {
  gauge_rows(rows, id, modems, [&](const ModemView& m) {
    const auto e = events(m);
    return e ? value(*e) : kNoValue;
  });
}

}  // namespace

void render_modem_events(RowWriter& rows, std::span<const ModemView> modems) {
  using E = schema::ModemEvents::Reader;
  for (const ModemView& m : modems) {
    if (const auto e = events(m)) {
      count_rows(rows, kModemStateTransitionsTotal, m.labels, mm::Enum::kModemState,
                 e->getStateEntries());
    }
  }
  for (const ModemView& m : modems) {
    if (const auto e = events(m)) {
      count_rows(rows, kModemStateChangeReasonsTotal, m.labels, mm::Enum::kModemStateChangeReason,
                 e->getStateChangeReasons());
    }
  }
  events_rows(rows, kModemStateLastChangeTimestampSeconds, modems, [](E e) {
    const std::int64_t nanos = e.getLastStateChangeUnixNanos();
    return nanos <= 0 ? kNoValue : static_cast<double>(nanos) / 1e9;  // <= 0: none seen
  });
  for (const ModemView& m : modems) {
    // Only modems with the 3GPP interface have a registration state.
    const auto e = events(m);
    if (!e || !m.modem.hasThreeGpp()) continue;
    count_rows(rows, kModem3gppRegistrationTransitionsTotal, m.labels,
               mm::Enum::kModem3gppRegistrationState, e->getRegistrationEntries());
  }
  events_rows(rows, kModemBearerConnectsTotal, modems,
              [](E e) { return static_cast<double>(e.getBearerConnects()); });
  events_rows(rows, kModemBearerDisconnectsTotal, modems,
              [](E e) { return static_cast<double>(e.getBearerDisconnects()); });
}

}  // namespace mmx
