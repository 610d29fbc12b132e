#include "snapshot_builder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "build_info.h"
#include "mm_dbus.h"
#include "snapshot.capnp.h"

namespace mmx {
namespace {

namespace s = schema;
using VariantDict = std::map<std::string, sdbus::Variant>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const PropertyMap* find_interface(const InterfaceMap& object, const char* interface) {
  auto it = object.find(interface);
  return it == object.end() ? nullptr : &it->second;
}

// Types were checked when the value entered the model (property_schema).
template <typename T>
T get_or(const PropertyMap* properties, const char* name, T fallback = T{}) {
  if (properties == nullptr) return fallback;
  auto it = properties->find(name);
  return it == properties->end() ? fallback : it->second.get<T>();
}

// A numeric dictionary entry as double, whatever integer or float type the
// sender used; NaN when absent or not a number.
double number(const VariantDict& dict, const char* key) {
  auto it = dict.find(key);
  if (it == dict.end()) return kNaN;
  const sdbus::Variant& v = it->second;
  const std::string type = v.peekValueType();
  if (type == "d") return v.get<double>();
  if (type == "u") return v.get<std::uint32_t>();
  if (type == "t") return static_cast<double>(v.get<std::uint64_t>());
  if (type == "i") return v.get<std::int32_t>();
  if (type == "x") return static_cast<double>(v.get<std::int64_t>());
  if (type == "q") return v.get<std::uint16_t>();
  if (type == "n") return v.get<std::int16_t>();
  if (type == "y") return v.get<std::uint8_t>();
  return kNaN;
}

std::string text(const VariantDict& dict, const char* key) {
  auto it = dict.find(key);
  if (it == dict.end() || it->second.peekValueType() != "s") return {};
  return it->second.get<std::string>();
}

void set_text_list(capnp::List<capnp::Text>::Builder list, const std::vector<std::string>& v) {
  for (unsigned i = 0; i < v.size(); ++i) list.set(i, v[i]);
}

std::string last_path_element(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

void fill_signal_values(const PropertyMap* signal, const char* property,
                        s::SignalValues::Builder (s::Signal::Builder::*init)(),
                        s::Signal::Builder& out) {
  auto dict = get_or<VariantDict>(signal, property);
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

void fill_signal(const PropertyMap& signal, s::Modem::Builder& modem) {
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

void fill_location(const PropertyMap& location, const LocationMap* fix, bool redact,
                   s::Modem::Builder& modem) {
  auto out = modem.initLocation();
  out.setCapabilities(get_or<std::uint32_t>(&location, "Capabilities"));
  out.setEnabled(get_or<std::uint32_t>(&location, "Enabled"));
  if (redact) return;
  // A modem that signals its location carries it in the Location property;
  // otherwise the polled GetLocation result is used.
  LocationMap current;
  if (fix != nullptr) {
    current = *fix;
  } else if (get_or<bool>(&location, "SignalsLocation")) {
    current = get_or<LocationMap>(&location, "Location");
  }
  if (auto it = current.find(mm::kLocation3gppLacCi);
      it != current.end() && it->second.peekValueType() == "s") {
    auto parts = split_commas(it->second.get<std::string>());
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
    auto it = current.find(source);
    if (it == current.end() || it->second.peekValueType() != "a{sv}") continue;
    auto dict = it->second.get<VariantDict>();
    const double latitude = number(dict, "latitude");
    const double longitude = number(dict, "longitude");
    if (std::isnan(latitude) || std::isnan(longitude)) continue;
    out.setLatitudeDegrees(latitude);
    out.setLongitudeDegrees(longitude);
    out.setAltitudeMeters(number(dict, "altitude"));
    out.setPositionSource(source);
    break;  // gps-raw wins over cdma-bs
  }
}

void fill_sim(const InterfaceMap& object, const std::string& path, std::uint32_t slot, bool primary,
              const Redaction& redaction, s::Sim::Builder out) {
  const PropertyMap* sim = find_interface(object, mm::kSim);
  out.setPath(path);
  out.setSlot(slot);
  out.setPrimary(primary);
  out.setActive(get_or<bool>(sim, "Active", primary));
  if (!redaction.iccid) out.setIccid(get_or<std::string>(sim, "SimIdentifier"));
  if (!redaction.imsi) out.setImsi(get_or<std::string>(sim, "Imsi"));
  if (!redaction.eid) out.setEid(get_or<std::string>(sim, "Eid"));
  out.setOperatorIdentifier(get_or<std::string>(sim, "OperatorIdentifier"));
  out.setOperatorName(get_or<std::string>(sim, "OperatorName"));
  out.setSimType(get_or<std::uint32_t>(sim, "SimType"));
}

void fill_bearer(const InterfaceMap& object, const std::string& path, s::Bearer::Builder out) {
  const PropertyMap* bearer = find_interface(object, mm::kBearer);
  out.setPath(path);
  out.setIndex(last_path_element(path));
  out.setInterface(get_or<std::string>(bearer, "Interface"));
  out.setConnected(get_or<bool>(bearer, "Connected"));
  out.setBearerType(get_or<std::uint32_t>(bearer, "BearerType"));
  out.setMultiplexed(get_or<bool>(bearer, "Multiplexed"));
  auto properties = get_or<VariantDict>(bearer, "Properties");
  out.setApn(text(properties, "apn"));
  const double ip_type = number(properties, "ip-type");
  out.setIpType(std::isnan(ip_type) ? 0u : static_cast<std::uint32_t>(ip_type));
  using ErrorPair = sdbus::Struct<std::string, std::string>;
  if (bearer != nullptr && bearer->count("ConnectionError")) {
    auto error = bearer->at("ConnectionError").get<ErrorPair>();
    out.setConnectionErrorName(std::get<0>(error));
    out.setConnectionErrorMessage(std::get<1>(error));
  }
  auto stats = get_or<VariantDict>(bearer, "Stats");
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

std::vector<SimRef> sims_of(const PropertyMap& modem, const ObjectMap& linked) {
  std::vector<SimRef> refs;
  auto slots = get_or<std::vector<sdbus::ObjectPath>>(&modem, "SimSlots");
  for (std::uint32_t i = 0; i < slots.size(); ++i) {
    if (slots[i] != "/" && linked.count(slots[i])) refs.push_back({slots[i], i + 1});
  }
  if (refs.empty()) {
    auto primary = get_or<sdbus::ObjectPath>(&modem, "Sim");
    if (!primary.empty() && primary != "/" && linked.count(primary)) refs.push_back({primary, 0});
  }
  return refs;
}

void fill_modem(const ModemModel& model, const std::string& path, const InterfaceMap& object,
                const Redaction& redaction, s::Modem::Builder out) {
  out.setPath(path);
  const PropertyMap* modem = find_interface(object, mm::kModem);
  out.setHasModemInterface(modem != nullptr);
  out.setDeviceId(get_or<std::string>(modem, "DeviceIdentifier"));
  if (modem != nullptr) {
    out.setManufacturer(get_or<std::string>(modem, "Manufacturer"));
    out.setModel(get_or<std::string>(modem, "Model"));
    out.setRevision(get_or<std::string>(modem, "Revision"));
    out.setHardwareRevision(get_or<std::string>(modem, "HardwareRevision"));
    out.setPlugin(get_or<std::string>(modem, "Plugin"));
    out.setPrimaryPort(get_or<std::string>(modem, "PrimaryPort"));
    out.setDevice(get_or<std::string>(modem, "Device"));
    auto drivers = get_or<std::vector<std::string>>(modem, "Drivers");
    set_text_list(out.initDrivers(static_cast<unsigned>(drivers.size())), drivers);
    if (!redaction.imei)
      out.setEquipmentIdentifier(get_or<std::string>(modem, "EquipmentIdentifier"));
    out.setCarrierConfiguration(get_or<std::string>(modem, "CarrierConfiguration"));
    out.setCarrierConfigurationRevision(get_or<std::string>(modem, "CarrierConfigurationRevision"));
    using PortPair = sdbus::Struct<std::string, std::uint32_t>;
    auto ports = get_or<std::vector<PortPair>>(modem, "Ports");
    auto port_list = out.initPorts(static_cast<unsigned>(ports.size()));
    for (unsigned i = 0; i < ports.size(); ++i) {
      port_list[i].setName(std::get<0>(ports[i]));
      port_list[i].setType(std::get<1>(ports[i]));
    }
    if (!redaction.msisdn) {
      auto numbers = get_or<std::vector<std::string>>(modem, "OwnNumbers");
      set_text_list(out.initOwnNumbers(static_cast<unsigned>(numbers.size())), numbers);
    }
    out.setState(get_or<std::int32_t>(modem, "State"));
    out.setStateFailedReason(get_or<std::uint32_t>(modem, "StateFailedReason"));
    out.setPowerState(get_or<std::uint32_t>(modem, "PowerState"));
    using Quality = sdbus::Struct<std::uint32_t, bool>;
    auto quality = get_or<Quality>(modem, "SignalQuality", Quality{0u, false});
    out.setSignalQualityPercent(std::get<0>(quality));
    out.setSignalQualityRecent(std::get<1>(quality));
    out.setAccessTechnologies(get_or<std::uint32_t>(modem, "AccessTechnologies"));
    out.setUnlockRequired(get_or<std::uint32_t>(modem, "UnlockRequired"));
    auto retries = get_or<std::map<std::uint32_t, std::uint32_t>>(modem, "UnlockRetries");
    auto retry_list = out.initUnlockRetries(static_cast<unsigned>(retries.size()));
    unsigned r = 0;
    for (const auto& [lock, count] : retries) {
      retry_list[r].setLock(lock);
      retry_list[r].setRetries(count);
      ++r;
    }
    out.setMaxBearers(get_or<std::uint32_t>(modem, "MaxBearers"));
    out.setMaxActiveBearers(get_or<std::uint32_t>(modem, "MaxActiveBearers"));
    auto bands = get_or<std::vector<std::uint32_t>>(modem, "CurrentBands");
    auto band_list = out.initCurrentBands(static_cast<unsigned>(bands.size()));
    for (unsigned i = 0; i < bands.size(); ++i) band_list.set(i, bands[i]);
    using Modes = sdbus::Struct<std::uint32_t, std::uint32_t>;
    auto modes = get_or<Modes>(modem, "CurrentModes", Modes{0u, 0u});
    out.setCurrentModesAllowed(std::get<0>(modes));
    out.setCurrentModesPreferred(std::get<1>(modes));
    out.setCurrentCapabilities(get_or<std::uint32_t>(modem, "CurrentCapabilities"));
  }

  if (const PropertyMap* g = find_interface(object, mm::kModem3gpp)) {
    auto out3 = out.initThreeGpp();
    if (!redaction.imei) out3.setImei(get_or<std::string>(g, "Imei"));
    out3.setRegistrationState(get_or<std::uint32_t>(g, "RegistrationState"));
    out3.setOperatorCode(get_or<std::string>(g, "OperatorCode"));
    out3.setOperatorName(get_or<std::string>(g, "OperatorName"));
    out3.setSubscriptionState(get_or<std::uint32_t>(g, "SubscriptionState"));
    out3.setPacketServiceState(get_or<std::uint32_t>(g, "PacketServiceState"));
    out3.setEnabledFacilityLocks(get_or<std::uint32_t>(g, "EnabledFacilityLocks"));
  }
  if (const PropertyMap* sig = find_interface(object, mm::kSignal)) fill_signal(*sig, out);
  if (const PropertyMap* loc = find_interface(object, mm::kLocation)) {
    fill_location(*loc, model.location(path), redaction.location, out);
  }
  if (const PropertyMap* msg = find_interface(object, mm::kMessaging)) {
    out.initMessaging().setMessageCount(
        static_cast<std::uint32_t>(get_or<std::vector<sdbus::ObjectPath>>(msg, "Messages").size()));
  }
  if (modem == nullptr) return;

  const ObjectMap& linked = model.linked();
  auto sims = sims_of(*modem, linked);
  const auto primary_sim = get_or<sdbus::ObjectPath>(modem, "Sim");
  auto sim_list = out.initSims(static_cast<unsigned>(sims.size()));
  for (unsigned i = 0; i < sims.size(); ++i) {
    fill_sim(linked.at(sims[i].path), sims[i].path, sims[i].slot, sims[i].path == primary_sim,
             redaction, sim_list[i]);
  }
  std::vector<std::string> bearers;
  for (const auto& b : get_or<std::vector<sdbus::ObjectPath>>(modem, "Bearers")) {
    if (linked.count(b)) bearers.push_back(b);
  }
  auto bearer_list = out.initBearers(static_cast<unsigned>(bearers.size()));
  for (unsigned i = 0; i < bearers.size(); ++i) {
    fill_bearer(linked.at(bearers[i]), bearers[i], bearer_list[i]);
  }
}

}  // namespace

void set_collector_process(capnp::MessageBuilder& message, const ProcessSample& process) {
  auto out = message.getRoot<s::Snapshot>().getCollectorProcess();
  out.setCpuSecondsTotal(process.cpu_seconds_total);
  out.setResidentMemoryBytes(process.resident_memory_bytes);
  out.setStartTimeSeconds(process.start_time_seconds);
  out.setOpenFds(process.open_fds);
  out.setMaxFds(process.max_fds);
}

void build_snapshot(const ModemModel& model, const SnapshotContext& context,
                    capnp::MessageBuilder& message) {
  auto snapshot = message.initRoot<s::Snapshot>();
  snapshot.setSequence(context.sequence);
  snapshot.setGeneration(context.generation);
  snapshot.setTimeUnixNanos(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                std::chrono::system_clock::now().time_since_epoch())
                                .count());
  snapshot.setHeartbeatIntervalMillis(
      static_cast<std::uint32_t>(context.heartbeat_interval.count()));

  auto manager = snapshot.initManager();
  manager.setPresent(model.manager_present());
  manager.setVersion(model.manager_version());

  auto collection = snapshot.initCollection();
  collection.setDurationSeconds(context.collection.duration_seconds);
  collection.setSuccess(context.collection.success);
  // Every kind from the start, at 0: rate() and increase() then see the
  // first error of a kind too.
  constexpr ErrorKind kKinds[] = {ErrorKind::kTimeout,      ErrorKind::kUnauthorized,
                                  ErrorKind::kUnsupported,  ErrorKind::kCallFailed,
                                  ErrorKind::kInvalidReply, ErrorKind::kInvalidValue};
  auto errors = collection.initErrors(static_cast<unsigned>(std::size(kKinds)));
  for (unsigned i = 0; i < std::size(kKinds); ++i) {
    errors[i].setKind(error_kind_name(kKinds[i]));
    errors[i].setCount(context.errors != nullptr ? context.errors->get(kKinds[i]) : 0);
  }

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
    return;
  }
  // Sorted by DeviceIdentifier so renderings are stable across restarts,
  // which renumber the D-Bus paths.
  std::vector<std::pair<std::string, const std::string*>> order;
  for (const auto& [path, object] : model.modems()) {
    const PropertyMap* modem = find_interface(object, mm::kModem);
    order.emplace_back(get_or<std::string>(modem, "DeviceIdentifier"), &path);
  }
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return std::tie(x.first, *x.second) < std::tie(y.first, *y.second);
  });
  auto modems = snapshot.initModems(static_cast<unsigned>(order.size()));
  for (unsigned i = 0; i < order.size(); ++i) {
    const std::string& path = *order[i].second;
    fill_modem(model, path, model.modems().at(path), context.redaction, modems[i]);
  }
}

}  // namespace mmx
