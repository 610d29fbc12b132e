#include "snapshot_fixtures.h"

#include <ModemManager.h>
#include <capnp/serialize.h>

#include <cstdio>

namespace mmx::test {

std::string device_id(std::size_t index) {
  char tail[16];
  std::snprintf(tail, sizeof tail, "%08zx", index);
  return std::string("3f6b0c2e9a41d7f85e20b1c4a9d3e6f7") + tail;
}

void fill_minimal_modem(schema::Modem::Builder modem, std::size_t index) {
  const std::string id = device_id(index);
  modem.setPath("/org/freedesktop/ModemManager1/Modem/" + std::to_string(index));
  modem.setDeviceId(id);
  modem.setHasModemInterface(true);
  modem.setManufacturer("Quectel");
  modem.setModel("EM12-G");
  modem.setRevision("EM12GPAR01A21M4G");
  modem.setHardwareRevision("10000");
  modem.setPlugin("quectel");
  modem.setPrimaryPort("cdc-wdm" + std::to_string(index));
  modem.setDevice("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-" + std::to_string(index + 1));
  auto drivers = modem.initDrivers(2);
  drivers.set(0, "qmi_wwan");
  drivers.set(1, "option");
  modem.setEquipmentIdentifier("35907206" + std::to_string(1000000 + index));
  modem.setCarrierConfiguration("ROW_Generic_3GPP");
  modem.setCarrierConfigurationRevision("05010821");
  auto ports = modem.initPorts(3);
  ports[0].setName("cdc-wdm" + std::to_string(index));
  ports[0].setType(MM_MODEM_PORT_TYPE_QMI);
  ports[1].setName("wwan" + std::to_string(index));
  ports[1].setType(MM_MODEM_PORT_TYPE_NET);
  ports[2].setName("ttyUSB" + std::to_string(2 + 4 * index));
  ports[2].setType(MM_MODEM_PORT_TYPE_AT);
  modem.setState(MM_MODEM_STATE_REGISTERED);
  modem.setStateFailedReason(MM_MODEM_STATE_FAILED_REASON_NONE);
  modem.setPowerState(MM_MODEM_POWER_STATE_ON);
  modem.setSignalQualityPercent(54);
  modem.setSignalQualityRecent(true);
  modem.setAccessTechnologies(MM_MODEM_ACCESS_TECHNOLOGY_LTE);
  modem.setUnlockRequired(MM_MODEM_LOCK_NONE);
  auto retries = modem.initUnlockRetries(2);
  retries[0].setLock(MM_MODEM_LOCK_SIM_PIN);
  retries[0].setRetries(3);
  retries[1].setLock(MM_MODEM_LOCK_SIM_PUK);
  retries[1].setRetries(10);
  modem.setMaxBearers(1);
  modem.setMaxActiveBearers(1);
  auto bands = modem.initCurrentBands(3);
  bands.set(0, MM_MODEM_BAND_EUTRAN_1);
  bands.set(1, MM_MODEM_BAND_EUTRAN_3);
  bands.set(2, MM_MODEM_BAND_EUTRAN_20);
  modem.setCurrentModesAllowed(MM_MODEM_MODE_2G | MM_MODEM_MODE_3G | MM_MODEM_MODE_4G);
  modem.setCurrentModesPreferred(MM_MODEM_MODE_4G);
  modem.setCurrentCapabilities(MM_MODEM_CAPABILITY_GSM_UMTS | MM_MODEM_CAPABILITY_LTE);
}

void fill_typical_modem(schema::Modem::Builder modem, std::size_t index) {
  fill_minimal_modem(modem, index);
  modem.setState(MM_MODEM_STATE_CONNECTED);
  auto own = modem.initOwnNumbers(1);
  own.set(0, "+34600000" + std::to_string(100 + index));

  // Connected once since the exporter started, by the user's request.
  auto events = modem.initEvents();
  auto entries = events.initStateEntries(1);
  entries[0].setValue(MM_MODEM_STATE_CONNECTED);
  entries[0].setCount(1);
  auto reasons = events.initStateChangeReasons(1);
  reasons[0].setValue(MM_MODEM_STATE_CHANGE_REASON_USER_REQUESTED);
  reasons[0].setCount(1);
  auto registrations = events.initRegistrationEntries(1);
  registrations[0].setValue(MM_MODEM_3GPP_REGISTRATION_STATE_HOME);
  registrations[0].setCount(1);
  events.setBearerConnects(1);

  // An LTE link with one secondary carrier, and one neighbour.
  modem.setCellInfo(schema::CellInfoStatus::READ);
  modem.setCellsDropped(0);
  auto cells = modem.initCells(3);
  cells[0].setCellType(MM_CELL_TYPE_LTE);
  cells[0].setServing(true);
  cells[0].setRole(1);  // pcell
  cells[0].setOperatorId("21401");
  cells[0].setTac("2B0F");
  cells[0].setCi("1A2B3C4");
  cells[0].setPci("1F4");
  cells[0].setHasArfcn(true);
  cells[0].setArfcn(6300);
  cells[0].setBand(20);
  cells[0].setHasBandwidth(true);
  cells[0].setBandwidth(10000);
  cells[0].setRsrpDbm(-96);
  cells[0].setRsrqDb(-9);
  cells[0].setTimingAdvance(3);
  cells[1].setCellType(MM_CELL_TYPE_LTE);
  cells[1].setServing(true);
  cells[1].setRole(2);  // scell
  cells[1].setPci("8C");
  cells[1].setHasArfcn(true);
  cells[1].setArfcn(3100);
  cells[1].setBand(7);
  cells[1].setRsrpDbm(-104);
  cells[2].setCellType(MM_CELL_TYPE_LTE);
  cells[2].setPci("12");
  cells[2].setHasArfcn(true);
  cells[2].setArfcn(6300);
  cells[2].setRsrpDbm(-101);
  events.setLastStateChangeUnixNanos(kSnapshotUnixNanos - 3'600'000'000'000);

  auto three_gpp = modem.initThreeGpp();
  three_gpp.setImei("35907206" + std::to_string(1000000 + index));
  three_gpp.setRegistrationState(MM_MODEM_3GPP_REGISTRATION_STATE_HOME);
  three_gpp.setOperatorCode("21401");
  three_gpp.setOperatorName("vodafone ES");
  three_gpp.setSubscriptionState(MM_MODEM_3GPP_SUBSCRIPTION_STATE_PROVISIONED);
  three_gpp.setPacketServiceState(MM_MODEM_3GPP_PACKET_SERVICE_STATE_ATTACHED);
  three_gpp.setEnabledFacilityLocks(MM_MODEM_3GPP_FACILITY_SIM);

  auto signal = modem.initSignal();
  signal.setRateSeconds(5);
  auto lte = signal.initLte();
  lte.setRssi(-65.0);
  lte.setRsrq(-9.5);
  lte.setRsrp(-95.0 - static_cast<double>(index));
  lte.setSnr(13.2);

  auto location = modem.initLocation();
  location.setCapabilities(MM_MODEM_LOCATION_SOURCE_3GPP_LAC_CI | MM_MODEM_LOCATION_SOURCE_GPS_RAW |
                           MM_MODEM_LOCATION_SOURCE_GPS_NMEA);
  location.setEnabled(MM_MODEM_LOCATION_SOURCE_3GPP_LAC_CI | MM_MODEM_LOCATION_SOURCE_GPS_RAW);
  location.setLatitudeDegrees(40.4168);
  location.setLongitudeDegrees(-3.7038);
  location.setAltitudeMeters(667.0);
  location.setPositionSource(MM_MODEM_LOCATION_SOURCE_GPS_RAW);
  auto cell = location.initThreeGpp();
  cell.setMcc("214");
  cell.setMnc("01");
  cell.setLac("04D2");
  cell.setTac("0000");
  cell.setCellId("001122BB");

  modem.initMessaging().setMessageCount(2);

  auto sim = modem.initSims(1)[0];
  sim.setPath("/org/freedesktop/ModemManager1/SIM/" + std::to_string(index));
  sim.setSlot(1);
  sim.setActive(true);
  sim.setIccid("893401000000000" + std::to_string(1000 + index));
  sim.setImsi("2140100000" + std::to_string(10000 + index));
  sim.setEid("");
  sim.setOperatorIdentifier("21401");
  sim.setOperatorName("vodafone ES");
  sim.setSimType(MM_SIM_TYPE_PHYSICAL);
  sim.setPrimary(true);

  auto bearer = modem.initBearers(1)[0];
  bearer.setPath("/org/freedesktop/ModemManager1/Bearer/" + std::to_string(index));
  bearer.setIndex(std::to_string(index));
  bearer.setInterface("wwan" + std::to_string(index));
  bearer.setConnected(true);
  bearer.setBearerType(MM_BEARER_TYPE_DEFAULT);
  bearer.setMultiplexed(false);
  bearer.setApn("internet");
  bearer.setIpType(MM_BEARER_IP_FAMILY_IPV4V6);
  auto stats = bearer.initStats();
  stats.setRxBytes(123456789.0);
  stats.setTxBytes(23456789.0);
  stats.setDurationSeconds(3600.0);
  stats.setAttempts(3.0);
  stats.setFailedAttempts(1.0);
  stats.setTotalDurationSeconds(7200.0);
  stats.setTotalRxBytes(223456789.0);
  stats.setTotalTxBytes(33456789.0);
  stats.setUplinkSpeedBps(50000000.0);
  stats.setDownlinkSpeedBps(150000000.0);
}

SnapshotFixture::SnapshotFixture(std::size_t modems) {
  auto snapshot = message_.initRoot<schema::Snapshot>();
  snapshot.setSequence(7);
  snapshot.setGeneration(3);
  snapshot.setTimeUnixNanos(kSnapshotUnixNanos);
  snapshot.setHeartbeatIntervalMillis(5000);

  auto manager = snapshot.initManager();
  manager.setPresent(true);
  manager.setVersion("1.20.4");

  auto collection = snapshot.initCollection();
  collection.setDurationSeconds(0.0125);
  collection.setSuccess(true);
  collection.setCallWindow(32);
  collection.setCallsInFlightMax(12);
  collection.setCallRetries(1);
  auto errors = collection.initErrors(2);
  errors[0].setKind("timeout");
  errors[0].setCount(2);
  errors[1].setKind("dbus_error");
  errors[1].setCount(1);

  auto process = snapshot.initCollectorProcess();
  process.setCpuSecondsTotal(1.5);
  process.setResidentMemoryBytes(6291456.0);
  process.setStartTimeSeconds(1699999000.0);
  process.setOpenFds(12.0);
  process.setMaxFds(1024.0);

  auto build = snapshot.initCollectorBuild();
  build.setVersion("0.1.0");
  build.setRevision("0123456789ab");
  build.setCompiler("gcc 12.2.0");
  build.setCapnp("0.9.2");
  build.setSdbusCpp("1.2.0");
  build.setHttplib("0.11.4");

  auto list = snapshot.initModems(static_cast<unsigned>(modems));
  for (std::size_t i = 0; i < modems; ++i) fill_typical_modem(list[static_cast<unsigned>(i)], i);
}

void SnapshotFixture::use_minimal_modems(std::size_t count) {
  auto list = builder().initModems(static_cast<unsigned>(count));
  for (std::size_t i = 0; i < count; ++i) fill_minimal_modem(list[static_cast<unsigned>(i)], i);
}

kj::Array<capnp::word> SnapshotFixture::words() {
  return capnp::messageToFlatArray(message_);
}

}  // namespace mmx::test
