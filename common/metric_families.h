#pragma once
// The one table of every metric family mm-exporter serves (the contract of
// METRICS.md, the metric contract): name, type, unit, labels and HELP text. The
// renderer takes names and HELP from here, and so do --help and the README
// list, so the three cannot disagree.
//
// The table's order is the order of families on /metrics. Families of
// Part::kSnapshot come from the collector's snapshot (render_exposition);
// those of Part::kExporterStatus change at every scrape or belong to the
// frontend (render_exporter_status) and come after them.

#include <cstdint>
#include <span>
#include <string_view>

#include "exposition_writer.h"

namespace mmx {

// One enumerator per table row, in table order.
enum class FamilyId : std::uint8_t {
  kUp,
  kModemManagerInfo,
  kModems,
  kScrapeDurationSeconds,
  kScrapeSuccess,
  kScrapeErrorsTotal,
  kExporterDbusCallWindow,
  kExporterDbusCallsInFlightMax,
  kExporterDbusCallRetriesTotal,
  kModemInfo,
  kModemNetworkPortInfo,
  kModemState,
  kModemStateFailedReason,
  kModemPowerState,
  kModemSignalQualityPercent,
  kModemSignalQualityRecent,
  kModemAccessTechnology,
  kModemCurrentModes,
  kModemCurrentBands,
  kModemUnlockRequired,
  kModemUnlockRetries,
  kModemMaxBearers,
  kModemMaxActiveBearers,
  kModem3gppRegistrationState,
  kModem3gppOperatorCode,
  kModem3gppOperatorName,
  kModem3gppSubscriptionState,
  kModem3gppPacketServiceState,
  kModem3gppNetworkRejectionInfo,
  kModemSarEnabled,
  kModemSarPowerLevel,
  kModemStateTransitionsTotal,
  kModemStateChangeReasonsTotal,
  kModemStateLastChangeTimestampSeconds,
  kModem3gppRegistrationTransitionsTotal,
  kModemBearerConnectsTotal,
  kModemBearerDisconnectsTotal,
  kSignalRefreshRateSeconds,
  kSignalLteRssiDbm,
  kSignalLteRsrqDb,
  kSignalLteRsrpDbm,
  kSignalLteSnrDb,
  kSignalUmtsRssiDbm,
  kSignalUmtsEcioDb,
  kSignalUmtsRscpDbm,
  kSignalGsmRssiDbm,
  kSignalCdmaRssiDbm,
  kSignalCdmaEcioDb,
  kSignalEvdoRssiDbm,
  kSignalEvdoEcioDb,
  kSignalEvdoSinrDb,
  kSignalEvdoIoDbm,
  kSignalNr5gRsrpDbm,
  kSignalNr5gRsrqDb,
  kSignalNr5gSnrDb,
  kSignalErrorRatePercent,
  kMessagingSupported,
  kMessagingSmsCount,
  kLocationEnabled,
  kLocationLatitudeDegrees,
  kLocationLongitudeDegrees,
  kLocationAltitudeMeters,
  kLocation3gppInfo,
  kModemCellInfoSupported,
  kCellInfo,
  kCellRsrpDbm,
  kCellRsrqDb,
  kCellSinrDb,
  kCellRscpDbm,
  kCellEcioDb,
  kCellRxLevelDbm,
  kCellTimingAdvance,
  kModemCarriers,
  kModemCellsDropped,
  kSimInfo,
  kBearerInfo,
  kBearerConnected,
  kBearerRxBytesTotal,
  kBearerTxBytesTotal,
  kBearerConnectionDurationSeconds,
  kBearerConnectionAttemptsTotal,
  kBearerConnectionFailedAttemptsTotal,
  kBearerUplinkSpeedBps,
  kBearerDownlinkSpeedBps,
  kBearerConnectionErrorInfo,
  kExporterBuildInfo,
  kExporterCollectorUp,
  kExporterSnapshotAgeSeconds,
  kExporterSnapshotsTotal,
  kExporterSnapshotsRefusedTotal,
  kProcessCpuSecondsTotal,
  kProcessResidentMemoryBytes,
  kProcessStartTimeSeconds,
  kProcessOpenFds,
  kProcessMaxFds,
};

enum class Part : std::uint8_t {
  kSnapshot,        // rendered once per snapshot generation
  kExporterStatus,  // rendered at every scrape, after the snapshot part
};

struct MetricFamily {
  FamilyId id;
  Part part;
  std::string_view name;  // as samples carry it (with _total, _info)
  MetricType type;
  std::string_view unit;                     // empty, or the name's unit suffix without '_'
  std::span<const std::string_view> labels;  // every label, in rendering order
  std::string_view help;
};

// Every family, in the order they appear on /metrics.
std::span<const MetricFamily> metric_families();

const MetricFamily& metric_family(FamilyId id);

// Starts `id`'s family on `writer`.
void begin_family(ExpositionWriter& writer, FamilyId id);

}  // namespace mmx
