#pragma once
// The collector's mirror of ModemManager: every modem (from the object
// manager) and every SIM and bearer object the modems name, each as the
// properties D-Bus last told us. Pure data: it makes no D-Bus calls and knows
// nothing about metrics. Every mutation that changes content bumps
// generation(), which is what triggers a new snapshot.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cell_info.h"
#include "error_counters.h"
#include "value.h"

namespace mmx {

// Properties as they arrive from D-Bus, before the model filters them.
using PropertyMap = std::map<std::string, Value>;
using InterfaceMap = std::map<std::string, PropertyMap>;
using ObjectMap = std::map<std::string, InterfaceMap>;
// Modem.Location.GetLocation's a{uv}, by MMModemLocationSource bit.
using LocationMap = Value::UintDict;

// The mirrored properties of one interface, sorted by name. A flat vector
// costs less than half of what a std::map node per property does, and each
// name points into property_schema's table instead of owning a copy.
class Properties {
 public:
  using Entry = std::pair<std::string_view, Value>;

  const Value* find(std::string_view name) const;
  std::size_t count(std::string_view name) const { return find(name) != nullptr ? 1 : 0; }
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }

  // `name` must outlive the model: property_schema's names do.
  void set(std::string_view name, Value value);
  void erase(std::string_view name);
  // Gives back what growing the vector reserved beyond its size.
  void shrink() { entries_.shrink_to_fit(); }

 private:
  std::vector<Entry> entries_;
};

// One object's mirrored interfaces, by name (property_schema's strings).
using MirroredObject = std::map<std::string_view, Properties>;
using MirroredObjects = std::map<std::string, MirroredObject>;

// The property `name` when present with type T, else nullptr. The model
// holds only values of the type property_schema names.
template <typename T>
const T* find_property(const Properties* properties, std::string_view name) {
  if (properties == nullptr) return nullptr;
  const Value* value = properties->find(name);
  return value == nullptr ? nullptr : value->get_if<T>();
}

class ModemModel {
 public:
  explicit ModemModel(ErrorCounters& errors) : errors_(errors) {}

  // ModemManager appeared (with its version) or vanished; vanishing forgets
  // every object, so nothing stale outlives the daemon.
  void set_manager_present(bool present);
  void set_manager_version(std::string version);
  bool manager_present() const { return manager_present_; }
  const std::string& manager_version() const { return manager_version_; }

  // The whole set of modems, from GetManagedObjects.
  void replace_modems(ObjectMap modems);
  // InterfacesAdded / InterfacesRemoved of the object manager.
  void add_interfaces(const std::string& path, InterfaceMap interfaces);
  void remove_interfaces(const std::string& path, const std::vector<std::string>& interfaces);

  // A SIM's or bearer's interface, from Properties.GetAll.
  void set_linked_interface(const std::string& path, const std::string& interface,
                            PropertyMap properties);
  // Drops a linked object whose GetAll failed: its last values are not
  // served as current.
  void forget_linked(const std::string& path);

  // PropertiesChanged. Returns false when the object or interface is not one
  // the model tracks (then nothing changes).
  bool apply_properties_changed(const std::string& path, const std::string& interface,
                                PropertyMap changed, const std::vector<std::string>& invalidated);

  void set_location(const std::string& modem_path, LocationMap location);
  void forget_location(const std::string& modem_path);

  // Modem.GetCellInfo's last answer; "unsupported" when ModemManager said
  // the modem cannot tell (kept until the modem goes away).
  void set_cells(const std::string& modem_path, CellReport cells);
  void forget_cells(const std::string& modem_path);
  void set_cell_info_unsupported(const std::string& modem_path);
  const CellReport* cells(const std::string& modem_path) const;
  bool cell_info_unsupported(const std::string& modem_path) const {
    return cell_info_unsupported_.count(modem_path) > 0;
  }

  // SIM and bearer paths the modems name in Sim, SimSlots and Bearers.
  std::set<std::string> referenced_linked_paths() const;
  // Forgets linked objects no modem names any more; returns how many.
  std::size_t prune_linked();

  const MirroredObjects& modems() const { return modems_; }
  const MirroredObjects& linked() const { return linked_; }
  const LocationMap* location(const std::string& modem_path) const;
  std::uint64_t generation() const { return generation_; }

 private:
  // Keeps the mirrored properties of the right type; counts the others.
  void filter(std::string_view interface, PropertyMap properties, Properties& into);
  void add_to(MirroredObject& object, InterfaceMap interfaces);
  void changed() { ++generation_; }

  ErrorCounters& errors_;
  bool manager_present_ = false;
  std::string manager_version_;
  MirroredObjects modems_;
  MirroredObjects linked_;
  std::map<std::string, LocationMap> locations_;
  std::map<std::string, CellReport> cells_;
  std::set<std::string> cell_info_unsupported_;
  std::uint64_t generation_ = 1;
};

}  // namespace mmx
