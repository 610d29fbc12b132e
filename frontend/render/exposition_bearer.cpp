// The Bearer interface: identity, connection, statistics and last error.

#include <cmath>
#include <string>
#include <string_view>

#include "exposition_parts.h"
#include "mm_names.h"

namespace mmx {
void render_bearers(RowWriter& rows, std::span<const BearerView> bearers) {
  using enum FamilyId;
  std::string ip_type;
  for (const BearerView& b : bearers) {
    ip_type.clear();
    mm::append_mask_name(ip_type, mm::Enum::kBearerIpFamily, b.bearer.getIpType());
    rows.row(kBearerInfo, b.labels,
             {text(b.bearer.getInterface()), text(b.bearer.getApn()), ip_type,
              mm::name(mm::Enum::kBearerType, b.bearer.getBearerType()),
              b.bearer.getMultiplexed() ? "true" : "false"},
             1);
  }
  for (const BearerView& b : bearers) {
    rows.row(kBearerConnected, b.labels, bool_value(b.bearer.getConnected()));
  }
  // A statistic; absent when ModemManager reports none.
  using St = schema::BearerStats::Reader;
  constexpr auto stats = &BearerView::stats;
  part_rows(rows, kBearerRxBytesTotal, bearers, stats, [](St s) { return s.getTotalRxBytes(); });
  part_rows(rows, kBearerTxBytesTotal, bearers, stats, [](St s) { return s.getTotalTxBytes(); });
  part_rows(rows, kBearerConnectionDurationSeconds, bearers, stats,
            [](St s) { return s.getDurationSeconds(); });
  part_rows(rows, kBearerConnectionAttemptsTotal, bearers, stats,
            [](St s) { return s.getAttempts(); });
  part_rows(rows, kBearerConnectionFailedAttemptsTotal, bearers, stats,
            [](St s) { return s.getFailedAttempts(); });
  part_rows(rows, kBearerUplinkSpeedBps, bearers, stats,
            [](St s) { return s.getUplinkSpeedBps(); });
  part_rows(rows, kBearerDownlinkSpeedBps, bearers, stats,
            [](St s) { return s.getDownlinkSpeedBps(); });
  for (const BearerView& b : bearers) {
    const std::string_view error = text(b.bearer.getConnectionErrorName());
    if (error.empty()) continue;
    rows.row(kBearerConnectionErrorInfo, b.labels,
             {error, text(b.bearer.getConnectionErrorMessage())}, 1);
  }
}

}  // namespace mmx
