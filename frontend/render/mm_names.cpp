#include "mm_names.h"

#include <algorithm>

namespace mmx::mm {
namespace {

const detail::EnumTable& table(Enum type) {
  return detail::kEnumTables[static_cast<std::size_t>(type)];
}

bool single_bit(std::int64_t value) {
  return value > 0 && (value & (value - 1)) == 0;
}

}  // namespace

std::string_view name(Enum type, std::int64_t value) {
  auto by_value = table(type).by_value;
  auto it = std::lower_bound(by_value.begin(), by_value.end(), value,
                             [](const EnumValue& e, std::int64_t v) { return e.value < v; });
  if (it == by_value.end() || it->value != value) return kOtherName;
  return it->name;
}

std::span<const EnumValue> values(Enum type) {
  return table(type).values;
}

std::span<const EnumValue> flags(Enum type) {
  return table(type).flags;
}

bool is_bitmask(Enum type) {
  return table(type).bitmask;
}

void append_mask_name(std::string& out, Enum type, std::uint64_t mask) {
  // Same walk as libmm-glib's generated *_build_string_from_mask, so the
  // text matches mmcli's: an exact match wins, else the single-bit flags.
  const std::size_t start = out.size();
  bool first = true;
  for (const EnumValue& v : table(type).values) {
    if (v.value >= 0 && static_cast<std::uint64_t>(v.value) == mask) {
      out.resize(start);
      out.append(v.name);
      return;
    }
    if (single_bit(v.value) && (mask & static_cast<std::uint64_t>(v.value)) != 0) {
      if (!first) out.append(", ");
      out.append(v.name);
      first = false;
    }
  }
  if (first) out.append(kOtherName);
}

std::string mask_name(Enum type, std::uint64_t mask) {
  std::string out;
  append_mask_name(out, type, mask);
  return out;
}

std::string_view c_type_name(Enum type) {
  return table(type).c_type_name;
}

std::string_view underscore_name(Enum type) {
  return table(type).underscore_name;
}

}  // namespace mmx::mm
