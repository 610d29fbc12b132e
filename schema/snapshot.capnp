@0xd95b470e13c1faee;
# The contract between the collector (root, talks to ModemManager) and the
# frontend (unprivileged, talks HTTP). The collector sends one whole Snapshot
# per frame (see common/framing.h); the frontend renders from nothing else.
#
# Values are ModemManager's own: enums and bitmasks as the numbers D-Bus
# carries, strings as received. Naming the values (mmcli spelling) is the
# renderer's job, so this schema never changes when ModemManager grows a new
# enum value.
#
# Absence: an interface a modem does not have is an unset struct pointer
# (`hasSignal()` is false). A number ModemManager did not report is NaN in the
# Float64 fields that default to nan; the renderer leaves such a series out.

using Cxx = import "/capnp/c++.capnp";
$Cxx.namespace("mmx::schema");

struct Snapshot {
  sequence @0 :UInt64;
  # Increments with every frame the collector writes, heartbeats included.

  generation @1 :UInt64;
  # Increments when the content changed; equal generations mean equal content
  # (apart from `sequence`, `timeUnixNanos` and `collectorProcess`), so a
  # frontend may keep its rendered exposition.

  timeUnixNanos @2 :Int64;
  # Wall-clock time the collector wrote this frame.

  heartbeatIntervalMillis @3 :UInt32;
  # How often the collector sends a frame when nothing changes; the frontend
  # declares the collector gone after three missed heartbeats.

  manager @4 :Manager;
  collection @5 :Collection;
  collectorProcess @6 :ProcessStats;
  modems @7 :List(Modem);
  # Sorted by deviceId so the rendering is stable.

  collectorBuild @8 :BuildInfo;

  firstCollectionPending @9 :Bool;
  # True until the collector's first full collection has ended (done or
  # failed): `manager` and `modems` say nothing yet, not even that
  # ModemManager is absent. False (the default) from a collector that
  # predates this field, which is then taken at its word.
}

struct BuildInfo {
  version @0 :Text;
  revision @1 :Text;
  compiler @2 :Text;
  capnp @3 :Text;
  sdbusCpp @4 :Text;
  httplib @5 :Text;
}

struct Manager {
  present @0 :Bool;
  # ModemManager owns org.freedesktop.ModemManager1 on the bus.
  version @1 :Text;
}

struct Collection {
  # The collector's last full collection (GetManagedObjects + follow-up reads).
  durationSeconds @0 :Float64 = nan;
  success @1 :Bool;
  errors @2 :List(ErrorCount);
  # Cumulative D-Bus errors and timeouts since the collector started, by kind.
  callWindow @3 :UInt32;
  # Most D-Bus calls the collector keeps in flight at once; 0: not reported.
  callsInFlightMax @4 :UInt32;
  # The most it ever had in flight at once since it started.
  callRetries @5 :UInt64;
  # Failed one-shot calls (Signal.Setup, GetLocation, GetCellInfo) made again.
}

struct ErrorCount {
  kind @0 :Text;
  count @1 :UInt64;
}

struct ProcessStats {
  cpuSecondsTotal @0 :Float64 = nan;
  residentMemoryBytes @1 :Float64 = nan;
  startTimeSeconds @2 :Float64 = nan;
  openFds @3 :Float64 = nan;
  maxFds @4 :Float64 = nan;
}

struct Modem {
  path @0 :Text;
  # D-Bus object path; its index changes on replug, so series use deviceId.
  deviceId @1 :Text;

  manufacturer @2 :Text;
  model @3 :Text;
  revision @4 :Text;
  hardwareRevision @5 :Text;
  plugin @6 :Text;
  primaryPort @7 :Text;
  device @8 :Text;
  drivers @9 :List(Text);
  equipmentIdentifier @10 :Text;
  carrierConfiguration @11 :Text;
  carrierConfigurationRevision @12 :Text;
  ports @13 :List(Port);
  ownNumbers @14 :List(Text);

