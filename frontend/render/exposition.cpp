#include "exposition.h"

#include <ModemManager.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <optional>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "capnp_text.h"
#include "checked_snapshot.h"
#include "exposition_parts.h"
#include "metric_families.h"
#include "mm_names.h"

namespace mmx {
namespace {

using enum FamilyId;

// A rough upper bound of one modem's share of the page (about 110 series of
// about 100 bytes), so the page is built in one allocation.
constexpr std::size_t kBytesPerModem = 16 * 1024;
constexpr std::size_t kBytesBase = 4 * 1024;

std::string_view bool_text(bool b) {
  return b ? "true" : "false";
}

double bool_value(bool b) {
  return b ? 1.0 : 0.0;
}

// What the renderer reads of a bearer and a modem, looked up once: every
// family walks all modems, and each pointer a Cap'n Proto reader follows
// costs time and counts against the reader's traversal limit.
struct BearerView {
  schema::Bearer::Reader bearer;
  std::string_view index;
  std::optional<schema::BearerStats::Reader> stats;
  std::string labels;  // device_id="…",bearer="…"
};

// The signal technologies in the order of their families; error_rate's
// technology label uses these names, as the modemmanager_signal_* names do.
enum Technology : std::size_t { kCdma, kEvdo, kGsm, kUmts, kLte, kNr5g, kTechnologies };
constexpr std::array<std::string_view, kTechnologies> kTechnologyNames = {"cdma", "evdo", "gsm",
                                                                          "umts", "lte",  "nr5g"};

struct SignalView {
  std::uint32_t rate_seconds;
  std::array<schema::SignalValues::Reader, kTechnologies> values;
};

struct ModemView {
  schema::Modem::Reader modem;
  std::string_view device_id;
  bool has_modem_interface;
  std::optional<schema::ThreeGpp::Reader> three_gpp;
  std::optional<SignalView> signal;
  std::optional<schema::Location::Reader> location;
  std::optional<schema::Messaging::Reader> messaging;
  std::string labels;  // device_id="…"
  std::vector<BearerView> bearers;
  std::span<const schema::Sim::Reader> sims;  // by slot, one per slot
};

ModemView modem_view(const CheckedModem& checked) {
  const auto modem = checked.modem;
  ModemView v{modem, checked.device_id, modem.getHasModemInterface(), {}, {}, {}, {}, {},
              {},    checked.sims};
  if (modem.hasThreeGpp()) v.three_gpp = modem.getThreeGpp();
  if (modem.hasSignal()) {
    const auto s = modem.getSignal();
    v.signal =
        SignalView{s.getRateSeconds(),
                   {s.getCdma(), s.getEvdo(), s.getGsm(), s.getUmts(), s.getLte(), s.getNr5g()}};
  }
  if (modem.hasLocation()) v.location = modem.getLocation();
  if (modem.hasMessaging()) v.messaging = modem.getMessaging();
  append_label(v.labels, "device_id", v.device_id);
  v.bearers.reserve(checked.bearers.size());
  for (const CheckedBearer& b : checked.bearers) {
    BearerView view{b.bearer, b.index, b.stats, v.labels};
    view.labels.push_back(',');
    append_label(view.labels, "bearer", b.index);
    v.bearers.push_back(std::move(view));
  }
  return v;
}

// The modems to render, in the checked snapshot's order (by device id, one
// per device id), with their label sets rendered once.
std::vector<ModemView> modem_views(const CheckedSnapshot& snapshot) {
  std::vector<ModemView> views;
  views.reserve(snapshot.modems().size());
  for (const CheckedModem& modem : snapshot.modems()) views.push_back(modem_view(modem));
  return views;
}

class SnapshotRenderer {
 public:
  SnapshotRenderer(std::string& out, const CheckedSnapshot& checked, Format format)
      : w_(out, format), checked_(checked), snapshot_(checked.raw()) {}

