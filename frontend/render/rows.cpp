#include "rows.h"

#include <algorithm>

#include "invariant.h"

namespace mmx {

const RenderedLabels RowWriter::kNoLabels;

RenderedLabels::RenderedLabels(FamilyId id, const RenderedLabels& base,
                               std::initializer_list<std::string_view> values)
    : text_(base.text_), count_(base.count_), family_(id) {
  const std::span<const std::string_view> names = metric_family(id).labels;
  MMX_ASSERT(count_ + values.size() <= names.size(), "more label values than the family has");
  MMX_ASSERT(std::equal(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(count_),
                        metric_family(base.family_).labels.begin()),
             "labels built on those of a family with other names");
  for (std::string_view value : values) {
    if (count_ > 0) text_.push_back(',');
    append_label(text_, names[count_++], value);
  }
}

void RowWriter::enter(FamilyId id) {
  // The table's order is the page's: a family left is never resumed.
  MMX_ASSERT(family_ == nullptr || family_->id < id, "a family split or out of the table's order");
  family_ = &metric_family(id);
  begin_family(writer_, id);
}

bool RowWriter::labels_match(const RenderedLabels& first, std::size_t values) const {
  const std::span<const std::string_view> names = family_->labels;
  if (first.count() + values != names.size()) return false;
  const std::span<const std::string_view> first_names = metric_family(first.family()).labels;
  return first_names.size() >= first.count() &&
         std::equal(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(first.count()),
                    first_names.begin());
}

}  // namespace mmx
