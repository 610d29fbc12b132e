#pragma once
// ModemManager's enum and bitmask values by name, spelled as mmcli prints
// them (the glib-mkenums nick: "hspa-plus", "home-sms-only", "eutran-1").
//
// The tables are generated at build time from the installed
// ModemManager-enums.h by gen_mm_names.py, so every value of that header has
// its name and nothing is typed by hand. A number the header does not know
// (a newer ModemManager, a broken peer) is named "other": label values stay a
// bounded set whatever the collector sends.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "mm_enum.h"  // generated: enum class Enum, one per ModemManager type

namespace mmx::mm {

struct EnumValue {
  std::int64_t value;
  std::string_view name;
};

// The name of every value ModemManager does not define.
inline constexpr std::string_view kOtherName = "other";

// The mmcli name of `value`, or kOtherName.
std::string_view name(Enum type, std::int64_t value);

// Every value of `type` in header order: one series per value for enums.
std::span<const EnumValue> values(Enum type);

// The single-bit values of a bitmask type in header order: one series per
// flag. Empty for a plain enum.
std::span<const EnumValue> flags(Enum type);

// True when ModemManager declares `type` as a bitmask (values written `1 << n`).
bool is_bitmask(Enum type);

// mmcli's text for a bitmask value, as libmm-glib's *_build_string_from_mask
// builds it: the name of a value equal to the whole mask ("none", "any"),
// else the names of the set flags joined by ", " ("2g, 3g"). Bits without a
// name are left out; kOtherName when no bit has one.
void append_mask_name(std::string& out, Enum type, std::uint64_t mask);
std::string mask_name(Enum type, std::uint64_t mask);

// "MMModemState": the C type, for messages and tests.
std::string_view c_type_name(Enum type);
// "mm_modem_state": the prefix of libmm-glib's functions for the type.
std::string_view underscore_name(Enum type);

namespace detail {
// One generated table per type; indexed by Enum.
struct EnumTable {
  std::string_view c_type_name;
  std::string_view underscore_name;
  bool bitmask;
  std::span<const EnumValue> values;    // header order
  std::span<const EnumValue> by_value;  // sorted by value, first of equal values kept
  std::span<const EnumValue> flags;     // single-bit values of a bitmask
};
extern const EnumTable kEnumTables[];
}  // namespace detail

}  // namespace mmx::mm