  void render() {
    // Before the collector's first full collection has ended, the snapshot
    // knows nothing of ModemManager: no series may claim anything about it
    // (modemmanager_up 0 would record an outage that never happened).
    // The collector's own counters hold from the start.
    if (snapshot_.getFirstCollectionPending()) {
      render_collector_calls();
      return;
    }
    const auto manager = snapshot_.getManager();
    const bool present = manager.getPresent();
    begin_family(w_, kUp);
    w_.begin_sample();
    w_.value(bool_value(present));
    // Without ModemManager there is nothing it reports, not even "0 modems":
    // the collector's model was dropped with its bus name.
    if (present) {
      modems_ = modem_views(checked_);
      begin_family(w_, kModemManagerInfo);
      w_.begin_sample();
      w_.label("version", text(manager.getVersion()));
      w_.value(1);
      begin_family(w_, kModems);
      w_.begin_sample();
      w_.value(static_cast<double>(modems_.size()));
    }
    render_collection();
    if (!present) return;
    render_modem_interface();
    render_3gpp();
    render_events();
    render_signal();
    render_messaging();
    render_location();
    render_cell_families();
    render_sims();
    render_bearers();
  }

 private:
  void render_collection() {
    const auto collection = snapshot_.getCollection();
    begin_family(w_, kScrapeDurationSeconds);
    if (const double d = collection.getDurationSeconds(); !std::isnan(d)) {
      w_.begin_sample();
      w_.value(d);
    }
    begin_family(w_, kScrapeSuccess);
    w_.begin_sample();
    w_.value(bool_value(collection.getSuccess()));
    render_collector_calls();
  }

  // D-Bus errors since start and the call window.
  void render_collector_calls() {
    const auto collection = snapshot_.getCollection();

    // The checked snapshot has the kinds sorted, a kind listed twice (a
    // collector bug) summed rather than written as a duplicate series.
    begin_family(w_, kScrapeErrorsTotal);
    for (const ErrorKindCount& e : checked_.errors()) {
      w_.begin_sample();
      w_.label("kind", e.kind);
      w_.value(static_cast<double>(e.count));
    }
    render_dbus_calls(w_, collection);
  }

  // One series per modem with `value(modem)` when it is not NaN; modems
  // without the Modem interface's properties are skipped.
  template <typename Value>
  void modem_gauge(FamilyId id, Value value) {
    begin_family(w_, id);
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      const double v = value(m.modem);
      if (std::isnan(v)) continue;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.value(v);
    }
  }

  // One series per value ModemManager defines for `type`: 1 for `current`, 0
  // for the others. A number ModemManager does not define shows as
  // `label="other"` 1, so the state is never silently all zeros.
  void enum_series(const ModemView& m, std::string_view label, mm::Enum type,
                   std::int64_t current) {
    bool known = false;
    for (const mm::EnumValue& v : mm::values(type)) {
      known = known || v.value == current;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label(label, v.name);
      w_.value(bool_value(v.value == current));
    }
    if (!known) {
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label(label, mm::kOtherName);
      w_.value(1);
    }
  }

  // One series per flag of the bitmask `type`, 1 when set in `mask`.
  void flag_series(const ModemView& m, std::string_view label, mm::Enum type, std::uint64_t mask) {
    for (const mm::EnumValue& v : mm::flags(type)) {
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label(label, v.name);
      w_.value(bool_value((mask & static_cast<std::uint64_t>(v.value)) != 0));
    }
  }

  void render_modem_interface() {
    begin_family(w_, kModemInfo);
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      const auto modem = m.modem;
      scratch_.clear();
      for (auto driver : modem.getDrivers()) {
        if (!scratch_.empty()) scratch_.append(", ");
        scratch_.append(text(driver));
      }
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label("manufacturer", text(modem.getManufacturer()));
      w_.label("model", text(modem.getModel()));
      w_.label("revision", text(modem.getRevision()));
      w_.label("hardware_revision", text(modem.getHardwareRevision()));
      w_.label("plugin", text(modem.getPlugin()));
      w_.label("primary_port", text(modem.getPrimaryPort()));
      w_.label("device", text(modem.getDevice()));
      w_.label("drivers", scratch_);
      w_.label("equipment_identifier", text(modem.getEquipmentIdentifier()));
      w_.label("carrier_configuration", text(modem.getCarrierConfiguration()));
      w_.label("physdev", text(modem.getPhysdev()));
      w_.value(1);
    }

