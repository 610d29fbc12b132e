#include "property_schema.h"

#include <array>

#include "mm_dbus.h"

namespace mmx {
namespace {

struct PropertyType {
  std::string_view interface;
  std::string_view name;
  std::string_view signature;
};

// Signatures from ModemManager 1.20's introspection XML, and of the later
// properties read where a newer daemon has them (Physdev: 1.22,
// NetworkRejection: 1.24).
constexpr std::array kProperties = {
    PropertyType{mm::kModem, "Sim", "o"},
    PropertyType{mm::kModem, "SimSlots", "ao"},
    PropertyType{mm::kModem, "PrimarySimSlot", "u"},
    PropertyType{mm::kModem, "Bearers", "ao"},
    PropertyType{mm::kModem, "CurrentCapabilities", "u"},
    PropertyType{mm::kModem, "MaxBearers", "u"},
    PropertyType{mm::kModem, "MaxActiveBearers", "u"},
    PropertyType{mm::kModem, "Manufacturer", "s"},
    PropertyType{mm::kModem, "Model", "s"},
    PropertyType{mm::kModem, "Revision", "s"},
    PropertyType{mm::kModem, "CarrierConfiguration", "s"},
    PropertyType{mm::kModem, "CarrierConfigurationRevision", "s"},
    PropertyType{mm::kModem, "HardwareRevision", "s"},
    PropertyType{mm::kModem, "DeviceIdentifier", "s"},
    PropertyType{mm::kModem, "Device", "s"},
    PropertyType{mm::kModem, "Drivers", "as"},
    PropertyType{mm::kModem, "Plugin", "s"},
    PropertyType{mm::kModem, "PrimaryPort", "s"},
    PropertyType{mm::kModem, "Ports", "a(su)"},
    PropertyType{mm::kModem, "EquipmentIdentifier", "s"},
    PropertyType{mm::kModem, "UnlockRequired", "u"},
    PropertyType{mm::kModem, "UnlockRetries", "a{uu}"},
    PropertyType{mm::kModem, "State", "i"},
    PropertyType{mm::kModem, "StateFailedReason", "u"},
    PropertyType{mm::kModem, "AccessTechnologies", "u"},
    PropertyType{mm::kModem, "SignalQuality", "(ub)"},
    PropertyType{mm::kModem, "OwnNumbers", "as"},
    PropertyType{mm::kModem, "PowerState", "u"},
    PropertyType{mm::kModem, "CurrentModes", "(uu)"},
    PropertyType{mm::kModem, "CurrentBands", "au"},
    PropertyType{mm::kModem, "Physdev", "s"},
    PropertyType{mm::kModem3gpp, "Imei", "s"},
    PropertyType{mm::kModem3gpp, "RegistrationState", "u"},
    PropertyType{mm::kModem3gpp, "OperatorCode", "s"},
    PropertyType{mm::kModem3gpp, "OperatorName", "s"},
    PropertyType{mm::kModem3gpp, "EnabledFacilityLocks", "u"},
    PropertyType{mm::kModem3gpp, "SubscriptionState", "u"},
    PropertyType{mm::kModem3gpp, "PacketServiceState", "u"},
    PropertyType{mm::kModem3gpp, "NetworkRejection", "a{sv}"},
    PropertyType{mm::kSar, "State", "b"},
    PropertyType{mm::kSar, "PowerLevel", "u"},
    PropertyType{mm::kSignal, "Rate", "u"},
    PropertyType{mm::kSignal, "Cdma", "a{sv}"},
    PropertyType{mm::kSignal, "Evdo", "a{sv}"},
    PropertyType{mm::kSignal, "Gsm", "a{sv}"},
    PropertyType{mm::kSignal, "Umts", "a{sv}"},
    PropertyType{mm::kSignal, "Lte", "a{sv}"},
    PropertyType{mm::kSignal, "Nr5g", "a{sv}"},
    PropertyType{mm::kLocation, "Capabilities", "u"},
    PropertyType{mm::kLocation, "Enabled", "u"},
    PropertyType{mm::kLocation, "SignalsLocation", "b"},
    PropertyType{mm::kLocation, "Location", "a{uv}"},
    PropertyType{mm::kMessaging, "Messages", "ao"},
    PropertyType{mm::kSim, "Active", "b"},
    PropertyType{mm::kSim, "SimIdentifier", "s"},
    PropertyType{mm::kSim, "Imsi", "s"},
    PropertyType{mm::kSim, "Eid", "s"},
    PropertyType{mm::kSim, "OperatorIdentifier", "s"},
    PropertyType{mm::kSim, "OperatorName", "s"},
    PropertyType{mm::kSim, "SimType", "u"},
    PropertyType{mm::kBearer, "Interface", "s"},
    PropertyType{mm::kBearer, "Connected", "b"},
    PropertyType{mm::kBearer, "ConnectionError", "(ss)"},
    PropertyType{mm::kBearer, "Multiplexed", "b"},
    PropertyType{mm::kBearer, "Stats", "a{sv}"},
    PropertyType{mm::kBearer, "BearerType", "u"},
    PropertyType{mm::kBearer, "Properties", "a{sv}"},
};

constexpr std::array kInterfaces = {
    std::string_view(mm::kModem),     std::string_view(mm::kModem3gpp),
    std::string_view(mm::kSignal),    std::string_view(mm::kLocation),
    std::string_view(mm::kMessaging), std::string_view(mm::kSim),
    std::string_view(mm::kBearer),    std::string_view(mm::kSar),
};

}  // namespace

PropertyCheck check_property(std::string_view interface, std::string_view property,
                             std::string_view signature, std::string_view* name) {
  for (const auto& p : kProperties) {
    if (p.interface == interface && p.name == property) {
      if (p.signature != signature) return PropertyCheck::kWrongType;
      if (name != nullptr) *name = p.name;
      return PropertyCheck::kKeep;
    }
  }
  return PropertyCheck::kNotMirrored;
}

bool is_mirrored_interface(std::string_view interface) {
  return !mirrored_interface(interface).empty();
}

std::string_view mirrored_interface(std::string_view interface) {
  for (auto i : kInterfaces) {
    if (i == interface) return i;
  }
  return {};
}

}  // namespace mmx
