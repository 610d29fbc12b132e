#include "enum_rows.h"

#include <algorithm>
#include <optional>

namespace mmx {

void enum_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
               std::int64_t current) {
  bool known = false;
  for (const mm::EnumValue& v : mm::values(type)) {
    known = known || v.value == current;
    rows.row(id, labels, {v.name}, v.value == current ? 1 : 0);
  }
  if (!known) rows.row(id, labels, {mm::kOtherName}, 1);
}

void flag_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
               std::uint64_t mask) {
  for (const mm::EnumValue& v : mm::flags(type)) {
    rows.row(id, labels, {v.name}, (mask & static_cast<std::uint64_t>(v.value)) != 0 ? 1 : 0);
  }
}

void named_value_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
                      std::vector<std::pair<std::int64_t, double>>& pairs) {
  std::stable_sort(pairs.begin(), pairs.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::optional<double> other;
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0 && pairs[i].first == pairs[i - 1].first) continue;
    const std::string_view name = mm::name(type, pairs[i].first);
    if (name == mm::kOtherName) {
      if (!other) other = pairs[i].second;
      continue;
    }
    rows.row(id, labels, {name}, pairs[i].second);
  }
  if (other) rows.row(id, labels, {mm::kOtherName}, *other);
}

void count_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
                capnp::List<schema::EventCount>::Reader counts) {
  for (const mm::EnumValue& v : mm::values(type)) {
    double n = 0;
    for (auto c : counts) {
      if (c.getValue() == v.value) n += static_cast<double>(c.getCount());
    }
    rows.row(id, labels, {v.name}, n);
  }
  double other = 0;
  bool any_other = false;
  for (auto c : counts) {
    if (mm::name(type, c.getValue()) == mm::kOtherName) {
      other += static_cast<double>(c.getCount());
      any_other = true;
    }
  }
  if (any_other) rows.row(id, labels, {mm::kOtherName}, other);
}

}  // namespace mmx