    begin_family(w_, kModemNetworkPortInfo);
    std::vector<std::string_view> ports;
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      ports.clear();
      for (auto port : m.modem.getPorts()) {
        if (port.getType() == MM_MODEM_PORT_TYPE_NET) ports.push_back(text(port.getName()));
      }
      std::sort(ports.begin(), ports.end());
      ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
      for (std::string_view port : ports) {
        w_.begin_sample();
        w_.rendered_labels(m.labels);
        w_.label("device", port);
        w_.value(1);
      }
    }

    begin_family(w_, kModemState);
    for (const ModemView& m : modems_) {
      if (m.has_modem_interface) {
        enum_series(m, "state", mm::Enum::kModemState, m.modem.getState());
      }
    }
    begin_family(w_, kModemStateFailedReason);
    for (const ModemView& m : modems_) {
      if (m.has_modem_interface) {
        enum_series(m, "reason", mm::Enum::kModemStateFailedReason, m.modem.getStateFailedReason());
      }
    }
    begin_family(w_, kModemPowerState);
    for (const ModemView& m : modems_) {
      if (m.has_modem_interface) {
        enum_series(m, "state", mm::Enum::kModemPowerState, m.modem.getPowerState());
      }
    }
    modem_gauge(kModemSignalQualityPercent, [](schema::Modem::Reader modem) {
      return static_cast<double>(modem.getSignalQualityPercent());
    });
    modem_gauge(kModemSignalQualityRecent, [](schema::Modem::Reader modem) {
      return bool_value(modem.getSignalQualityRecent());
    });
    begin_family(w_, kModemAccessTechnology);
    for (const ModemView& m : modems_) {
      if (m.has_modem_interface) {
        flag_series(m, "technology", mm::Enum::kModemAccessTechnology,
                    m.modem.getAccessTechnologies());
      }
    }

