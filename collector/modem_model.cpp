#include "modem_model.h"

#include <algorithm>

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
    cells_.clear();
    cell_info_unsupported_.clear();
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
bool within_bounds(const Value& value) {
  auto short_enough = [](const std::string& s) { return s.size() <= kMaxStringBytes; };
  if (auto* s = value.get_if<std::string>()) return short_enough(*s);
  if (auto* list = value.get_if<std::vector<std::string>>()) {
    return list->size() <= kMaxListElements &&
           std::all_of(list->begin(), list->end(), short_enough);
  }
  if (auto* list = value.get_if<std::vector<ObjectPath>>()) return list->size() <= kMaxListElements;
  if (auto* list = value.get_if<std::vector<std::uint32_t>>()) {
    return list->size() <= kMaxListElements;
  }
  if (auto* ports = value.get_if<Value::Ports>()) {
    return ports->size() <= kMaxListElements &&
           std::all_of(ports->begin(), ports->end(),
                       [&](const auto& port) { return short_enough(port.first); });
  }
  if (auto* map = value.get_if<Value::UintMap>()) return map->size() <= kMaxListElements;
  if (auto* dict = value.get_if<Value::Dict>()) {
    return dict->size() <= kMaxListElements &&
           std::all_of(dict->begin(), dict->end(), [&](const auto& entry) {
             auto* inner = entry.second.template get_if<std::string>();
             return inner == nullptr || short_enough(*inner);
           });
  }
  if (auto* pair = value.get_if<StringPair>()) {
    return short_enough(pair->first) && short_enough(pair->second);
  }
  return true;
}

}  // namespace

const Value* Properties::find(std::string_view name) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  return it != entries_.end() && it->first == name ? &it->second : nullptr;
}

void Properties::set(std::string_view name, Value value) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  if (it != entries_.end() && it->first == name) {
    it->second = std::move(value);
  } else {
    entries_.emplace(it, name, std::move(value));
  }
}

void Properties::erase(std::string_view name) {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), name,
                             [](const Entry& e, std::string_view n) { return e.first < n; });
  if (it != entries_.end() && it->first == name) entries_.erase(it);
}

void ModemModel::filter(std::string_view interface, PropertyMap properties, Properties& into) {
  for (auto& [name, value] : properties) {
    std::string_view schema_name;
    switch (check_property(interface, name, value.signature(), &schema_name)) {
      case PropertyCheck::kKeep:
        if (within_bounds(value)) {
          into.set(schema_name, std::move(value));
        } else {
          errors_.add(ErrorKind::kInvalidValue);
        }
        break;
      case PropertyCheck::kWrongType:
        errors_.add(ErrorKind::kInvalidValue);
        break;
      case PropertyCheck::kNotMirrored:
        break;
    }
  }
  into.shrink();
}

void ModemModel::add_to(MirroredObject& object, InterfaceMap interfaces) {
  for (auto& [name, properties] : interfaces) {
    const std::string_view interface = mirrored_interface(name);
    if (interface.empty()) continue;
    Properties kept;
    filter(interface, std::move(properties), kept);
    object[interface] = std::move(kept);
  }
}

void ModemModel::replace_modems(ObjectMap modems) {
  MirroredObjects kept;
  for (auto& [path, interfaces] : modems) add_to(kept[path], std::move(interfaces));
  modems_ = std::move(kept);
  for (auto it = locations_.begin(); it != locations_.end();) {
    it = modems_.count(it->first) ? std::next(it) : locations_.erase(it);
  }
  for (auto it = cells_.begin(); it != cells_.end();) {
    it = modems_.count(it->first) ? std::next(it) : cells_.erase(it);
  }
  for (auto it = cell_info_unsupported_.begin(); it != cell_info_unsupported_.end();) {
    it = modems_.count(*it) ? std::next(it) : cell_info_unsupported_.erase(it);
  }
  changed();
}

void ModemModel::add_interfaces(const std::string& path, InterfaceMap interfaces) {
  add_to(modems_[path], std::move(interfaces));
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
    cells_.erase(path);
    cell_info_unsupported_.erase(path);
  }
  changed();
}

void ModemModel::set_linked_interface(const std::string& path, const std::string& interface,
                                      PropertyMap properties) {
  const std::string_view name = mirrored_interface(interface);
  if (name.empty()) return;
  Properties kept;
  filter(name, std::move(properties), kept);
  linked_[path][name] = std::move(kept);
  changed();
}

void ModemModel::forget_linked(const std::string& path) {
  if (linked_.erase(path) > 0) changed();
}

bool ModemModel::apply_properties_changed(const std::string& path, const std::string& interface,
                                          PropertyMap changed_properties,
                                          const std::vector<std::string>& invalidated) {
  MirroredObject* object = nullptr;
  if (auto it = modems_.find(path); it != modems_.end()) {
    object = &it->second;
  } else if (auto lt = linked_.find(path); lt != linked_.end()) {
    object = &lt->second;
  } else {
    return false;
  }
  auto iface = object->find(interface);
  if (iface == object->end()) return false;
  filter(interface, std::move(changed_properties), iface->second);
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

void ModemModel::set_cells(const std::string& modem_path, CellReport cells) {
  if (!modems_.count(modem_path)) return;
  cells_[modem_path] = std::move(cells);
  changed();
}

void ModemModel::forget_cells(const std::string& modem_path) {
  if (cells_.erase(modem_path) > 0) changed();
}

void ModemModel::set_cell_info_unsupported(const std::string& modem_path) {
  if (!modems_.count(modem_path)) return;
  cells_.erase(modem_path);
  if (cell_info_unsupported_.insert(modem_path).second) changed();
}

const CellReport* ModemModel::cells(const std::string& modem_path) const {
  auto it = cells_.find(modem_path);
  return it == cells_.end() ? nullptr : &it->second;
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
    const Properties& p = modem->second;
    if (auto* sim = find_property<ObjectPath>(&p, "Sim")) paths.insert(*sim);
    for (const char* list : {"SimSlots", "Bearers"}) {
      if (auto* objects = find_property<std::vector<ObjectPath>>(&p, list)) {
        paths.insert(objects->begin(), objects->end());
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
