#pragma once
// What the collector saw change on each modem since it started: the
// flapping a 30 s scrape cannot see in a gauge. Modem.StateChanged by new
// state and by reason, registration state changes, bearer connects and
// disconnects, and when the state last changed. Kept by DeviceIdentifier,
// so a ModemManager restart or a replug (new D-Bus paths) continues the
// same counters; counters start at 0 with the collector, as counters do.

#include <cstdint>
#include <map>
#include <string>

namespace mmx {

struct ModemEventCounts {
  std::map<std::int64_t, std::uint64_t> state_entries;         // by MMModemState
  std::map<std::int64_t, std::uint64_t> state_reasons;         // by MMModemStateChangeReason
  std::map<std::int64_t, std::uint64_t> registration_entries;  // by registration state
  std::uint64_t bearer_connects = 0;
  std::uint64_t bearer_disconnects = 0;
  std::int64_t last_state_change_unix_nanos = 0;  // 0: none seen
};

class ModemEvents {
 public:
  // Devices remembered, present or not: beyond it, the one whose last event
  // is oldest is forgotten (a host with a churn of modems stays bounded).
  static constexpr std::size_t kMaxDevices = 1024;
  // Distinct values counted per map: ModemManager's enums have fewer;
  // values beyond that from a misbehaving peer are not counted.
  static constexpr std::size_t kMaxValues = 32;

  void state_changed(const std::string& device_id, std::int32_t new_state, std::uint32_t reason,
                     std::int64_t now_unix_nanos);
  void registration_changed(const std::string& device_id, std::uint32_t new_state);
  void bearer_connected_changed(const std::string& device_id, bool connected);

  // nullptr when nothing was seen for the device.
  const ModemEventCounts* find(const std::string& device_id) const;

 private:
  ModemEventCounts& counts_of(const std::string& device_id);

  std::map<std::string, ModemEventCounts> by_device_;
  std::map<std::string, std::uint64_t> last_touch_;
  std::uint64_t clock_ = 0;
};

}  // namespace mmx
