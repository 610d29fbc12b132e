#pragma once
// The ModemManager properties the exporter mirrors, with the D-Bus signature
// each must have. The model keeps only these, so memory does not grow with
// properties nobody renders, and a value of the wrong type is dropped (and
// counted) when it arrives instead of surprising the snapshot builder.

#include <cstddef>
#include <string_view>

namespace mmx {

enum class PropertyCheck {
  kKeep,         // known, right type
  kWrongType,    // known, wrong type: drop and count
  kNotMirrored,  // not used by the exporter: drop silently
};

// On kKeep, `name` (when given) is set to the property's name in the
// schema's own table, which lives as long as the program.
PropertyCheck check_property(std::string_view interface, std::string_view property,
                             std::string_view signature, std::string_view* name = nullptr);

// Strings become label values and lists become series: a value larger than
// ModemManager ever sends is a fault (or an attack) and is dropped, so one
// property cannot make every scrape megabytes long.
inline constexpr std::size_t kMaxStringBytes = 4096;
inline constexpr std::size_t kMaxListElements = 4096;

// Interfaces whose presence alone matters even when none of their properties
// are mirrored (e.g. Messaging supported).
bool is_mirrored_interface(std::string_view interface);
// The same interface name from the schema's table; empty when not mirrored.
std::string_view mirrored_interface(std::string_view interface);

}  // namespace mmx
