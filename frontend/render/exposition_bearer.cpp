// The Bearer interface: identity, connection, statistics and last error.

#include <cmath>
#include <string>
#include <string_view>

#include "exposition_parts.h"
#include "mm_names.h"

namespace mmx {
namespace {

// A statistic; absent when ModemManager reports none.
template <typename Value>
void stat_rows(RowWriter& rows, FamilyId id, std::span<const BearerView> bearers, Value value) {
  gauge_rows(rows, id, bearers,
             [&](const BearerView& b) { return b.stats ? value(*b.stats) : kNoValue; });
}

}  // namespace

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
  using St = schema::BearerStats::Reader;
  stat_rows(rows, kBearerRxBytesTotal, bearers, [](St s) { return s.getTotalRxBytes(); });
  stat_rows(rows, kBearerTxBytesTotal, bearers, [](St s) { return s.getTotalTxBytes(); });
  stat_rows(rows, kBearerConnectionDurationSeconds, bearers,
            [](St s) { return s.getDurationSeconds(); });
  stat_rows(rows, kBearerConnectionAttemptsTotal, bearers, [](St s) { return s.getAttempts(); });
  stat_rows(rows, kBearerConnectionFailedAttemptsTotal, bearers,
            [](St s) { return s.getFailedAttempts(); });
  stat_rows(rows, kBearerUplinkSpeedBps, bearers, [](St s) { return s.getUplinkSpeedBps(); });
  stat_rows(rows, kBearerDownlinkSpeedBps, bearers, [](St s) { return s.getDownlinkSpeedBps(); });
  for (const BearerView& b : bearers) {
    const std::string_view error = text(b.bearer.getConnectionErrorName());
    if (error.empty()) continue;
    rows.row(kBearerConnectionErrorInfo, b.labels,
             {error, text(b.bearer.getConnectionErrorMessage())}, 1);
  }
}

}  // namespace mmx
