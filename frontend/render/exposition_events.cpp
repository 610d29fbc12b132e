#include <algorithm>
#include <cstdint>
#include <optional>

#include "exposition_parts.h"
#include "metric_families.h"
#include "mm_names.h"

namespace mmx {
namespace {

using enum FamilyId;

// One series per value ModemManager defines for `type`, with its count (0
// when none); counts of values it does not define sum into one `other`.
void count_series(ExpositionWriter& w, const ModemRef& m, std::string_view label, mm::Enum type,
                  capnp::List<schema::EventCount>::Reader counts) {
  for (const mm::EnumValue& v : mm::values(type)) {
    double n = 0;
    for (auto c : counts) {
      if (c.getValue() == v.value) n += static_cast<double>(c.getCount());
    }
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.label(label, v.name);
    w.value(n);
  }
  double other = 0;
  bool any_other = false;
  for (auto c : counts) {
    if (mm::name(type, c.getValue()) == mm::kOtherName) {
      other += static_cast<double>(c.getCount());
      any_other = true;
    }
  }
  if (any_other) {
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.label(label, mm::kOtherName);
    w.value(other);
  }
}

template <typename Value>
void events_gauge(ExpositionWriter& w, std::span<const ModemRef> modems, FamilyId id, Value value) {
  begin_family(w, id);
  for (const ModemRef& m : modems) {
    if (!m.modem.hasEvents()) continue;
    const auto v = value(m.modem.getEvents());
    if (!v) continue;
    w.begin_sample();
    w.rendered_labels(m.labels);
    w.value(*v);
  }
}

}  // namespace

void render_modem_events(ExpositionWriter& w, std::span<const ModemRef> modems) {
  using E = schema::ModemEvents::Reader;
  begin_family(w, kModemStateTransitionsTotal);
  for (const ModemRef& m : modems) {
    if (!m.modem.hasEvents()) continue;
    count_series(w, m, "state", mm::Enum::kModemState, m.modem.getEvents().getStateEntries());
  }
  begin_family(w, kModemStateChangeReasonsTotal);
  for (const ModemRef& m : modems) {
    if (!m.modem.hasEvents()) continue;
    count_series(w, m, "reason", mm::Enum::kModemStateChangeReason,
                 m.modem.getEvents().getStateChangeReasons());
  }
  events_gauge(w, modems, kModemStateLastChangeTimestampSeconds, [](E e) -> std::optional<double> {
    const std::int64_t nanos = e.getLastStateChangeUnixNanos();
    if (nanos <= 0) return std::nullopt;  // none seen
    return static_cast<double>(nanos) / 1e9;
  });
  begin_family(w, kModem3gppRegistrationTransitionsTotal);
  for (const ModemRef& m : modems) {
    // Only modems with the 3GPP interface have a registration state.
    if (!m.modem.hasEvents() || !m.modem.hasThreeGpp()) continue;
    count_series(w, m, "state", mm::Enum::kModem3gppRegistrationState,
                 m.modem.getEvents().getRegistrationEntries());
  }
  events_gauge(w, modems, kModemBearerConnectsTotal, [](E e) -> std::optional<double> {
    return static_cast<double>(e.getBearerConnects());
  });
  events_gauge(w, modems, kModemBearerDisconnectsTotal, [](E e) -> std::optional<double> {
    return static_cast<double>(e.getBearerDisconnects());
  });
}

}  // namespace mmx
