// The Signal interface: its refresh rate and each technology's measurements.

#include <array>
#include <cmath>
#include <string_view>

#include "exposition_parts.h"

namespace mmx {
namespace {

constexpr std::array<std::string_view, kTechnologies> kTechnologyNames = {"cdma", "evdo", "gsm",
                                                                          "umts", "lte",  "nr5g"};

// One measurement of one technology, for the modems with the interface.
template <typename Value>
void measurement_rows(RowWriter& rows, FamilyId id, std::span<const ModemView> modems,
                      Value value) {
  gauge_rows(rows, id, modems,
             [&](const ModemView& m) { return m.signal ? value(*m.signal) : kNoValue; });
}

}  // namespace

void render_signal(RowWriter& rows, std::span<const ModemView> modems) {
  using enum FamilyId;
  using S = const SignalView&;
  measurement_rows(rows, kSignalRefreshRateSeconds, modems,
                   [](S s) { return static_cast<double>(s.rate_seconds); });
  measurement_rows(rows, kSignalLteRssiDbm, modems, [](S s) { return s.values[kLte].getRssi(); });
  measurement_rows(rows, kSignalLteRsrqDb, modems, [](S s) { return s.values[kLte].getRsrq(); });
  measurement_rows(rows, kSignalLteRsrpDbm, modems, [](S s) { return s.values[kLte].getRsrp(); });
  measurement_rows(rows, kSignalLteSnrDb, modems, [](S s) { return s.values[kLte].getSnr(); });
  measurement_rows(rows, kSignalUmtsRssiDbm, modems, [](S s) { return s.values[kUmts].getRssi(); });
  measurement_rows(rows, kSignalUmtsEcioDb, modems, [](S s) { return s.values[kUmts].getEcio(); });
  measurement_rows(rows, kSignalUmtsRscpDbm, modems, [](S s) { return s.values[kUmts].getRscp(); });
  measurement_rows(rows, kSignalGsmRssiDbm, modems, [](S s) { return s.values[kGsm].getRssi(); });
  measurement_rows(rows, kSignalCdmaRssiDbm, modems, [](S s) { return s.values[kCdma].getRssi(); });
  measurement_rows(rows, kSignalCdmaEcioDb, modems, [](S s) { return s.values[kCdma].getEcio(); });
  measurement_rows(rows, kSignalEvdoRssiDbm, modems, [](S s) { return s.values[kEvdo].getRssi(); });
  measurement_rows(rows, kSignalEvdoEcioDb, modems, [](S s) { return s.values[kEvdo].getEcio(); });
  measurement_rows(rows, kSignalEvdoSinrDb, modems, [](S s) { return s.values[kEvdo].getSinr(); });
  measurement_rows(rows, kSignalEvdoIoDbm, modems, [](S s) { return s.values[kEvdo].getIo(); });
  measurement_rows(rows, kSignalNr5gRsrpDbm, modems, [](S s) { return s.values[kNr5g].getRsrp(); });
  measurement_rows(rows, kSignalNr5gRsrqDb, modems, [](S s) { return s.values[kNr5g].getRsrq(); });
  measurement_rows(rows, kSignalNr5gSnrDb, modems, [](S s) { return s.values[kNr5g].getSnr(); });
  for (const ModemView& m : modems) {
    if (!m.signal) continue;
    for (std::size_t t = 0; t < kTechnologies; ++t) {
      const double v = m.signal->values[t].getErrorRate();
      if (!std::isnan(v)) rows.row(kSignalErrorRatePercent, m.labels, {kTechnologyNames[t]}, v);
    }
  }
}

}  // namespace mmx