    begin_family(w_, kModemCurrentModes);
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      scratch_.clear();
      mm::append_mask_name(scratch_, mm::Enum::kModemMode, m.modem.getCurrentModesAllowed());
      const std::size_t allowed_end = scratch_.size();
      mm::append_mask_name(scratch_, mm::Enum::kModemMode, m.modem.getCurrentModesPreferred());
      const std::string_view both = scratch_;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label("allowed", both.substr(0, allowed_end));
      w_.label("preferred", both.substr(allowed_end));
      w_.value(1);
    }

    // A set of band numbers: value 1 for each band in it.
    begin_family(w_, kModemCurrentBands);
    std::vector<std::pair<std::int64_t, double>> bands;
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      bands.clear();
      for (std::uint32_t band : m.modem.getCurrentBands()) {
        // ModemManager says [unknown] (0) when it cannot tell; mmcli shows
        // no band then, and neither do we.
        if (band != MM_MODEM_BAND_UNKNOWN) bands.emplace_back(band, 1.0);
      }
      render_named_values(m, "band", mm::Enum::kModemBand, bands);
    }

    begin_family(w_, kModemUnlockRequired);
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      const std::uint32_t lock = m.modem.getUnlockRequired();
      if (lock == MM_MODEM_LOCK_UNKNOWN) continue;  // not known: absent, not 0
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label("lock", mm::name(mm::Enum::kModemLock, lock));
      w_.value(bool_value(lock != MM_MODEM_LOCK_NONE));
    }

    begin_family(w_, kModemUnlockRetries);
    std::vector<std::pair<std::int64_t, double>> retries;
    for (const ModemView& m : modems_) {
      if (!m.has_modem_interface) continue;
      retries.clear();
      for (auto r : m.modem.getUnlockRetries()) {
        retries.emplace_back(r.getLock(), static_cast<double>(r.getRetries()));
      }
      render_named_values(m, "lock", mm::Enum::kModemLock, retries);
    }

    modem_gauge(kModemMaxBearers, [](schema::Modem::Reader modem) {
      return static_cast<double>(modem.getMaxBearers());
    });
    modem_gauge(kModemMaxActiveBearers, [](schema::Modem::Reader modem) {
      return static_cast<double>(modem.getMaxActiveBearers());
    });
  }

  // One series per enum value of `pairs` (value, sample), in the order of
  // the values; the first pair of a value wins, and numbers without a name
  // collapse into one `other` series after the named ones, so a label value
  // never repeats.
  void render_named_values(const ModemView& m, std::string_view label, mm::Enum type,
                           std::vector<std::pair<std::int64_t, double>>& pairs) {
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::optional<double> other;
    for (std::size_t i = 0; i < pairs.size(); ++i) {
      if (i > 0 && pairs[i].first == pairs[i - 1].first) continue;
      const std::string_view name = mm::name(type, pairs[i].first);
      if (name == mm::kOtherName) {
        if (!other) other = pairs[i].second;
        continue;
      }
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label(label, name);
      w_.value(pairs[i].second);
    }
    if (other) {
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label(label, mm::kOtherName);
      w_.value(*other);
    }
  }

  void render_3gpp() {
    begin_family(w_, kModem3gppRegistrationState);
    for (const ModemView& m : modems_) {
      if (m.three_gpp) {
        enum_series(m, "state", mm::Enum::kModem3gppRegistrationState,
                    m.three_gpp->getRegistrationState());
      }
    }
    // Operator code and name are strings ("01" stays "01"); empty means
    // ModemManager has none (not registered), which is absent, not "".
    begin_family(w_, kModem3gppOperatorCode);
    for (const ModemView& m : modems_) {
      if (!m.three_gpp) continue;
      const std::string_view code = text(m.three_gpp->getOperatorCode());
      if (code.empty()) continue;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label("operator_code", code);
      w_.value(1);
    }
    begin_family(w_, kModem3gppOperatorName);
    for (const ModemView& m : modems_) {
      if (!m.three_gpp) continue;
      const std::string_view name = text(m.three_gpp->getOperatorName());
      if (name.empty()) continue;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label("operator_name", name);
      w_.value(1);
    }
    begin_family(w_, kModem3gppSubscriptionState);
    for (const ModemView& m : modems_) {
      if (m.three_gpp) {
        enum_series(m, "state", mm::Enum::kModem3gppSubscriptionState,
                    m.three_gpp->getSubscriptionState());
      }
    }
    begin_family(w_, kModem3gppPacketServiceState);
    for (const ModemView& m : modems_) {
      if (m.three_gpp) {
        enum_series(m, "state", mm::Enum::kModem3gppPacketServiceState,
                    m.three_gpp->getPacketServiceState());
      }
    }
  }

  // One series per modem with the Signal interface and a value (not NaN).
  template <typename Value>
  void signal_gauge(FamilyId id, Value value) {
    begin_family(w_, id);
    for (const ModemView& m : modems_) {
      if (!m.signal) continue;
      const double v = value(*m.signal);
      if (std::isnan(v)) continue;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.value(v);
    }
  }

  void render_signal() {
    using S = const SignalView&;
    signal_gauge(kSignalRefreshRateSeconds,
                 [](S s) { return static_cast<double>(s.rate_seconds); });
    signal_gauge(kSignalLteRssiDbm, [](S s) { return s.values[kLte].getRssi(); });
    signal_gauge(kSignalLteRsrqDb, [](S s) { return s.values[kLte].getRsrq(); });
    signal_gauge(kSignalLteRsrpDbm, [](S s) { return s.values[kLte].getRsrp(); });
    signal_gauge(kSignalLteSnrDb, [](S s) { return s.values[kLte].getSnr(); });
    signal_gauge(kSignalUmtsRssiDbm, [](S s) { return s.values[kUmts].getRssi(); });
    signal_gauge(kSignalUmtsEcioDb, [](S s) { return s.values[kUmts].getEcio(); });
    signal_gauge(kSignalUmtsRscpDbm, [](S s) { return s.values[kUmts].getRscp(); });
    signal_gauge(kSignalGsmRssiDbm, [](S s) { return s.values[kGsm].getRssi(); });
    signal_gauge(kSignalCdmaRssiDbm, [](S s) { return s.values[kCdma].getRssi(); });
    signal_gauge(kSignalCdmaEcioDb, [](S s) { return s.values[kCdma].getEcio(); });
    signal_gauge(kSignalEvdoRssiDbm, [](S s) { return s.values[kEvdo].getRssi(); });
    signal_gauge(kSignalEvdoEcioDb, [](S s) { return s.values[kEvdo].getEcio(); });
    signal_gauge(kSignalEvdoSinrDb, [](S s) { return s.values[kEvdo].getSinr(); });
    signal_gauge(kSignalEvdoIoDbm, [](S s) { return s.values[kEvdo].getIo(); });
    signal_gauge(kSignalNr5gRsrpDbm, [](S s) { return s.values[kNr5g].getRsrp(); });
    signal_gauge(kSignalNr5gRsrqDb, [](S s) { return s.values[kNr5g].getRsrq(); });
    signal_gauge(kSignalNr5gSnrDb, [](S s) { return s.values[kNr5g].getSnr(); });

    begin_family(w_, kSignalErrorRatePercent);
    for (const ModemView& m : modems_) {
      if (!m.signal) continue;
      for (std::size_t t = 0; t < kTechnologies; ++t) {
        const double v = m.signal->values[t].getErrorRate();
        if (std::isnan(v)) continue;
        w_.begin_sample();
        w_.rendered_labels(m.labels);
        w_.label("technology", kTechnologyNames[t]);
        w_.value(v);
      }
    }
  }

  // The modems with the Modem interface's properties, for the parts
  // rendered outside this class.
  std::vector<ModemRef> modem_refs() const {
    std::vector<ModemRef> refs;
    refs.reserve(modems_.size());
    for (const ModemView& m : modems_) {
      if (m.has_modem_interface) refs.push_back({m.modem, m.labels});
    }
    return refs;
  }

  void render_events() {
    const std::vector<ModemRef> refs = modem_refs();
    render_newer_daemon(w_, refs);
    render_modem_events(w_, refs);
  }
  void render_cell_families() { render_cells(w_, modem_refs()); }

  void render_messaging() {
    begin_family(w_, kMessagingSupported);
    for (const ModemView& m : modems_) {
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.value(bool_value(m.messaging.has_value()));
    }
    begin_family(w_, kMessagingSmsCount);
    for (const ModemView& m : modems_) {
      if (!m.messaging) continue;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.value(static_cast<double>(m.messaging->getMessageCount()));
    }
  }

  template <typename Value>
  void location_gauge(FamilyId id, Value value) {
    begin_family(w_, id);
    for (const ModemView& m : modems_) {
      if (!m.location) continue;
      const double v = value(*m.location);
      if (std::isnan(v)) continue;
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.value(v);
    }
  }

  void render_location() {
    begin_family(w_, kLocationEnabled);
    for (const ModemView& m : modems_) {
      if (m.location) {
        flag_series(m, "source", mm::Enum::kModemLocationSource, m.location->getEnabled());
      }
    }
    using L = schema::Location::Reader;
    location_gauge(kLocationLatitudeDegrees, [](L l) { return l.getLatitudeDegrees(); });
    location_gauge(kLocationLongitudeDegrees, [](L l) { return l.getLongitudeDegrees(); });
    location_gauge(kLocationAltitudeMeters, [](L l) { return l.getAltitudeMeters(); });
    begin_family(w_, kLocation3gppInfo);
    for (const ModemView& m : modems_) {
      if (!m.location || !m.location->hasThreeGpp()) continue;
      const auto cell = m.location->getThreeGpp();
      w_.begin_sample();
      w_.rendered_labels(m.labels);
      w_.label("mcc", text(cell.getMcc()));
      w_.label("mnc", text(cell.getMnc()));
      w_.label("lac", text(cell.getLac()));
      w_.label("tac", text(cell.getTac()));
      w_.label("cell_id", text(cell.getCellId()));
      w_.value(1);
    }
  }

  void render_sims() {
    begin_family(w_, kSimInfo);
    char slot_text[16];
    for (const ModemView& m : modems_) {
      for (auto sim : m.sims) {
        w_.begin_sample();
        w_.rendered_labels(m.labels);
        if (sim.getSlot() != 0) {  // 0: the modem has no SIM slots
          auto [end, error] = std::to_chars(slot_text, slot_text + sizeof slot_text, sim.getSlot());
          w_.label("slot", std::string_view(slot_text, static_cast<std::size_t>(end - slot_text)));
        }
        w_.label("active", bool_text(sim.getActive()));
        w_.label("iccid", text(sim.getIccid()));
        w_.label("imsi", text(sim.getImsi()));
        w_.label("eid", text(sim.getEid()));
        w_.label("operator_identifier", text(sim.getOperatorIdentifier()));
        w_.label("operator_name", text(sim.getOperatorName()));
        w_.label("sim_type", mm::name(mm::Enum::kSimType, sim.getSimType()));
        w_.value(1);
      }
    }
  }

  // One series per bearer with `value(bearer)` when it is not NaN.
  template <typename Value>
  void bearer_gauge(FamilyId id, Value value) {
    begin_family(w_, id);
    for (const ModemView& m : modems_) {
      for (const BearerView& b : m.bearers) {
        const double v = value(b.bearer);
        if (std::isnan(v)) continue;
        w_.begin_sample();
        w_.rendered_labels(b.labels);
        w_.value(v);
      }
    }
  }

  // Bearer statistics; absent when ModemManager reports none.
  template <typename Value>
  void bearer_stat(FamilyId id, Value value) {
    begin_family(w_, id);
    for (const ModemView& m : modems_) {
      for (const BearerView& b : m.bearers) {
        if (!b.stats) continue;
        const double v = value(*b.stats);
        if (std::isnan(v)) continue;
        w_.begin_sample();
        w_.rendered_labels(b.labels);
        w_.value(v);
      }
    }
  }

  void render_bearers() {
    begin_family(w_, kBearerInfo);
    for (const ModemView& m : modems_) {
      for (const BearerView& b : m.bearers) {
        scratch_.clear();
        mm::append_mask_name(scratch_, mm::Enum::kBearerIpFamily, b.bearer.getIpType());
        w_.begin_sample();
        w_.rendered_labels(b.labels);
        w_.label("interface", text(b.bearer.getInterface()));
        w_.label("apn", text(b.bearer.getApn()));
        w_.label("ip_type", scratch_);
        w_.label("bearer_type", mm::name(mm::Enum::kBearerType, b.bearer.getBearerType()));
        w_.label("multiplexed", bool_text(b.bearer.getMultiplexed()));
        w_.value(1);
      }
    }
    bearer_gauge(kBearerConnected,
                 [](schema::Bearer::Reader b) { return bool_value(b.getConnected()); });
    using St = schema::BearerStats::Reader;
    bearer_stat(kBearerRxBytesTotal, [](St s) { return s.getTotalRxBytes(); });
    bearer_stat(kBearerTxBytesTotal, [](St s) { return s.getTotalTxBytes(); });
    bearer_stat(kBearerConnectionDurationSeconds, [](St s) { return s.getDurationSeconds(); });
    bearer_stat(kBearerConnectionAttemptsTotal, [](St s) { return s.getAttempts(); });
    bearer_stat(kBearerConnectionFailedAttemptsTotal, [](St s) { return s.getFailedAttempts(); });
    bearer_stat(kBearerUplinkSpeedBps, [](St s) { return s.getUplinkSpeedBps(); });
    bearer_stat(kBearerDownlinkSpeedBps, [](St s) { return s.getDownlinkSpeedBps(); });

    begin_family(w_, kBearerConnectionErrorInfo);
    for (const ModemView& m : modems_) {
      for (const BearerView& b : m.bearers) {
        const std::string_view error = text(b.bearer.getConnectionErrorName());
        if (error.empty()) continue;
        w_.begin_sample();
        w_.rendered_labels(b.labels);
        w_.label("error", error);
        w_.label("message", text(b.bearer.getConnectionErrorMessage()));
        w_.value(1);
      }
    }
  }

  ExpositionWriter w_;
  const CheckedSnapshot& checked_;
  schema::Snapshot::Reader snapshot_;
  std::vector<ModemView> modems_;
  std::string scratch_;
};

