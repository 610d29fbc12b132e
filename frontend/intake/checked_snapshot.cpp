#include "checked_snapshot.h"

#include <algorithm>
#include <limits>

#include "capnp_text.h"

namespace mmx {
namespace {

// Bearer indexes are numbers in text; order "2" before "10".
bool index_less(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() < b.size() : a < b;
}

std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
  return b > std::numeric_limits<std::uint64_t>::max() - a
             ? std::numeric_limits<std::uint64_t>::max()
             : a + b;
}

// Sorted by `less` (stable: the first of equals stays first), then one of
// each key. Classic algorithms, not std::ranges: clang 14 (the fuzzing build)
// cannot compile libstdc++ 12's ranges.
template <typename T, typename Less, typename Equal>
void sort_unique(std::vector<T>& items, Less less, Equal equal) {
  std::stable_sort(items.begin(), items.end(), less);
  items.erase(std::unique(items.begin(), items.end(), equal), items.end());
}

std::vector<CheckedBearer> checked_bearers(schema::Modem::Reader modem) {
  std::vector<CheckedBearer> bearers;
  bearers.reserve(modem.getBearers().size());
  for (auto bearer : modem.getBearers()) {
    CheckedBearer b{bearer, text(bearer.getIndex()), {}};
    if (bearer.hasStats()) b.stats = bearer.getStats();
    bearers.push_back(b);
  }
  sort_unique(
      bearers,
      [](const CheckedBearer& a, const CheckedBearer& b) { return index_less(a.index, b.index); },
      [](const CheckedBearer& a, const CheckedBearer& b) { return a.index == b.index; });
  return bearers;
}

std::vector<schema::Sim::Reader> checked_sims(schema::Modem::Reader modem) {
  std::vector<schema::Sim::Reader> sims;
  sims.reserve(modem.getSims().size());
  for (auto sim : modem.getSims()) sims.push_back(sim);
  sort_unique(
      sims, [](schema::Sim::Reader a, schema::Sim::Reader b) { return a.getSlot() < b.getSlot(); },
      [](schema::Sim::Reader a, schema::Sim::Reader b) { return a.getSlot() == b.getSlot(); });
  return sims;
}

}  // namespace

CheckedSnapshot::CheckedSnapshot(schema::Snapshot::Reader snapshot) : raw_(snapshot) {
  const auto modems = snapshot.getModems();
  modems_.reserve(modems.size());
  for (auto modem : modems) modems_.push_back({modem, text(modem.getDeviceId()), {}, {}});
  sort_unique(
      modems_,
      [](const CheckedModem& a, const CheckedModem& b) { return a.device_id < b.device_id; },
      [](const CheckedModem& a, const CheckedModem& b) { return a.device_id == b.device_id; });
  for (CheckedModem& m : modems_) {
    m.bearers = checked_bearers(m.modem);
    m.sims = checked_sims(m.modem);
  }

  const auto errors = snapshot.getCollection().getErrors();
  errors_.reserve(errors.size());
  for (auto e : errors) errors_.push_back({text(e.getKind()), e.getCount()});
  std::stable_sort(
      errors_.begin(), errors_.end(),
      [](const ErrorKindCount& a, const ErrorKindCount& b) { return a.kind < b.kind; });
  std::vector<ErrorKindCount> summed;
  for (const ErrorKindCount& e : errors_) {
    if (!summed.empty() && summed.back().kind == e.kind) {
      summed.back().count = saturating_add(summed.back().count, e.count);
    } else {
      summed.push_back(e);
    }
    errors_total_ = saturating_add(errors_total_, e.count);
  }
  errors_ = std::move(summed);
}

std::uint64_t nanos_between(std::int64_t earlier, std::int64_t later) {
  if (later <= earlier) return 0;
  // Exact in unsigned arithmetic: the difference of two int64 values fits
  // in a uint64 when it is positive.
  return static_cast<std::uint64_t>(later) - static_cast<std::uint64_t>(earlier);
}

double age_seconds(std::int64_t time_unix_nanos, std::int64_t now_unix_nanos) {
  return static_cast<double>(nanos_between(time_unix_nanos, now_unix_nanos)) / 1e9;
}

double CheckedSnapshot::age_seconds(std::int64_t now_unix_nanos) const {
  return mmx::age_seconds(raw_.getTimeUnixNanos(), now_unix_nanos);
}

}  // namespace mmx
