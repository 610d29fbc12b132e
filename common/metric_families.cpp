#include "metric_families.h"

#include <array>

namespace mmx {
namespace {

using L = std::string_view;

constexpr L kVersion[] = {"version"};
constexpr L kKind[] = {"kind"};
constexpr L kDevice[] = {"device_id"};
constexpr L kModemInfoLabels[] = {"device_id",
                                  "manufacturer",
                                  "model",
                                  "revision",
                                  "hardware_revision",
                                  "plugin",
                                  "primary_port",
                                  "device",
                                  "drivers",
                                  "equipment_identifier",
                                  "carrier_configuration",
                                  "physdev"};
constexpr L kNetworkPort[] = {"device_id", "device"};
constexpr L kState[] = {"device_id", "state"};
constexpr L kReason[] = {"device_id", "reason"};
constexpr L kTechnology[] = {"device_id", "technology"};
constexpr L kModes[] = {"device_id", "allowed", "preferred"};
constexpr L kBand[] = {"device_id", "band"};
constexpr L kLock[] = {"device_id", "lock"};
constexpr L kOperatorCode[] = {"device_id", "operator_code"};
constexpr L kOperatorName[] = {"device_id", "operator_name"};
constexpr L kSource[] = {"device_id", "source"};
constexpr L kCell[] = {"device_id", "mcc", "mnc", "lac", "tac", "cell_id"};
constexpr L kCellInfoLabels[] = {"device_id",   "cell_type", "serving", "role",
                                 "operator_id", "lac",       "tac",     "ci",
                                 "pci",         "arfcn",     "band",    "bandwidth"};
constexpr L kCellSignal[] = {"device_id", "cell_type", "role", "pci", "arfcn"};
constexpr L kRole[] = {"device_id", "role"};
constexpr L kRejection[] = {"device_id", "error", "operator_id", "access_technology"};
constexpr L kSimInfoLabels[] = {
    "device_id",           "slot",          "active",  "iccid", "imsi", "eid",
    "operator_identifier", "operator_name", "sim_type"};
constexpr L kBearerInfoLabels[] = {"device_id", "bearer",      "interface",  "apn",
                                   "ip_type",   "bearer_type", "multiplexed"};
constexpr L kBearer[] = {"device_id", "bearer"};
constexpr L kBearerError[] = {"device_id", "bearer", "error", "message"};
constexpr L kBuild[] = {"version", "revision", "compiler", "capnp", "sdbus_cpp", "httplib"};
constexpr L kProcess[] = {"process"};

constexpr std::span<const L> kNone{};

using enum FamilyId;
using enum MetricType;
constexpr Part kSnap = Part::kSnapshot;
constexpr Part kStatus = Part::kExporterStatus;

// clang-format off
constexpr MetricFamily kFamilies[] = {
  {kUp, kSnap, "modemmanager_up", kGauge, "", kNone,
   "1 when ModemManager owns its name org.freedesktop.ModemManager1 on the system bus, 0 when "
   "it does not (not running, or restarting)."},
  {kModemManagerInfo, kSnap, "modemmanager_info", kInfo, "", kVersion,
   "ModemManager daemon version, from the Manager's Version property. Value is always 1."},
  {kModems, kSnap, "modemmanager_modems", kGauge, "", kNone,
   "Number of modems ModemManager exports."},
  {kScrapeDurationSeconds, kSnap, "modemmanager_scrape_duration_seconds", kGauge, "seconds",
   kNone,
   "Duration of the collector's last full collection from ModemManager (GetManagedObjects and "
   "the reads that follow it), in seconds. Not the duration of an HTTP scrape, which serves a "
   "snapshot."},
  {kScrapeSuccess, kSnap, "modemmanager_scrape_success", kGauge, "", kNone,
   "1 when the collector's last full collection from ModemManager had no D-Bus error or "
   "timeout, else 0."},
  {kScrapeErrorsTotal, kSnap, "modemmanager_scrape_errors_total", kCounter, "", kKind,
   "D-Bus errors and timeouts the collector met talking to ModemManager since it started, by "
   "kind."},
  {kExporterDbusCallWindow, kSnap, "modemmanager_exporter_dbus_call_window", kGauge, "", kNone,
   "Most D-Bus calls the collector keeps in flight at once; more wait their turn. Well under "
   "the 128 pending replies per connection dbus-daemon allows on the system bus, beyond which "
   "it refuses calls (LimitsExceeded)."},
  {kExporterDbusCallsInFlightMax, kSnap, "modemmanager_exporter_dbus_calls_in_flight_max",
   kGauge, "", kNone,
   "The most D-Bus calls the collector had in flight at once since it started; never more than "
   "modemmanager_exporter_dbus_call_window."},
  {kExporterDbusCallRetriesTotal, kSnap, "modemmanager_exporter_dbus_call_retries_total",
   kCounter, "", kNone,
   "Failed one-shot D-Bus calls (Signal.Setup, Location.GetLocation, Modem.GetCellInfo) the "
   "collector made again after a backoff, since it started. A call is not made again once "
   "ModemManager says the modem cannot (unsupported, not authorized, wrong state)."},
  {kModemInfo, kSnap, "modemmanager_modem_info", kInfo, "", kModemInfoLabels,
   "Modem identity from the Modem interface: Manufacturer, Model, Revision, HardwareRevision, "
   "Plugin, PrimaryPort, Device, Drivers, EquipmentIdentifier (IMEI, empty when redacted), "
   "CarrierConfiguration and Physdev (the physical device's sysfs path, ModemManager 1.22 and "
   "later; empty from an older daemon). Value is always 1."},
  {kModemNetworkPortInfo, kSnap, "modemmanager_modem_network_port_info", kInfo, "", kNetworkPort,
   "Network interface of the modem: one series per port of type net in the Modem's Ports "
   "property. Value is always 1."},
  {kModemState, kSnap, "modemmanager_modem_state", kGauge, "", kState,
   "Modem State property: 1 for the current state, 0 for every other state ModemManager "
   "defines."},
  {kModemStateFailedReason, kSnap, "modemmanager_modem_state_failed_reason", kGauge, "", kReason,
   "Modem StateFailedReason property, why the modem is in state failed: 1 for the current "
   "reason, 0 for the others."},
  {kModemPowerState, kSnap, "modemmanager_modem_power_state", kGauge, "", kState,
   "Modem PowerState property: 1 for the current power state, 0 for the others."},
  {kModemSignalQualityPercent, kSnap, "modemmanager_modem_signal_quality_percent", kGauge,
   "percent", kDevice,
   "Modem SignalQuality property: signal quality from 0 to 100, in percent."},
  {kModemSignalQualityRecent, kSnap, "modemmanager_modem_signal_quality_recent", kGauge, "",
   kDevice,
   "Recent flag of the Modem SignalQuality property: 1 when the quality was measured recently, "
   "0 when it is an older cached value."},
  {kModemAccessTechnology, kSnap, "modemmanager_modem_access_technology", kGauge, "",
   kTechnology,
   "Modem AccessTechnologies property: one series per technology, 1 when the modem uses it "
   "now."},
  {kModemCurrentModes, kSnap, "modemmanager_modem_current_modes", kGauge, "", kModes,
   "Modem CurrentModes property: the allowed and the preferred access modes, spelled as mmcli "
   "prints them. Value is always 1."},
  {kModemCurrentBands, kSnap, "modemmanager_modem_current_bands", kGauge, "", kBand,
   "Modem CurrentBands property: one series with value 1 per band the modem may use now."},
  {kModemUnlockRequired, kSnap, "modemmanager_modem_unlock_required", kGauge, "", kLock,
   "Modem UnlockRequired property: 1 with the lock the modem waits for (sim-pin, sim-puk, ...), "
   "0 with lock none when it needs no unlock; absent while ModemManager does not know."},
  {kModemUnlockRetries, kSnap, "modemmanager_modem_unlock_retries", kGauge, "", kLock,
   "Modem UnlockRetries property: unlock attempts left, per lock."},
  {kModemMaxBearers, kSnap, "modemmanager_modem_max_bearers", kGauge, "", kDevice,
   "Modem MaxBearers property: how many bearers the modem can hold."},
  {kModemMaxActiveBearers, kSnap, "modemmanager_modem_max_active_bearers", kGauge, "", kDevice,
   "Modem MaxActiveBearers property: how many bearers can be connected at the same time."},
  {kModem3gppRegistrationState, kSnap, "modemmanager_modem_3gpp_registration_state", kGauge, "",
   kState,
   "Modem3gpp RegistrationState property: 1 for the current registration state, 0 for the "
   "others."},
  {kModem3gppOperatorCode, kSnap, "modemmanager_modem_3gpp_operator_code", kGauge, "",
   kOperatorCode,
   "Modem3gpp OperatorCode property: MCC and MNC of the network the modem is registered with, "
   "as a label (a string: the MNC may start with 0). Value is always 1; absent while "
   "ModemManager reports none."},
  {kModem3gppOperatorName, kSnap, "modemmanager_modem_3gpp_operator_name", kGauge, "",
   kOperatorName,
   "Modem3gpp OperatorName property: name of the network the modem is registered with. Value "
   "is always 1; absent while ModemManager reports none."},
  {kModem3gppSubscriptionState, kSnap, "modemmanager_modem_3gpp_subscription_state", kGauge, "",
   kState,
   "Modem3gpp SubscriptionState property: 1 for the current subscription state, 0 for the "
   "others."},
  {kModem3gppPacketServiceState, kSnap, "modemmanager_modem_3gpp_packet_service_state", kGauge,
   "", kState,
   "Modem3gpp PacketServiceState property: 1 for the current packet domain state, 0 for the "
   "others."},
  {kModem3gppNetworkRejectionInfo, kSnap, "modemmanager_modem_3gpp_network_rejection_info", kInfo,
   "", kRejection,
   "Modem3gpp NetworkRejection property (ModemManager 1.24 and later): the network's last "
   "rejection of the modem's registration, error as the 3GPP reject cause number "
   "(MMNetworkError), the rejecting operator and the access technology. Value is always 1; "
   "absent without a rejection and with an older daemon."},
  {kModemSarEnabled, kSnap, "modemmanager_modem_sar_enabled", kGauge, "", kDevice,
   "Sar State property: 1 when dynamic SAR (specific absorption rate) power limiting is on, "
   "else 0; absent for a modem without the Sar interface."},
  {kModemSarPowerLevel, kSnap, "modemmanager_modem_sar_power_level", kGauge, "", kDevice,
   "Sar PowerLevel property: the SAR power level index the modem uses (its own scale); absent "
   "for a modem without the Sar interface."},
  {kModemStateTransitionsTotal, kSnap, "modemmanager_modem_state_transitions_total", kCounter,
   "", kState,
   "Modem.StateChanged signals since the exporter started, by the state entered; a series per "
   "state ModemManager defines, from 0. Counted by device_id, so a ModemManager restart does "
   "not reset them. increase() over an hour shows a modem that drops and comes back between "
   "scrapes."},
  {kModemStateChangeReasonsTotal, kSnap, "modemmanager_modem_state_change_reasons_total",
   kCounter, "", kReason,
   "Modem.StateChanged signals since the exporter started, by the reason ModemManager gave "
   "(unknown, user-requested, suspend, failure)."},
  {kModemStateLastChangeTimestampSeconds, kSnap,
   "modemmanager_modem_state_last_change_timestamp_seconds", kGauge, "seconds", kDevice,
   "Time of the modem's last Modem.StateChanged signal since the Unix epoch, in seconds; absent "
   "until the exporter has seen one."},
  {kModem3gppRegistrationTransitionsTotal, kSnap,
   "modemmanager_modem_3gpp_registration_transitions_total", kCounter, "", kState,
   "Changes of Modem3gpp RegistrationState seen since the exporter started, by the state "
   "entered; a series per state ModemManager defines, from 0. The first value read is not a "
   "change."},
  {kModemBearerConnectsTotal, kSnap, "modemmanager_modem_bearer_connects_total", kCounter, "",
   kDevice,
   "Changes of a bearer's Connected property to true seen since the exporter started, over all "
   "bearers of the modem (per modem, not per bearer: a ModemManager restart renews the "
   "bearers' indices)."},
  {kModemBearerDisconnectsTotal, kSnap, "modemmanager_modem_bearer_disconnects_total", kCounter,
   "", kDevice,
   "Changes of a bearer's Connected property to false seen since the exporter started, over "
   "all bearers of the modem."},
  {kSignalRefreshRateSeconds, kSnap, "modemmanager_signal_refresh_rate_seconds", kGauge,
   "seconds", kDevice,
   "Signal Rate property: how often ModemManager polls the modem for the modemmanager_signal_* "
   "values, in seconds; 0 when that polling is off."},
  {kSignalLteRssiDbm, kSnap, "modemmanager_signal_lte_rssi_dbm", kGauge, "dbm", kDevice,
   "Signal Lte rssi: LTE received signal strength indicator, in dBm."},
  {kSignalLteRsrqDb, kSnap, "modemmanager_signal_lte_rsrq_db", kGauge, "db", kDevice,
   "Signal Lte rsrq: LTE reference signal received quality, in dB."},
  {kSignalLteRsrpDbm, kSnap, "modemmanager_signal_lte_rsrp_dbm", kGauge, "dbm", kDevice,
   "Signal Lte rsrp: LTE reference signal received power, in dBm."},
  {kSignalLteSnrDb, kSnap, "modemmanager_signal_lte_snr_db", kGauge, "db", kDevice,
   "Signal Lte snr: LTE signal to noise ratio, in dB."},
  {kSignalUmtsRssiDbm, kSnap, "modemmanager_signal_umts_rssi_dbm", kGauge, "dbm", kDevice,
   "Signal Umts rssi: UMTS received signal strength indicator, in dBm."},
  {kSignalUmtsEcioDb, kSnap, "modemmanager_signal_umts_ecio_db", kGauge, "db", kDevice,
   "Signal Umts ecio: UMTS Ec/Io, in dB."},
  {kSignalUmtsRscpDbm, kSnap, "modemmanager_signal_umts_rscp_dbm", kGauge, "dbm", kDevice,
   "Signal Umts rscp: UMTS received signal code power, in dBm."},
  {kSignalGsmRssiDbm, kSnap, "modemmanager_signal_gsm_rssi_dbm", kGauge, "dbm", kDevice,
   "Signal Gsm rssi: GSM received signal strength indicator, in dBm."},
  {kSignalCdmaRssiDbm, kSnap, "modemmanager_signal_cdma_rssi_dbm", kGauge, "dbm", kDevice,
   "Signal Cdma rssi: CDMA 1x received signal strength indicator, in dBm."},
  {kSignalCdmaEcioDb, kSnap, "modemmanager_signal_cdma_ecio_db", kGauge, "db", kDevice,
   "Signal Cdma ecio: CDMA 1x Ec/Io, in dB."},
  {kSignalEvdoRssiDbm, kSnap, "modemmanager_signal_evdo_rssi_dbm", kGauge, "dbm", kDevice,
   "Signal Evdo rssi: CDMA EV-DO received signal strength indicator, in dBm."},
  {kSignalEvdoEcioDb, kSnap, "modemmanager_signal_evdo_ecio_db", kGauge, "db", kDevice,
   "Signal Evdo ecio: CDMA EV-DO Ec/Io, in dB."},
  {kSignalEvdoSinrDb, kSnap, "modemmanager_signal_evdo_sinr_db", kGauge, "db", kDevice,
   "Signal Evdo sinr: CDMA EV-DO signal to interference plus noise ratio, in dB."},
  {kSignalEvdoIoDbm, kSnap, "modemmanager_signal_evdo_io_dbm", kGauge, "dbm", kDevice,
   "Signal Evdo io: CDMA EV-DO received power (Io), in dBm."},
  {kSignalNr5gRsrpDbm, kSnap, "modemmanager_signal_nr5g_rsrp_dbm", kGauge, "dbm", kDevice,
   "Signal Nr5g rsrp: 5G NR reference signal received power, in dBm."},
  {kSignalNr5gRsrqDb, kSnap, "modemmanager_signal_nr5g_rsrq_db", kGauge, "db", kDevice,
   "Signal Nr5g rsrq: 5G NR reference signal received quality, in dB."},
  {kSignalNr5gSnrDb, kSnap, "modemmanager_signal_nr5g_snr_db", kGauge, "db", kDevice,
   "Signal Nr5g snr: 5G NR signal to noise ratio, in dB."},
  {kSignalErrorRatePercent, kSnap, "modemmanager_signal_error_rate_percent", kGauge, "percent",
   kTechnology,
   "Signal error-rate of each technology (cdma, evdo, gsm, umts, lte, nr5g): channel bit error "
   "rate, in percent."},
  {kMessagingSupported, kSnap, "modemmanager_messaging_supported", kGauge, "", kDevice,
   "1 when the modem has ModemManager's Messaging (SMS) interface, else 0."},
  {kMessagingSmsCount, kSnap, "modemmanager_messaging_sms_count", kGauge, "", kDevice,
   "Messaging Messages property: number of SMS messages ModemManager lists for the modem."},
  {kLocationEnabled, kSnap, "modemmanager_location_enabled", kGauge, "", kSource,
   "Location Enabled property: one series per location source, 1 when it is enabled."},
  {kLocationLatitudeDegrees, kSnap, "modemmanager_location_latitude_degrees", kGauge, "degrees",
   kDevice,
   "Latitude of the modem's position from GetLocation gps-raw, else cdma-bs, in degrees; "
   "polled with GetLocation every --refresh-interval; absent without a fix or when redacted."},
  {kLocationLongitudeDegrees, kSnap, "modemmanager_location_longitude_degrees", kGauge,
   "degrees", kDevice,
   "Longitude of the modem's position from GetLocation gps-raw, else cdma-bs, in degrees; "
   "polled with GetLocation every --refresh-interval; absent without a fix or when redacted."},
  {kLocationAltitudeMeters, kSnap, "modemmanager_location_altitude_meters", kGauge, "meters",
   kDevice,
   "Altitude of the modem's position from GetLocation gps-raw, in meters; polled with "
   "GetLocation every --refresh-interval; absent without a fix or when redacted."},
  {kLocation3gppInfo, kSnap, "modemmanager_location_3gpp_info", kInfo, "", kCell,
   "Serving cell from GetLocation 3gpp-lac-ci: MCC, MNC, LAC, TAC and cell id as ModemManager "
   "gives them (hexadecimal strings); polled with GetLocation every --refresh-interval. Value "
   "is always 1; absent when not reported or redacted."},
  {kModemCellInfoSupported, kSnap, "modemmanager_modem_cell_info_supported", kGauge, "", kDevice,
   "1 when ModemManager answered Modem.GetCellInfo for the modem, 0 when it said the modem "
   "cannot tell (its plugin does not support it: counted once in "
   "modemmanager_scrape_errors_total with kind unsupported, then not asked again); absent "
   "until known."},
  {kCellInfo, kSnap, "modemmanager_cell_info", kInfo, "", kCellInfoLabels,
   "A cell from Modem.GetCellInfo: the serving cells (every carrier of an aggregated or EN-DC "
   "link) and the 4 strongest neighbours. cell_type as mmcli names it; role pcell, scell, "
   "pscell or sscell from serving-cell-type (ModemManager 1.22 and later), serving for a "
   "serving cell without one, neighbour otherwise; pci is the LTE/NR physical cell id (hex, "
   "as ModemManager gives it), the UMTS PSC or the GSM BSIC; arfcn the EARFCN, NR-ARFCN, "
   "UARFCN or ARFCN; band the E-UTRA band derived from the EARFCN (empty where not derived); "
   "bandwidth as ModemManager gives it (1.22 and later). Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape. Value is always 1."},
  {kCellRsrpDbm, kSnap, "modemmanager_cell_rsrp_dbm", kGauge, "dbm", kCellSignal,
   "RSRP of an LTE or NR cell, in dBm. Labelled by the cell's identity, so a serving cell's "
   "series survives a change of neighbours. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kCellRsrqDb, kSnap, "modemmanager_cell_rsrq_db", kGauge, "db", kCellSignal,
   "RSRQ of an LTE or NR cell, in dB. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kCellSinrDb, kSnap, "modemmanager_cell_sinr_db", kGauge, "db", kCellSignal,
   "SINR of an NR cell, in dB. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kCellRscpDbm, kSnap, "modemmanager_cell_rscp_dbm", kGauge, "dbm", kCellSignal,
   "RSCP of a UMTS or TD-SCDMA cell, in dBm. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kCellEcioDb, kSnap, "modemmanager_cell_ecio_db", kGauge, "db", kCellSignal,
   "Ec/Io of a UMTS cell, in dB. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kCellRxLevelDbm, kSnap, "modemmanager_cell_rx_level_dbm", kGauge, "dbm", kCellSignal,
   "Received level of a GSM cell, in dBm: RXLEV n (3GPP TS 45.008) as -111 + n, so -111 means "
   "below -110 and -48 above -49. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kCellTimingAdvance, kSnap, "modemmanager_cell_timing_advance", kGauge, "", kCellSignal,
   "Timing advance of a serving cell, in the cell technology's steps. Polled with Modem.GetCellInfo every --cell-info-interval (default 60 s) and right after the modem registers, never per scrape."},
  {kModemCarriers, kSnap, "modemmanager_modem_carriers", kGauge, "", kRole,
   "Serving cells of the modem by role: pcell, scell (LTE carrier aggregation), pscell, sscell "
   "(5G NR of an EN-DC link), and serving for those ModemManager gives no role (before 1.22). "
   "Absent while the cells are not known."},
  {kModemCellsDropped, kSnap, "modemmanager_modem_cells_dropped", kGauge, "", kDevice,
   "Cells of the modem's last Modem.GetCellInfo answer left out of modemmanager_cell_*: "
   "serving cells beyond 8 and neighbours beyond the 4 strongest."},
  {kSimInfo, kSnap, "modemmanager_sim_info", kInfo, "", kSimInfoLabels,
   "SIM card from the Sim interface: slot in the modem's SimSlots (no slot label when the "
   "modem has no slots), whether it is the active SIM, SimIdentifier (as iccid), Imsi, Eid, "
   "OperatorIdentifier, OperatorName and SimType; identifiers are empty when redacted. Value "
   "is always 1."},
  {kBearerInfo, kSnap, "modemmanager_bearer_info", kInfo, "", kBearerInfoLabels,
   "Bearer Interface, the apn and ip-type of its Properties, BearerType and Multiplexed. Value "
   "is always 1."},
  {kBearerConnected, kSnap, "modemmanager_bearer_connected", kGauge, "", kBearer,
   "Bearer Connected property: 1 when the bearer is connected, else 0."},
  {kBearerRxBytesTotal, kSnap, "modemmanager_bearer_rx_bytes_total", kCounter, "bytes", kBearer,
   "Bearer Stats total-rx-bytes: bytes received over all connections of the bearer, in bytes."},
  {kBearerTxBytesTotal, kSnap, "modemmanager_bearer_tx_bytes_total", kCounter, "bytes", kBearer,
   "Bearer Stats total-tx-bytes: bytes sent over all connections of the bearer, in bytes."},
  {kBearerConnectionDurationSeconds, kSnap, "modemmanager_bearer_connection_duration_seconds",
   kGauge, "seconds", kBearer,
   "Bearer Stats duration: how long the current connection of the bearer has lasted, in "
   "seconds."},
  {kBearerConnectionAttemptsTotal, kSnap, "modemmanager_bearer_connection_attempts_total",
   kCounter, "", kBearer,
   "Bearer Stats attempts: connection attempts of the bearer."},
  {kBearerConnectionFailedAttemptsTotal, kSnap,
   "modemmanager_bearer_connection_failed_attempts_total", kCounter, "", kBearer,
   "Bearer Stats failed-attempts: failed connection attempts of the bearer."},
  {kBearerUplinkSpeedBps, kSnap, "modemmanager_bearer_uplink_speed_bps", kGauge, "bps", kBearer,
   "Bearer Stats uplink-speed: uplink speed of the connection as the modem reports it, in bits "
   "per second."},
  {kBearerDownlinkSpeedBps, kSnap, "modemmanager_bearer_downlink_speed_bps", kGauge, "bps",
   kBearer,
   "Bearer Stats downlink-speed: downlink speed of the connection as the modem reports it, in "
   "bits per second."},
  {kBearerConnectionErrorInfo, kSnap, "modemmanager_bearer_connection_error_info", kInfo, "",
   kBearerError,
   "Bearer ConnectionError property: D-Bus error name and message of the bearer's last failed "
   "connection attempt. Value is always 1; absent when there is none."},
  {kExporterBuildInfo, kStatus, "modemmanager_exporter_build_info", kInfo, "", kBuild,
   "Build of the exporter's frontend: version, git revision, compiler and library versions. "
   "Value is always 1."},
  {kExporterCollectorUp, kStatus, "modemmanager_exporter_collector_up", kGauge, "", kNone,
   "1 when the frontend holds a fresh snapshot from the collector, 0 when the collector is "
   "gone or missed three heartbeats (then no ModemManager series are served)."},
  {kExporterSnapshotAgeSeconds, kStatus, "modemmanager_exporter_snapshot_age_seconds", kGauge,
   "seconds", kNone,
   "Time since the collector wrote the snapshot served, in seconds."},
  {kExporterSnapshotsTotal, kStatus, "modemmanager_exporter_snapshots_total", kCounter, "", kNone,
   "Snapshots this frontend has received from the collector since it started."},
  {kExporterSnapshotsRefusedTotal, kStatus, "modemmanager_exporter_snapshots_refused_total",
   kCounter, "", kNone,
   "Frames from the collector this frontend refused since it started: bad framing, a message "
   "that does not decode, over the snapshot limits or that cannot be rendered. Each costs the "
   "connection and is logged with the reason; above 0 means a collector fault or a hostile "
   "peer."},
  {kProcessCpuSecondsTotal, kStatus, "process_cpu_seconds_total", kCounter, "seconds", kProcess,
   "User and system CPU time spent by the process, in seconds. process=collector is as the "
   "collector read it for its last snapshot."},
  {kProcessResidentMemoryBytes, kStatus, "process_resident_memory_bytes", kGauge, "bytes",
   kProcess,
   "Resident memory size of the process, in bytes."},
  {kProcessStartTimeSeconds, kStatus, "process_start_time_seconds", kGauge, "seconds", kProcess,
   "Start time of the process since the Unix epoch, in seconds."},
  {kProcessOpenFds, kStatus, "process_open_fds", kGauge, "", kProcess,
   "Number of open file descriptors of the process."},
  {kProcessMaxFds, kStatus, "process_max_fds", kGauge, "", kProcess,
   "Maximum number of open file descriptors of the process (its RLIMIT_NOFILE soft limit)."},
};
// clang-format on

constexpr bool ids_in_order() {
  for (std::size_t i = 0; i < std::size(kFamilies); ++i) {
    if (static_cast<std::size_t>(kFamilies[i].id) != i) return false;
  }
  return true;
}
static_assert(ids_in_order(), "kFamilies rows must follow FamilyId order");
static_assert(std::size(kFamilies) == static_cast<std::size_t>(kProcessMaxFds) + 1,
              "every FamilyId needs a row");

}  // namespace

std::span<const MetricFamily> metric_families() {
  return kFamilies;
}

const MetricFamily& metric_family(FamilyId id) {
  return kFamilies[static_cast<std::size_t>(id)];
}

void begin_family(ExpositionWriter& writer, FamilyId id) {
  const MetricFamily& f = metric_family(id);
  writer.family(f.name, f.type, f.unit, f.help);
}

}  // namespace mmx