// Ends a sample with `value`, its bytes in `out` recorded in `ranges` if any.
void value_in_range(ExpositionWriter& w, const std::string& out, double value, TextRanges* ranges) {
  const std::size_t begin = out.size();
  w.value(value);
  if (ranges != nullptr) ranges->emplace_back(begin, out.size());
}

// process_* of both processes in one block per family: the collector's as
// it read them for the snapshot, the frontend's own, its value's range
// recorded in `per_scrape` if any.
void append_process_family(ExpositionWriter& w, const std::string& out, FamilyId id,
                           double collector, double frontend, TextRanges* per_scrape) {
  begin_family(w, id);
  if (!std::isnan(collector)) {
    w.begin_sample();
    w.label("process", "collector");
    w.value(collector);
  }
  if (!std::isnan(frontend)) {
    w.begin_sample();
    w.label("process", "frontend");
    value_in_range(w, out, frontend, per_scrape);
  }
}

}  // namespace

std::string render_exposition(schema::Snapshot::Reader snapshot, Format format) {
  std::string out;
  out.reserve(kBytesBase + kBytesPerModem * snapshot.getModems().size());
  SnapshotRenderer(out, CheckedSnapshot(snapshot), format).render();
  return out;
}

void append_exporter_status(std::string& out, const ExporterStatus& status,
                            std::optional<schema::Snapshot::Reader> snapshot, Format format,
                            TextRanges* per_scrape) {
  ExpositionWriter w(out, format);
  begin_family(w, kExporterBuildInfo);
  w.begin_sample();
  w.label("version", status.build.version);
  w.label("revision", status.build.revision);
  w.label("compiler", status.build.compiler);
  w.label("capnp", status.build.capnp);
  w.label("sdbus_cpp", status.build.sdbus_cpp);
  w.label("httplib", status.build.httplib);
  w.value(1);

  begin_family(w, kExporterCollectorUp);
  w.begin_sample();
  w.value(bool_value(status.collector_up));

  begin_family(w, kExporterSnapshotAgeSeconds);
  if (snapshot) {
    // Any int64 time of the peer's gives an age (0 for a snapshot from the
    // future: a wall clock stepped back).
    w.begin_sample();
    value_in_range(w, out, age_seconds(snapshot->getTimeUnixNanos(), status.now_unix_nanos),
                   per_scrape);
  }

  begin_family(w, kExporterSnapshotsTotal);
  w.begin_sample();
  w.value(static_cast<double>(status.snapshots_total));

  const double nan = std::nan("");
  std::optional<schema::ProcessStats::Reader> collector;
  if (snapshot && snapshot->hasCollectorProcess()) collector = snapshot->getCollectorProcess();
  const ProcessSample& frontend = status.process;
  // The frontend's start time is read once and its fd limit is set at
  // start: they change no more often than the collector's values.
  append_process_family(w, out, kProcessCpuSecondsTotal,
                        collector ? collector->getCpuSecondsTotal() : nan,
                        frontend.cpu_seconds_total, per_scrape);
  append_process_family(w, out, kProcessResidentMemoryBytes,
                        collector ? collector->getResidentMemoryBytes() : nan,
                        frontend.resident_memory_bytes, per_scrape);
  append_process_family(w, out, kProcessStartTimeSeconds,
                        collector ? collector->getStartTimeSeconds() : nan,
                        frontend.start_time_seconds, nullptr);
  append_process_family(w, out, kProcessOpenFds, collector ? collector->getOpenFds() : nan,
                        frontend.open_fds, per_scrape);
  append_process_family(w, out, kProcessMaxFds, collector ? collector->getMaxFds() : nan,
                        frontend.max_fds, nullptr);
}

std::string render_exporter_status(const ExporterStatus& status,
                                   std::optional<schema::Snapshot::Reader> snapshot,
                                   Format format) {
  std::string out;
  out.reserve(2048);
  append_exporter_status(out, status, snapshot, format);
  return out;
}

}  // namespace mmx