  state @15 :Int32;                 # MMModemState
  stateFailedReason @16 :UInt32;    # MMModemStateFailedReason
  powerState @17 :UInt32;           # MMModemPowerState
  signalQualityPercent @18 :UInt32;
  signalQualityRecent @19 :Bool;
  accessTechnologies @20 :UInt32;   # MMModemAccessTechnology bitmask
  unlockRequired @21 :UInt32;       # MMModemLock
  unlockRetries @22 :List(LockRetries);
  maxBearers @23 :UInt32;
  maxActiveBearers @24 :UInt32;
  currentBands @25 :List(UInt32);   # MMModemBand
  currentModesAllowed @26 :UInt32;  # MMModemMode bitmask
  currentModesPreferred @27 :UInt32;
  currentCapabilities @28 :UInt32;  # MMModemCapability bitmask

  threeGpp @29 :ThreeGpp;
  signal @30 :Signal;
  location @31 :Location;
  messaging @32 :Messaging;
  sims @33 :List(Sim);
  bearers @34 :List(Bearer);

  hasModemInterface @35 :Bool;
  # False while the Modem interface's properties could not be read; the
  # modem's per-interface series are then left out.

  events @36 :ModemEvents;
  # What the collector saw change since it started, kept by deviceId across
  # ModemManager restarts. Unset from a collector that predates it.

  cells @37 :List(Cell);
  # Modem.GetCellInfo's last answer: serving cells, then the strongest
  # neighbours; empty when not read (yet), unsupported, or never asked.
  cellsDropped @38 :UInt32;
  # Cells of that answer left out by the collector's caps.
  cellInfo @39 :CellInfoStatus;

  physdev @40 :Text;
  # Modem.Physdev (ModemManager >= 1.22); empty from an older daemon.
  sar @41 :Sar;
  # Unset when the modem has no Sar interface.
}

struct NetworkRejection {
  error @0 :UInt32;                 # MMNetworkError: the 3GPP reject cause
  operatorId @1 :Text;
  operatorName @2 :Text;
  accessTechnology @3 :UInt32;      # MMModemAccessTechnology bitmask
}

struct Sar {
  enabled @0 :Bool;
  powerLevel @1 :UInt32;
}

enum CellInfoStatus {
  unknown @0;      # not read: never asked, not enabled, or a failed read
  read @1;         # `cells` is ModemManager's last answer
  unsupported @2;  # ModemManager said the modem cannot tell
}

struct Cell {
  cellType @0 :UInt32;              # MMCellType
  serving @1 :Bool;
  role @2 :UInt32;                  # MMServingCellType (>= 1.22); 0 when not given
  operatorId @3 :Text;
  lac @4 :Text;
  tac @5 :Text;
  ci @6 :Text;
  pci @7 :Text;
  # LTE/NR physical-ci as given (hex), UMTS psc, GSM base-station-id.
  arfcn @8 :UInt32;
  hasArfcn @9 :Bool;
  # EARFCN, NR-ARFCN, UARFCN or ARFCN by cell type.
  band @10 :UInt32;                 # derived from the channel; 0: not derived
  bandwidth @11 :UInt32;
  hasBandwidth @12 :Bool;
  rsrpDbm @13 :Float64 = nan;
  rsrqDb @14 :Float64 = nan;
  sinrDb @15 :Float64 = nan;
  rscpDbm @16 :Float64 = nan;
  ecioDb @17 :Float64 = nan;
  rxLevelDbm @18 :Float64 = nan;
  timingAdvance @19 :Float64 = nan;
}

struct ModemEvents {
  stateEntries @0 :List(EventCount);
  # Modem.StateChanged signals by new state (MMModemState).
  stateChangeReasons @1 :List(EventCount);
  # Modem.StateChanged signals by reason (MMModemStateChangeReason).
  registrationEntries @2 :List(EventCount);
  # Changes of Modem3gpp.RegistrationState by new state.
  bearerConnects @3 :UInt64;
  bearerDisconnects @4 :UInt64;
  # Changes of a bearer's Connected to true, to false.
  lastStateChangeUnixNanos @5 :Int64;
  # Wall-clock time of the last StateChanged; 0: none since the start.
}

