#include "modem_model.h"

#include "mm_dbus.h"
#include "property_schema.h"

namespace mmx {

void ModemModel::set_manager_present(bool present) {
  if (present == manager_present_) return;
  manager_present_ = present;
  if (!present) {
    manager_version_.clear();
    modems_.clear();
    linked_.clear();
    locations_.clear();
  }
  changed();
}

void ModemModel::set_manager_version(std::string version) {
  if (version == manager_version_) return;
  manager_version_ = std::move(version);
  changed();
}

namespace {

// Within the bounds of property_schema.h. Types were checked before.
bool within_bounds(const sdbus::Variant& value) {
  const std::string type = value.peekValueType();
  if (type == "s") return value.get<std::string>().size() <= kMaxStringBytes;
  if (type == "as") {
    auto list = value.get<std::vector<std::string>>();
    if (list.size() > kMaxListElements) return false;
    for (const auto& s : list) {
      if (s.size() > kMaxStringBytes) return false;
    }
    return true;
  }
  if (type == "ao") return value.get<std::vector<sdbus::ObjectPath>>().size() <= kMaxListElements;
  if (type == "au") return value.get<std::vector<std::uint32_t>>().size() <= kMaxListElements;
  if (type == "a(su)") {
    auto list = value.get<std::vector<sdbus::Struct<std::string, std::uint32_t>>>();
    if (list.size() > kMaxListElements) return false;
    for (const auto& port : list) {
      if (std::get<0>(port).size() > kMaxStringBytes) return false;
    }
    return true;
  }
  if (type == "a{uu}")
    return value.get<std::map<std::uint32_t, std::uint32_t>>().size() <= kMaxListElements;
  if (type == "a{sv}") {
    auto dict = value.get<std::map<std::string, sdbus::Variant>>();
    if (dict.size() > kMaxListElements) return false;
    for (const auto& [key, inner] : dict) {
      if (inner.peekValueType() == "s" && inner.get<std::string>().size() > kMaxStringBytes) {
        return false;
      }
    }
    return true;
  }
  if (type == "(ss)") {
    auto pair = value.get<sdbus::Struct<std::string, std::string>>();
    return std::get<0>(pair).size() <= kMaxStringBytes &&
           std::get<1>(pair).size() <= kMaxStringBytes;
  }
  return true;
}

}  // namespace

PropertyMap ModemModel::filter(const std::string& interface, PropertyMap properties) {
  for (auto it = properties.begin(); it != properties.end();) {
    switch (check_property(interface, it->first, it->second.peekValueType())) {
      case PropertyCheck::kKeep:
        if (within_bounds(it->second)) {
          ++it;
        } else {
          errors_.add(ErrorKind::kInvalidValue);
          it = properties.erase(it);
        }
        break;
      case PropertyCheck::kWrongType:
        errors_.add(ErrorKind::kInvalidValue);
        it = properties.erase(it);
        break;
      case PropertyCheck::kNotMirrored:
        it = properties.erase(it);
        break;
    }
  }
  return properties;
}

void ModemModel::replace_modems(ObjectMap modems) {
  ObjectMap kept;
  for (auto& [path, interfaces] : modems) {
    InterfaceMap& object = kept[path];
    for (auto& [name, properties] : interfaces) {
      if (is_mirrored_interface(name)) object[name] = filter(name, std::move(properties));
    }
  }
  modems_ = std::move(kept);
  for (auto it = locations_.begin(); it != locations_.end();) {
    it = modems_.count(it->first) ? std::next(it) : locations_.erase(it);
  }
  changed();
}

void ModemModel::add_interfaces(const std::string& path, InterfaceMap interfaces) {
  InterfaceMap& object = modems_[path];
  for (auto& [name, properties] : interfaces) {
    if (is_mirrored_interface(name)) object[name] = filter(name, std::move(properties));
  }
  changed();
}

void ModemModel::remove_interfaces(const std::string& path,
                                   const std::vector<std::string>& interfaces) {
  auto it = modems_.find(path);
  if (it == modems_.end()) return;
  for (const auto& name : interfaces) it->second.erase(name);
  // ModemManager removes every interface when a modem goes away.
  if (it->second.empty() || std::find(interfaces.begin(), interfaces.end(),
                                      std::string(mm::kModem)) != interfaces.end()) {
    modems_.erase(it);
    locations_.erase(path);
  }
  changed();
}

void ModemModel::set_linked_interface(const std::string& path, const std::string& interface,
                                      PropertyMap properties) {
  linked_[path][interface] = filter(interface, std::move(properties));
  changed();
}

void ModemModel::forget_linked(const std::string& path) {
  if (linked_.erase(path) > 0) changed();
}

bool ModemModel::apply_properties_changed(const std::string& path, const std::string& interface,
                                          PropertyMap changed_properties,
                                          const std::vector<std::string>& invalidated) {
  InterfaceMap* object = nullptr;
  if (auto it = modems_.find(path); it != modems_.end()) {
    object = &it->second;
  } else if (auto lt = linked_.find(path); lt != linked_.end()) {
    object = &lt->second;
  } else {
    return false;
  }
  auto iface = object->find(interface);
  if (iface == object->end()) return false;
  for (auto& [name, value] : filter(interface, std::move(changed_properties))) {
    iface->second[name] = std::move(value);
  }
  for (const auto& name : invalidated) iface->second.erase(name);
  changed();
  return true;
}

void ModemModel::set_location(const std::string& modem_path, LocationMap location) {
  if (!modems_.count(modem_path)) return;
  locations_[modem_path] = std::move(location);
  changed();
}

void ModemModel::forget_location(const std::string& modem_path) {
  if (locations_.erase(modem_path) > 0) changed();
}

const LocationMap* ModemModel::location(const std::string& modem_path) const {
  auto it = locations_.find(modem_path);
  return it == locations_.end() ? nullptr : &it->second;
}

std::set<std::string> ModemModel::referenced_linked_paths() const {
  std::set<std::string> paths;
  for (const auto& [path, interfaces] : modems_) {
    auto modem = interfaces.find(mm::kModem);
    if (modem == interfaces.end()) continue;
    const PropertyMap& p = modem->second;
    if (auto sim = p.find("Sim"); sim != p.end()) {
      paths.insert(sim->second.get<sdbus::ObjectPath>());
    }
    for (const char* list : {"SimSlots", "Bearers"}) {
      if (auto it = p.find(list); it != p.end()) {
        for (const auto& o : it->second.get<std::vector<sdbus::ObjectPath>>()) paths.insert(o);
      }
    }
  }
  // "/" is ModemManager's "no object" (an empty SIM slot, no SIM).
  paths.erase("/");
  return paths;
}

std::size_t ModemModel::prune_linked() {
  const auto referenced = referenced_linked_paths();
  std::size_t pruned = 0;
  for (auto it = linked_.begin(); it != linked_.end();) {
    if (referenced.count(it->first)) {
      ++it;
    } else {
      it = linked_.erase(it);
      ++pruned;
    }
  }
  if (pruned > 0) changed();
  return pruned;
}

}  // namespace mmx
