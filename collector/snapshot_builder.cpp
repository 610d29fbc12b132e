#include "snapshot_builder.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "build_info.h"
#include "mm_dbus.h"
#include "snapshot.capnp.h"
#include "wall_clock.h"

namespace mmx {
namespace {

namespace s = schema;
using Dict = Value::Dict;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Collection.errors, in this order.
constexpr ErrorKind kErrorKinds[] = {ErrorKind::kTimeout,      ErrorKind::kUnauthorized,
                                     ErrorKind::kUnsupported,  ErrorKind::kCallFailed,
                                     ErrorKind::kInvalidReply, ErrorKind::kInvalidValue};

const Properties* find_interface(const MirroredObject& object, const char* interface) {
  auto it = object.find(interface);
  return it == object.end() ? nullptr : &it->second;
}

// Types were checked when the value entered the model (property_schema).
template <typename T>
T get_or(const Properties* properties, const char* name, T fallback = T{}) {
  const T* value = find_property<T>(properties, name);
  return value == nullptr ? fallback : *value;
}

// Strings and lists by reference: building a snapshot copies each once,
// into the snapshot.
template <typename T>
const T& ref_or_empty(const Properties* properties, const char* name) {
  static const T kEmpty{};
  const T* value = find_property<T>(properties, name);
  return value == nullptr ? kEmpty : *value;
}

// A numeric dictionary entry as double, whatever integer or float type the
// sender used; NaN when absent or not a number.
double number(const Dict& dict, std::string_view key) {
  const Value* v = Value::find(dict, key);
  return v == nullptr ? kNaN : v->number();
}

const std::string& text(const Dict& dict, std::string_view key) {
  static const std::string kEmpty;
  const Value* v = Value::find(dict, key);
  const std::string* s = v == nullptr ? nullptr : v->get_if<std::string>();
  return s == nullptr ? kEmpty : *s;
}

void set_text_list(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& v) {
  for (unsigned i = 0; i < v.size(); ++i) list.set(i, v[i]);
}

std::string last_path_element(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fill_signal_values(const Properties* signal, const char* property,
                        s::SignalValues::Builder (s::Signal::Builder::*init)(),
                        s::Signal::Builder& out) {
  const auto& dict = ref_or_empty<Dict>(signal, property);
  if (dict.empty()) return;
  auto v = (out.*init)();
  v.setRssi(number(dict, "rssi"));
  v.setRsrq(number(dict, "rsrq"));
  v.setRsrp(number(dict, "rsrp"));
  v.setSnr(number(dict, "snr"));
  v.setEcio(number(dict, "ecio"));
  v.setRscp(number(dict, "rscp"));
  v.setSinr(number(dict, "sinr"));
  v.setIo(number(dict, "io"));
  v.setErrorRate(number(dict, "error-rate"));
}

void fill_signal(const Properties& signal, s::Modem::Builder& modem) {
  auto out = modem.initSignal();
  out.setRateSeconds(get_or<std::uint32_t>(&signal, "Rate"));
  fill_signal_values(&signal, "Cdma", &s::Signal::Builder::initCdma, out);
  fill_signal_values(&signal, "Evdo", &s::Signal::Builder::initEvdo, out);
  fill_signal_values(&signal, "Gsm", &s::Signal::Builder::initGsm, out);
  fill_signal_values(&signal, "Umts", &s::Signal::Builder::initUmts, out);
  fill_signal_values(&signal, "Lte", &s::Signal::Builder::initLte, out);
  fill_signal_values(&signal, "Nr5g", &s::Signal::Builder::initNr5g, out);
}

// "MCC,MNC,LAC,CI[,TAC]" as ModemManager formats 3gpp-lac-ci.
std::vector<std::string> split_commas(const std::string& value) {
  std::vector<std::string> parts;
  std::string_view rest = value;
  for (;;) {
    const auto comma = rest.find(',');
    parts.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return parts;
}

void fill_location(const Properties& location, const LocationMap* fix, bool redact,
                   s::Modem::Builder& modem) {
  auto out = modem.initLocation();
  out.setCapabilities(get_or<std::uint32_t>(&location, "Capabilities"));
  out.setEnabled(get_or<std::uint32_t>(&location, "Enabled"));
  if (redact) return;
  // A modem that signals its location carries it in the Location property;
  // otherwise the polled GetLocation result is used.
  const LocationMap* current = fix;
  if (current == nullptr && get_or<bool>(&location, "SignalsLocation")) {
    current = find_property<LocationMap>(&location, "Location");
  }
  if (current == nullptr) return;
  const Value* cell_id = Value::find(*current, mm::kLocation3gppLacCi);
  if (const std::string* lac_ci = cell_id == nullptr ? nullptr : cell_id->get_if<std::string>()) {
    auto parts = split_commas(*lac_ci);
    if (parts.size() >= 4) {
      auto cell = out.initThreeGpp();
      cell.setMcc(parts[0]);
      cell.setMnc(parts[1]);
      cell.setLac(parts[2]);
      cell.setCellId(parts[3]);
      if (parts.size() >= 5) cell.setTac(parts[4]);
    }
  }
  for (std::uint32_t source : {mm::kLocationGpsRaw, mm::kLocationCdmaBs}) {
    const Value* position = Value::find(*current, source);
    const Dict* dict = position == nullptr ? nullptr : position->get_if<Dict>();
    if (dict == nullptr) continue;
    const double latitude = number(*dict, "latitude");
    const double longitude = number(*dict, "longitude");
    if (std::isnan(latitude) || std::isnan(longitude)) continue;
    out.setLatitudeDegrees(latitude);
    out.setLongitudeDegrees(longitude);
    out.setAltitudeMeters(number(*dict, "altitude"));
    out.setPositionSource(source);
    break;  // gps-raw wins over cdma-bs
  }
}

void fill_sim(const MirroredObject& object, const std::string& path, std::uint32_t slot,
              bool primary, const Redaction& redaction, s::Sim::Builder out) {
  const Properties* sim = find_interface(object, mm::kSim);
  out.setPath(path);
  out.setSlot(slot);
  out.setPrimary(primary);
  out.setActive(get_or<bool>(sim, "Active", primary));
  if (!redaction.iccid) out.setIccid(ref_or_empty<std::string>(sim, "SimIdentifier"));
  if (!redaction.imsi) out.setImsi(ref_or_empty<std::string>(sim, "Imsi"));
  if (!redaction.eid) out.setEid(ref_or_empty<std::string>(sim, "Eid"));
  out.setOperatorIdentifier(ref_or_empty<std::string>(sim, "OperatorIdentifier"));
  out.setOperatorName(ref_or_empty<std::string>(sim, "OperatorName"));
  out.setSimType(get_or<std::uint32_t>(sim, "SimType"));
}

void fill_bearer(const MirroredObject& object, const std::string& path, s::Bearer::Builder out) {
  const Properties* bearer = find_interface(object, mm::kBearer);
  out.setPath(path);
  out.setIndex(last_path_element(path));
  out.setInterface(ref_or_empty<std::string>(bearer, "Interface"));
  out.setConnected(get_or<bool>(bearer, "Connected"));
  out.setBearerType(get_or<std::uint32_t>(bearer, "BearerType"));
  out.setMultiplexed(get_or<bool>(bearer, "Multiplexed"));
  const auto& properties = ref_or_empty<Dict>(bearer, "Properties");
  out.setApn(text(properties, "apn"));
  const double ip_type = number(properties, "ip-type");
  out.setIpType(std::isnan(ip_type) ? 0u : static_cast<std::uint32_t>(ip_type));
  if (const auto* error = find_property<StringPair>(bearer, "ConnectionError")) {
    out.setConnectionErrorName(error->first);
    out.setConnectionErrorMessage(error->second);
  }
  const auto& stats = ref_or_empty<Dict>(bearer, "Stats");
  if (!stats.empty()) {
    auto st = out.initStats();
    st.setRxBytes(number(stats, "rx-bytes"));
    st.setTxBytes(number(stats, "tx-bytes"));
    st.setDurationSeconds(number(stats, "duration"));
    st.setAttempts(number(stats, "attempts"));
    st.setFailedAttempts(number(stats, "failed-attempts"));
    st.setTotalDurationSeconds(number(stats, "total-duration"));
    st.setTotalRxBytes(number(stats, "total-rx-bytes"));
    st.setTotalTxBytes(number(stats, "total-tx-bytes"));
    st.setUplinkSpeedBps(number(stats, "uplink-speed"));
    st.setDownlinkSpeedBps(number(stats, "downlink-speed"));
  }
}

struct SimRef {
  std::string path;
  std::uint32_t slot;
};

std::vector<SimRef> sims_of(const Properties& modem, const MirroredObjects& linked) {
  std::vector<SimRef> refs;
  const auto& slots = ref_or_empty<std::vector<ObjectPath>>(&modem, "SimSlots");
  for (std::uint32_t i = 0; i < slots.size(); ++i) {
    if (slots[i] != "/" && linked.count(slots[i])) refs.push_back({slots[i], i + 1});
  }
  if (refs.empty()) {
    const auto& primary = ref_or_empty<ObjectPath>(&modem, "Sim");
    if (!primary.empty() && primary != "/" && linked.count(primary)) refs.push_back({primary, 0});
  }
  return refs;
}

// NetworkRejection's a{sv}: error (u), operator-id (s), operator-name (s),
// access-technology (u). Set only when it holds an error.
void fill_network_rejection(const Value::Dict& dict, s::ThreeGpp::Builder out) {
  const std::uint32_t* error = nullptr;
  const std::uint32_t* technology = nullptr;
  const std::string* operator_id = nullptr;
  const std::string* operator_name = nullptr;
  for (const auto& [key, value] : dict) {
    if (key == "error") error = value.get_if<std::uint32_t>();
    if (key == "access-technology") technology = value.get_if<std::uint32_t>();
    if (key == "operator-id") operator_id = value.get_if<std::string>();
    if (key == "operator-name") operator_name = value.get_if<std::string>();
  }
  if (error == nullptr || *error == 0) return;  // 0: MM_NETWORK_ERROR_NONE
  auto r = out.initNetworkRejection();
  r.setError(*error);
  if (technology != nullptr) r.setAccessTechnology(*technology);
  if (operator_id != nullptr) r.setOperatorId(*operator_id);
  if (operator_name != nullptr) r.setOperatorName(*operator_name);
}

void fill_modem(const ModemModel& model, const std::string& path, const MirroredObject& object,
                const Redaction& redaction, s::Modem::Builder out) {
  out.setPath(path);
  const Properties* modem = find_interface(object, mm::kModem);
  out.setHasModemInterface(modem != nullptr);
  out.setDeviceId(ref_or_empty<std::string>(modem, "DeviceIdentifier"));
  if (modem != nullptr) {
    out.setManufacturer(ref_or_empty<std::string>(modem, "Manufacturer"));
    out.setModel(ref_or_empty<std::string>(modem, "Model"));
    out.setRevision(ref_or_empty<std::string>(modem, "Revision"));
    out.setHardwareRevision(ref_or_empty<std::string>(modem, "HardwareRevision"));
    out.setPlugin(ref_or_empty<std::string>(modem, "Plugin"));
    out.setPrimaryPort(ref_or_empty<std::string>(modem, "PrimaryPort"));
    out.setDevice(ref_or_empty<std::string>(modem, "Device"));
    const auto& drivers = ref_or_empty<std::vector<std::string>>(modem, "Drivers");
    set_text_list(out.initDrivers(static_cast<unsigned>(drivers.size())), drivers);
    if (!redaction.imei)
      out.setEquipmentIdentifier(ref_or_empty<std::string>(modem, "EquipmentIdentifier"));
    out.setCarrierConfiguration(ref_or_empty<std::string>(modem, "CarrierConfiguration"));
    out.setCarrierConfigurationRevision(
        ref_or_empty<std::string>(modem, "CarrierConfigurationRevision"));
    const auto& ports = ref_or_empty<Value::Ports>(modem, "Ports");
    auto port_list = out.initPorts(static_cast<unsigned>(ports.size()));
    for (unsigned i = 0; i < ports.size(); ++i) {
      port_list[i].setName(ports[i].first);
      port_list[i].setType(ports[i].second);
    }
    if (!redaction.msisdn) {
      const auto& numbers = ref_or_empty<std::vector<std::string>>(modem, "OwnNumbers");
      set_text_list(out.initOwnNumbers(static_cast<unsigned>(numbers.size())), numbers);
    }
    out.setState(get_or<std::int32_t>(modem, "State"));
    out.setStateFailedReason(get_or<std::uint32_t>(modem, "StateFailedReason"));
    out.setPowerState(get_or<std::uint32_t>(modem, "PowerState"));
    const auto quality = get_or<Value::UintBool>(modem, "SignalQuality", {0u, false});
    out.setSignalQualityPercent(quality.first);
    out.setSignalQualityRecent(quality.second);
    out.setAccessTechnologies(get_or<std::uint32_t>(modem, "AccessTechnologies"));
    out.setUnlockRequired(get_or<std::uint32_t>(modem, "UnlockRequired"));
    const auto& retries = ref_or_empty<Value::UintMap>(modem, "UnlockRetries");
    auto retry_list = out.initUnlockRetries(static_cast<unsigned>(retries.size()));
    unsigned r = 0;
    for (const auto& [lock, count] : retries) {
      retry_list[r].setLock(lock);
      retry_list[r].setRetries(count);
      ++r;
    }
    out.setMaxBearers(get_or<std::uint32_t>(modem, "MaxBearers"));
    out.setMaxActiveBearers(get_or<std::uint32_t>(modem, "MaxActiveBearers"));
    const auto& bands = ref_or_empty<std::vector<std::uint32_t>>(modem, "CurrentBands");
    auto band_list = out.initCurrentBands(static_cast<unsigned>(bands.size()));
    for (unsigned i = 0; i < bands.size(); ++i) band_list.set(i, bands[i]);
    const auto modes = get_or<Value::UintPair>(modem, "CurrentModes", {0u, 0u});
    out.setCurrentModesAllowed(modes.first);
    out.setCurrentModesPreferred(modes.second);
    out.setCurrentCapabilities(get_or<std::uint32_t>(modem, "CurrentCapabilities"));
    out.setPhysdev(ref_or_empty<std::string>(modem, "Physdev"));
  }

  if (const Properties* g = find_interface(object, mm::kModem3gpp)) {
    auto out3 = out.initThreeGpp();
    if (!redaction.imei) out3.setImei(ref_or_empty<std::string>(g, "Imei"));
    out3.setRegistrationState(get_or<std::uint32_t>(g, "RegistrationState"));
    out3.setOperatorCode(ref_or_empty<std::string>(g, "OperatorCode"));
    out3.setOperatorName(ref_or_empty<std::string>(g, "OperatorName"));
    out3.setSubscriptionState(get_or<std::uint32_t>(g, "SubscriptionState"));
    out3.setPacketServiceState(get_or<std::uint32_t>(g, "PacketServiceState"));
    out3.setEnabledFacilityLocks(get_or<std::uint32_t>(g, "EnabledFacilityLocks"));
    fill_network_rejection(ref_or_empty<Value::Dict>(g, "NetworkRejection"), out3);
  }
  if (const Properties* sar = find_interface(object, mm::kSar)) {
    auto out_sar = out.initSar();
    out_sar.setEnabled(get_or<bool>(sar, "State"));
    out_sar.setPowerLevel(get_or<std::uint32_t>(sar, "PowerLevel"));
  }
  if (const Properties* sig = find_interface(object, mm::kSignal)) fill_signal(*sig, out);
  if (const Properties* loc = find_interface(object, mm::kLocation)) {
    fill_location(*loc, model.location(path), redaction.location, out);
  }
  if (const Properties* msg = find_interface(object, mm::kMessaging)) {
    out.initMessaging().setMessageCount(
        static_cast<std::uint32_t>(ref_or_empty<std::vector<ObjectPath>>(msg, "Messages").size()));
  }
  if (modem == nullptr) return;

  const MirroredObjects& linked = model.linked();
  auto sims = sims_of(*modem, linked);
  const auto& primary_sim = ref_or_empty<ObjectPath>(modem, "Sim");
  auto sim_list = out.initSims(static_cast<unsigned>(sims.size()));
  for (unsigned i = 0; i < sims.size(); ++i) {
    fill_sim(linked.at(sims[i].path), sims[i].path, sims[i].slot, sims[i].path == primary_sim,
             redaction, sim_list[i]);
  }
  std::vector<std::string> bearers;
  for (const auto& b : ref_or_empty<std::vector<ObjectPath>>(modem, "Bearers")) {
    if (linked.count(b)) bearers.push_back(b);
  }
  auto bearer_list = out.initBearers(static_cast<unsigned>(bearers.size()));
  for (unsigned i = 0; i < bearers.size(); ++i) {
    fill_bearer(linked.at(bearers[i]), bearers[i], bearer_list[i]);
  }
}

void fill_counts(const std::map<std::int64_t, std::uint64_t>& counts,
                 capnp::List<s::EventCount>::Builder out) {
  unsigned i = 0;
  for (const auto& [value, count] : counts) {
    out[i].setValue(value);
    out[i].setCount(count);
    ++i;
  }
}

// Every modem gets its events, at 0 before any: counters start at 0.
void fill_events(const ModemEventCounts* counts, s::ModemEvents::Builder out) {
  static const ModemEventCounts kNone;
  const ModemEventCounts& c = counts != nullptr ? *counts : kNone;
  fill_counts(c.state_entries, out.initStateEntries(static_cast<unsigned>(c.state_entries.size())));
  fill_counts(c.state_reasons,
              out.initStateChangeReasons(static_cast<unsigned>(c.state_reasons.size())));
  fill_counts(c.registration_entries,
              out.initRegistrationEntries(static_cast<unsigned>(c.registration_entries.size())));
  out.setBearerConnects(c.bearer_connects);
  out.setBearerDisconnects(c.bearer_disconnects);
  out.setLastStateChangeUnixNanos(c.last_state_change_unix_nanos);
}

void fill_cells(const ModemModel& model, const std::string& path, s::Modem::Builder out) {
  if (model.cell_info_unsupported(path)) {
    out.setCellInfo(s::CellInfoStatus::UNSUPPORTED);
    return;
  }
  const CellReport* report = model.cells(path);
  if (report == nullptr) return;
  out.setCellInfo(s::CellInfoStatus::READ);
  out.setCellsDropped(report->dropped);
  auto list = out.initCells(static_cast<unsigned>(report->cells.size()));
  for (unsigned i = 0; i < report->cells.size(); ++i) {
    const Cell& c = report->cells[i];
    auto o = list[i];
    o.setCellType(c.cell_type);
    o.setServing(c.serving);
    o.setRole(c.role);
    o.setOperatorId(c.operator_id);
    o.setLac(c.lac);
    o.setTac(c.tac);
    o.setCi(c.ci);
    o.setPci(c.pci);
    if (c.arfcn) {
      o.setHasArfcn(true);
      o.setArfcn(*c.arfcn);
      if (c.cell_type == 5) o.setBand(lte_band_of_earfcn(*c.arfcn));  // MM_CELL_TYPE_LTE
    }
    if (c.bandwidth) {
      o.setHasBandwidth(true);
      o.setBandwidth(*c.bandwidth);
    }
    o.setRsrpDbm(c.rsrp);
    o.setRsrqDb(c.rsrq);
    o.setSinrDb(c.sinr);
    o.setRscpDbm(c.rscp);
    o.setEcioDb(c.ecio);
    o.setRxLevelDbm(c.rx_level_dbm);
    o.setTimingAdvance(c.timing_advance);
  }
}

}  // namespace

void set_error_counts(capnp::MessageBuilder& message, const ErrorCounters& counters) {
  auto errors = message.getRoot<s::Snapshot>().getCollection().getErrors();
  for (unsigned i = 0; i < std::size(kErrorKinds); ++i) {
    errors[i].setCount(counters.get(kErrorKinds[i]));
  }
}

void set_collector_process(capnp::MessageBuilder& message, const ProcessSample& process) {
  auto out = message.getRoot<s::Snapshot>().getCollectorProcess();
  out.setCpuSecondsTotal(process.cpu_seconds_total);
  out.setResidentMemoryBytes(process.resident_memory_bytes);
  out.setStartTimeSeconds(process.start_time_seconds);
  out.setOpenFds(process.open_fds);
  out.setMaxFds(process.max_fds);
}

std::vector<SnapshotCut> build_snapshot(const ModemModel& model, const SnapshotContext& context,
                                        capnp::MessageBuilder& message) {
  auto snapshot = message.initRoot<s::Snapshot>();
  snapshot.setSequence(context.sequence);
  snapshot.setGeneration(context.generation);
  snapshot.setTimeUnixNanos(wall_clock_nanos());
  snapshot.setHeartbeatIntervalMillis(
      static_cast<std::uint32_t>(context.heartbeat_interval.count()));

  auto manager = snapshot.initManager();
  manager.setPresent(model.manager_present());
  manager.setVersion(model.manager_version());

  auto collection = snapshot.initCollection();
  collection.setDurationSeconds(context.collection.duration_seconds);
  collection.setSuccess(context.collection.success);
  collection.setCallWindow(context.call_window);
  collection.setCallsInFlightMax(context.calls_in_flight_max);
  collection.setCallRetries(context.call_retries);
  snapshot.setFirstCollectionPending(context.first_collection_pending);
  // Every kind from the start, at 0: rate() and increase() then see the
  // first error of a kind too.
  auto errors = collection.initErrors(static_cast<unsigned>(std::size(kErrorKinds)));
  for (unsigned i = 0; i < std::size(kErrorKinds); ++i) {
    errors[i].setKind(error_kind_name(kErrorKinds[i]));
  }
  if (context.errors != nullptr) set_error_counts(message, *context.errors);

  snapshot.initCollectorProcess();
  set_collector_process(message, context.process);

  const BuildInfo& b = build_info();
  auto build = snapshot.initCollectorBuild();
  build.setVersion(b.version);
  build.setRevision(b.revision);
  build.setCompiler(b.compiler);
  build.setCapnp(b.capnp);
  build.setSdbusCpp(b.sdbus_cpp);
  build.setHttplib(b.httplib);

  if (!model.manager_present()) {
    snapshot.initModems(0);
    return fit_snapshot_to_limits(snapshot);
  }
  // Sorted by DeviceIdentifier so renderings are stable across restarts,
  // which renumber the D-Bus paths.
  std::vector<std::pair<const std::string*, const std::string*>> order;
  for (const auto& [path, object] : model.modems()) {
    const Properties* modem = find_interface(object, mm::kModem);
    order.emplace_back(&ref_or_empty<std::string>(modem, "DeviceIdentifier"), &path);
  }
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return std::tie(*x.first, *x.second) < std::tie(*y.first, *y.second);
  });
  auto modems = snapshot.initModems(static_cast<unsigned>(order.size()));
  for (unsigned i = 0; i < order.size(); ++i) {
    const std::string& path = *order[i].second;
    fill_modem(model, path, model.modems().at(path), context.redaction, modems[i]);
    fill_cells(model, path, modems[i]);
    if (context.events != nullptr && modems[i].getHasModemInterface()) {
      fill_events(context.events->find(*order[i].first), modems[i].initEvents());
    }
  }
  return fit_snapshot_to_limits(snapshot);
}

}  // namespace mmx