struct EventCount {
  value @0 :Int64;
  count @1 :UInt64;
}

struct Port {
  name @0 :Text;
  type @1 :UInt32;                  # MMModemPortType
}

struct LockRetries {
  lock @0 :UInt32;                  # MMModemLock
  retries @1 :UInt32;
}

struct ThreeGpp {
  imei @0 :Text;
  registrationState @1 :UInt32;     # MMModem3gppRegistrationState
  operatorCode @2 :Text;
  operatorName @3 :Text;
  subscriptionState @4 :UInt32;     # MMModem3gppSubscriptionState
  packetServiceState @5 :UInt32;    # MMModem3gppPacketServiceState
  enabledFacilityLocks @6 :UInt32;  # MMModem3gppFacility bitmask
  networkRejection @7 :NetworkRejection;
  # Modem3gpp.NetworkRejection (ModemManager >= 1.24) when it holds an
  # error; unset from an older daemon or without a rejection.
}

struct Signal {
  rateSeconds @0 :UInt32;
  cdma @1 :SignalValues;
  evdo @2 :SignalValues;
  gsm @3 :SignalValues;
  umts @4 :SignalValues;
  lte @5 :SignalValues;
  nr5g @6 :SignalValues;
}

struct SignalValues {
  # The keys of ModemManager's per-technology a{sv}; NaN when not reported.
  rssi @0 :Float64 = nan;
  rsrq @1 :Float64 = nan;
  rsrp @2 :Float64 = nan;
  snr @3 :Float64 = nan;
  ecio @4 :Float64 = nan;
  rscp @5 :Float64 = nan;
  sinr @6 :Float64 = nan;
  io @7 :Float64 = nan;
  errorRate @8 :Float64 = nan;
}

struct Location {
  capabilities @0 :UInt32;          # MMModemLocationSource bitmask
  enabled @1 :UInt32;               # MMModemLocationSource bitmask
  latitudeDegrees @2 :Float64 = nan;
  longitudeDegrees @3 :Float64 = nan;
  altitudeMeters @4 :Float64 = nan;
  positionSource @5 :UInt32;        # which source gave the fix (0: none)
  threeGpp @6 :CellId;
  # Unset when ModemManager reports no 3gpp-lac-ci location.
}

struct CellId {
  mcc @0 :Text;
  mnc @1 :Text;
  lac @2 :Text;
  tac @3 :Text;
  cellId @4 :Text;
}

struct Messaging {
  messageCount @0 :UInt32;
}

struct Sim {
  path @0 :Text;
  slot @1 :UInt32;
  # 1-based position in the modem's SimSlots; 0 when the modem has no slots.
  active @2 :Bool;
  iccid @3 :Text;                   # SimIdentifier
  imsi @4 :Text;
  eid @5 :Text;
  operatorIdentifier @6 :Text;
  operatorName @7 :Text;
  simType @8 :UInt32;               # MMSimType
  primary @9 :Bool;
  # This is the modem's `Sim` property.
}

struct Bearer {
  path @0 :Text;
  index @1 :Text;
  # The last element of the object path, used as the `bearer` label.
  interface @2 :Text;
  connected @3 :Bool;
  bearerType @4 :UInt32;            # MMBearerType
  multiplexed @5 :Bool;
  apn @6 :Text;
  ipType @7 :UInt32;                # MMBearerIpFamily bitmask
  connectionErrorName @8 :Text;
  connectionErrorMessage @9 :Text;
  stats @10 :BearerStats;
  # Unset when ModemManager reports no statistics.
}

struct BearerStats {
  rxBytes @0 :Float64 = nan;
  txBytes @1 :Float64 = nan;
  durationSeconds @2 :Float64 = nan;
  attempts @3 :Float64 = nan;
  failedAttempts @4 :Float64 = nan;
  totalDurationSeconds @5 :Float64 = nan;
  totalRxBytes @6 :Float64 = nan;
  totalTxBytes @7 :Float64 = nan;
  uplinkSpeedBps @8 :Float64 = nan;
  downlinkSpeedBps @9 :Float64 = nan;
}
