// The collector's last collection and its D-Bus calls.

#include <cmath>

#include "exposition_parts.h"

namespace mmx {

void render_collection(RowWriter& rows, const CheckedSnapshot& snapshot) {
  using enum FamilyId;
  const auto collection = snapshot.raw().getCollection();
  if (const double d = collection.getDurationSeconds(); !std::isnan(d)) {
    rows.row(kScrapeDurationSeconds, d);
  }
  rows.row(kScrapeSuccess, bool_value(collection.getSuccess()));
  render_collector_calls(rows, snapshot);
}

void render_collector_calls(RowWriter& rows, const CheckedSnapshot& snapshot) {
  using enum FamilyId;
  // The checked snapshot has the kinds sorted, a kind listed twice (a
  // collector bug) summed rather than written as a duplicate series.
  for (const ErrorKindCount& e : snapshot.errors()) {
    rows.row(kScrapeErrorsTotal, {e.kind}, static_cast<double>(e.count));
  }
  const auto collection = snapshot.raw().getCollection();
  // 0: a collector that predates the window says nothing about it.
  const std::uint32_t window = collection.getCallWindow();
  if (window == 0) return;
  rows.row(kExporterDbusCallWindow, window);
  rows.row(kExporterDbusCallsInFlightMax, collection.getCallsInFlightMax());
  rows.row(kExporterDbusCallRetriesTotal, static_cast<double>(collection.getCallRetries()));
}

}  // namespace mmx
