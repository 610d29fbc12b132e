#pragma once
// The one way the exposition writes a row: a sample of a family from the
// family's id, its label values and its value. The label names are taken
// from the family's entry in metric_families (common/metric_families.cpp),
// never typed by a renderer, so /metrics, docs/METRICS.md and --help cannot
// name different labels. In builds that check invariants (debug and fuzz),
// a row whose label values do not match its family's labels in number, or
// whose shared first labels come from a family with other names, or a
// family resumed after another began (which would split it), aborts.

#include <cstddef>
#include <initializer_list>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "exposition_writer.h"
#include "invariant.h"
#include "metric_families.h"

namespace mmx {

// Byte ranges [first, second) of a text, in order.
using TextRanges = std::vector<std::pair<std::size_t, std::size_t>>;

// A label's value in a row, or LabelValue::absent(): the label is left out
// (the slot of a SIM in a modem without slots; the contract says so).
class LabelValue {
 public:
  LabelValue(std::string_view value) : value_(value) {}    // NOLINT: a value is a label value
  LabelValue(const char* value) : value_(value) {}         // NOLINT
  LabelValue(const std::string& value) : value_(value) {}  // NOLINT
  static LabelValue absent() { return LabelValue(); }

  bool present() const { return present_; }
  std::string_view value() const { return value_; }

 private:
  LabelValue() : present_(false) {}
  std::string_view value_;
  bool present_ = true;
};

// The first labels of a family's rows, rendered once (name="value",...) for
// the many rows that share them: a modem's device_id, a bearer's device_id
// and bearer, a cell's identity.
class RenderedLabels {
 public:
  RenderedLabels() = default;
  // `base`'s labels, then `values` for the labels that follow them in
  // family `id`'s entry.
  RenderedLabels(FamilyId id, const RenderedLabels& base,
                 std::initializer_list<std::string_view> values);

  std::string_view text() const { return text_; }
  // How many of the family's labels it holds, and the family whose names
  // they are.
  std::size_t count() const { return count_; }
  FamilyId family() const { return family_; }

 private:
  std::string text_;
  std::size_t count_ = 0;
  FamilyId family_{};
};

class RowWriter {
 public:
  RowWriter(std::string& out, Format format) : out_(out), writer_(out, format) {}

  // One row of family `id`: the labels of `first`, then `values` for the
  // family's labels after them, in the order of its entry, then `value`.
  // Families come in the table's order; a family's first row writes its
  // metadata, so a family without rows leaves no trace. With `value_range`,
  // the bytes of the value are recorded in it.
  // Inline: the page's hot path, some 110 rows a modem.
  void row(FamilyId id, const RenderedLabels& first, std::initializer_list<LabelValue> values,
           double value, TextRanges* value_range = nullptr) {
    if (family_ == nullptr || family_->id != id) enter(id);
    check_labels(first, values.size());
    writer_.begin_sample();
    if (first.count() > 0) writer_.rendered_labels(first.text());
    std::size_t i = first.count();
    for (const LabelValue& v : values) {
      if (v.present()) writer_.label(family_->labels[i], v.value());
      ++i;
    }
    const std::size_t begin = out_.size();
    writer_.value(value);
    if (value_range != nullptr) value_range->emplace_back(begin, out_.size());
  }
  void row(FamilyId id, std::initializer_list<LabelValue> values, double value,
           TextRanges* value_range = nullptr) {
    row(id, kNoLabels, values, value, value_range);
  }
  void row(FamilyId id, const RenderedLabels& first, double value) {
    row(id, first, {}, value, nullptr);
  }
  void row(FamilyId id, double value) { row(id, kNoLabels, {}, value, nullptr); }

 private:
  static const RenderedLabels kNoLabels;
  void enter(FamilyId id);
  // MMX_ASSERTs that a row's labels match its family's (checking builds).
  void check_labels(const RenderedLabels& first, std::size_t values) const {
    MMX_ASSERT(labels_match(first, values), "a row's labels do not match its family's");
  }
  bool labels_match(const RenderedLabels& first, std::size_t values) const;

  std::string& out_;
  ExpositionWriter writer_;
  const MetricFamily* family_ = nullptr;
};

// What a gauge_rows value function returns for an item without the value.
inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// One row per item of `items` (each with its RenderedLabels `labels`) whose
// `value(item)` is a number: NaN leaves the item out, as ModemManager does
// not have that value for it.
template <typename Items, typename Value>
void gauge_rows(RowWriter& rows, FamilyId id, const Items& items, Value value) {
  for (const auto& item : items) {
    const double v = value(item);
    if (v == v) rows.row(id, item.labels, v);  // not NaN
  }
}

// One row per item of `items` that has the optional part `part` (a pointer
// to a std::optional member: a modem's location, a bearer's statistics),
// valued `value(*part)`; NaN leaves the item out as gauge_rows does.
template <typename Items, typename Part, typename Value>
void part_rows(RowWriter& rows, FamilyId id, const Items& items, Part part, Value value) {
  gauge_rows(rows, id, items, [&](const auto& item) {
    const auto& present = item.*part;
    return present ? static_cast<double>(value(*present)) : kNoValue;
  });
}

}  // namespace mmx
