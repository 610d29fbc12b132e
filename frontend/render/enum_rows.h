#pragma once
// Rows that spell ModemManager's values by name (mm_names.h): an enum as one
// row per value, a bitmask as one row per flag, counts by value.

#include <cstdint>
#include <utility>
#include <vector>

#include "mm_names.h"
#include "rows.h"
#include "snapshot.capnp.h"

namespace mmx {

// One row per value ModemManager defines for `type`: 1 for `current`, 0 for
// the others. A number ModemManager does not define shows as `other` 1, so
// the state is never silently all zeros.
void enum_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
               std::int64_t current);

// One row per flag of the bitmask `type`, 1 when set in `mask`.
void flag_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
               std::uint64_t mask);

// One row per enum value of `pairs` (value, sample), in the order of the
// values; the first pair of a value wins, and numbers without a name
// collapse into one `other` row after the named ones, so a label value
// never repeats. Sorts `pairs`.
void named_value_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
                      std::vector<std::pair<std::int64_t, double>>& pairs);

// One row per value ModemManager defines for `type`, with its count in
// `counts` (0 when none); counts of values it does not define sum into one
// `other` row.
void count_rows(RowWriter& rows, FamilyId id, const RenderedLabels& labels, mm::Enum type,
                capnp::List<schema::EventCount>::Reader counts);

}  // namespace mmx
