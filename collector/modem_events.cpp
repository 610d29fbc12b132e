#include "modem_events.h"

#include <algorithm>

namespace mmx {
namespace {

// Counts `value`, unless the map is full of other values: an unknown flood
// from a peer cannot grow it.
void count(std::map<std::int64_t, std::uint64_t>& counts, std::int64_t value) {
  auto it = counts.find(value);
  if (it != counts.end()) {
    ++it->second;
  } else if (counts.size() < ModemEvents::kMaxValues) {
    counts.emplace(value, 1);
  }
}

}  // namespace

ModemEventCounts& ModemEvents::counts_of(const std::string& device_id) {
  if (!by_device_.count(device_id) && by_device_.size() >= kMaxDevices) {
    auto oldest =
        std::min_element(last_touch_.begin(), last_touch_.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    by_device_.erase(oldest->first);
    last_touch_.erase(oldest);
  }
  last_touch_[device_id] = ++clock_;
  return by_device_[device_id];
}

void ModemEvents::state_changed(const std::string& device_id, std::int32_t new_state,
                                std::uint32_t reason, std::int64_t now_unix_nanos) {
  if (device_id.empty()) return;
  ModemEventCounts& c = counts_of(device_id);
  count(c.state_entries, new_state);
  count(c.state_reasons, reason);
  c.last_state_change_unix_nanos = now_unix_nanos;
}

void ModemEvents::registration_changed(const std::string& device_id, std::uint32_t new_state) {
  if (device_id.empty()) return;
  count(counts_of(device_id).registration_entries, new_state);
}

void ModemEvents::bearer_connected_changed(const std::string& device_id, bool connected) {
  if (device_id.empty()) return;
  ModemEventCounts& c = counts_of(device_id);
  ++(connected ? c.bearer_connects : c.bearer_disconnects);
}

const ModemEventCounts* ModemEvents::find(const std::string& device_id) const {
  auto it = by_device_.find(device_id);
  return it == by_device_.end() ? nullptr : &it->second;
}

}  // namespace mmx
