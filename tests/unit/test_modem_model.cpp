#include <capnp/message.h>
#include <doctest/doctest.h>

#include <cmath>

#include "mm_dbus.h"
#include "modem_model.h"
#include "property_schema.h"
#include "snapshot.capnp.h"
#include "snapshot_builder.h"

namespace {

using mmx::InterfaceMap;
using mmx::PropertyMap;

const std::string kModemPath = "/org/freedesktop/ModemManager1/Modem/3";
const std::string kSimPath = "/org/freedesktop/ModemManager1/SIM/3";
const std::string kBearerPath = "/org/freedesktop/ModemManager1/Bearer/7";

InterfaceMap sample_modem() {
  InterfaceMap object;
  object[mmx::mm::kModem] = PropertyMap{
      {"DeviceIdentifier", mmx::Value(std::string("abc123"))},
      {"Manufacturer", mmx::Value(std::string("Quectel"))},
      {"State", mmx::Value(std::int32_t{8})},
      {"SignalQuality", mmx::Value(mmx::Value::UintBool{54u, true})},
      {"Sim", mmx::Value(mmx::ObjectPath(kSimPath))},
      {"SimSlots", mmx::Value(std::vector<mmx::ObjectPath>{})},
      {"Bearers", mmx::Value(std::vector<mmx::ObjectPath>{mmx::ObjectPath(kBearerPath)})},
      {"UnlockRetries", mmx::Value(mmx::Value::UintMap{{2u, 3u}})},
      {"Ports", mmx::Value(mmx::Value::Ports{{"wwan0", 2u}})},
      // Not mirrored: dropped silently.
      {"SupportedIpFamilies", mmx::Value(std::uint32_t{7})},
  };
  object[mmx::mm::kModem3gpp] = PropertyMap{
      {"OperatorCode", mmx::Value(std::string("01001"))},
      {"Imei", mmx::Value(std::string("490154203237518"))},
  };
  object[mmx::mm::kSignal] = PropertyMap{
      {"Rate", mmx::Value(std::uint32_t{5})},
      {"Lte", mmx::Value(mmx::Value::Dict{{"rsrp", -95.5}, {"snr", 12.0}})},
  };
  return object;
}

mmx::SnapshotContext context(const mmx::ErrorCounters& errors) {
  mmx::SnapshotContext c;
  c.sequence = 9;
  c.collection = {0.25, true};
  c.errors = &errors;
  c.process = {1, 2, 3, 4, 5};
  return c;
}

}  // namespace

TEST_CASE("model: a wrongly typed property is dropped and counted") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  InterfaceMap object = sample_modem();
  object[mmx::mm::kModem]["State"] = mmx::Value(std::string("registered"));
  model.add_interfaces(kModemPath, object);
  const auto& modem = model.modems().at(kModemPath).at(mmx::mm::kModem);
  CHECK(modem.count("State") == 0);
  CHECK(modem.count("SupportedIpFamilies") == 0);
  CHECK(modem.count("Manufacturer") == 1);
  CHECK(errors.get(mmx::ErrorKind::kInvalidValue) == 1);
}

TEST_CASE("model: linked objects follow the modem's Sim and Bearers") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  model.add_interfaces(kModemPath, sample_modem());
  CHECK(model.referenced_linked_paths() == std::set<std::string>{kSimPath, kBearerPath});
  model.set_linked_interface(kBearerPath, mmx::mm::kBearer, {});
  model.set_linked_interface("/org/freedesktop/ModemManager1/Bearer/99", mmx::mm::kBearer, {});
  CHECK(model.prune_linked() == 1);
  // The modem drops its bearer: the bearer goes at the next prune.
  CHECK(model.apply_properties_changed(
      kModemPath, mmx::mm::kModem, {{"Bearers", mmx::Value(std::vector<mmx::ObjectPath>{})}}, {}));
  CHECK(model.prune_linked() == 1);
  CHECK(model.linked().empty());
}

TEST_CASE("model: ModemManager vanishing forgets everything") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  model.set_manager_version("1.20.4");
  model.add_interfaces(kModemPath, sample_modem());
  const auto before = model.generation();
  model.set_manager_present(false);
  CHECK(model.generation() > before);
  CHECK(model.modems().empty());
  CHECK(model.manager_version().empty());
}

TEST_CASE("model: changes to unknown objects are ignored") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  const auto before = model.generation();
  CHECK_FALSE(model.apply_properties_changed("/org/freedesktop/ModemManager1/SMS/1",
                                             mmx::mm::kModem, {}, {}));
  CHECK(model.generation() == before);
}

TEST_CASE("snapshot builder: modem, SIM, bearer and signal values") {
  mmx::ErrorCounters errors;
  errors.add(mmx::ErrorKind::kTimeout);
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  model.set_manager_version("1.20.4");
  model.add_interfaces(kModemPath, sample_modem());
  model.set_linked_interface(
      kSimPath, mmx::mm::kSim,
      {{"Imsi", mmx::Value(std::string("001010123456789"))}, {"Active", mmx::Value(true)}});
  model.set_linked_interface(
      kBearerPath, mmx::mm::kBearer,
      {{"Connected", mmx::Value(true)},
       {"Interface", mmx::Value(std::string("wwan0"))},
       {"Stats", mmx::Value(mmx::Value::Dict{{"total-rx-bytes", std::uint64_t{1234}},
                                             {"attempts", std::uint32_t{2}}})}});

  capnp::MallocMessageBuilder message;
  mmx::build_snapshot(model, context(errors), message);
  auto snapshot = message.getRoot<mmx::schema::Snapshot>().asReader();
  CHECK(snapshot.getSequence() == 9);
  CHECK(snapshot.getManager().getPresent());
  CHECK(snapshot.getManager().getVersion() == "1.20.4");
  // Every kind is there from the start; only the one that happened counts.
  REQUIRE(snapshot.getCollection().getErrors().size() == 6);
  for (auto e : snapshot.getCollection().getErrors()) {
    CAPTURE(e.getKind().cStr());
    CHECK(e.getCount() == (e.getKind() == "timeout" ? 1u : 0u));
  }
  REQUIRE(snapshot.getModems().size() == 1);
  auto modem = snapshot.getModems()[0];
  CHECK(modem.getDeviceId() == "abc123");
  CHECK(modem.getState() == 8);
  CHECK(modem.getSignalQualityPercent() == 54);
  CHECK(modem.getSignalQualityRecent());
  REQUIRE(modem.getUnlockRetries().size() == 1);
  CHECK(modem.getUnlockRetries()[0].getRetries() == 3);
  REQUIRE(modem.getPorts().size() == 1);
  CHECK(modem.getPorts()[0].getName() == "wwan0");
  CHECK(modem.getThreeGpp().getOperatorCode() == "01001");
  auto lte = modem.getSignal().getLte();
  CHECK(lte.getRsrp() == doctest::Approx(-95.5));
  CHECK(std::isnan(lte.getRssi()));
  CHECK_FALSE(modem.getSignal().hasUmts());
  CHECK_FALSE(modem.hasLocation());
  CHECK_FALSE(modem.hasMessaging());
  REQUIRE(modem.getSims().size() == 1);
  CHECK(modem.getSims()[0].getImsi() == "001010123456789");
  CHECK(modem.getSims()[0].getPrimary());
  CHECK(modem.getSims()[0].getSlot() == 0);
  REQUIRE(modem.getBearers().size() == 1);
  auto bearer = modem.getBearers()[0];
  CHECK(bearer.getIndex() == "7");
  CHECK(bearer.getConnected());
  CHECK(bearer.getStats().getTotalRxBytes() == 1234);
  CHECK(bearer.getStats().getAttempts() == 2);
  CHECK(std::isnan(bearer.getStats().getTxBytes()));
}

TEST_CASE("snapshot builder: redaction removes identifiers before they leave the collector") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  InterfaceMap object = sample_modem();
  object[mmx::mm::kModem]["EquipmentIdentifier"] = mmx::Value(std::string("490154203237518"));
  model.add_interfaces(kModemPath, object);
  model.set_linked_interface(kSimPath, mmx::mm::kSim,
                             {{"Imsi", mmx::Value(std::string("001010123456789"))},
                              {"SimIdentifier", mmx::Value(std::string("8901"))}});
  auto ctx = context(errors);
  const auto all = mmx::parse_redaction("all");
  REQUIRE_MESSAGE(all, all.error());
  ctx.redaction = *all;
  capnp::MallocMessageBuilder message;
  mmx::build_snapshot(model, ctx, message);
  auto modem = message.getRoot<mmx::schema::Snapshot>().asReader().getModems()[0];
  CHECK(modem.getEquipmentIdentifier() == "");
  CHECK(modem.getThreeGpp().getImei() == "");
  CHECK(modem.getSims()[0].getImsi() == "");
  CHECK(modem.getSims()[0].getIccid() == "");
  CHECK(modem.getDeviceId() == "abc123");
}

TEST_CASE("snapshot builder: no modems while ModemManager is absent") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  model.add_interfaces(kModemPath, sample_modem());
  model.set_manager_present(false);
  capnp::MallocMessageBuilder message;
  mmx::build_snapshot(model, context(errors), message);
  auto snapshot = message.getRoot<mmx::schema::Snapshot>().asReader();
  CHECK_FALSE(snapshot.getManager().getPresent());
  CHECK(snapshot.getModems().size() == 0);
}

TEST_CASE("model: values larger than ModemManager ever sends are dropped and counted") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  InterfaceMap object = sample_modem();
  object[mmx::mm::kModem]["Manufacturer"] = mmx::Value(std::string(mmx::kMaxStringBytes + 1, 'x'));
  object[mmx::mm::kModem]["CurrentBands"] =
      mmx::Value(std::vector<std::uint32_t>(mmx::kMaxListElements + 1, 1u));
  object[mmx::mm::kModem]["Model"] = mmx::Value(std::string(mmx::kMaxStringBytes, 'y'));
  model.add_interfaces(kModemPath, object);
  const auto& modem = model.modems().at(kModemPath).at(mmx::mm::kModem);
  CHECK(modem.count("Manufacturer") == 0);
  CHECK(modem.count("CurrentBands") == 0);
  CHECK(modem.count("Model") == 1);  // at the bound is fine
  CHECK(errors.get(mmx::ErrorKind::kInvalidValue) == 2);
}

TEST_CASE("model: properties stay sorted, a set replaces, an erase removes") {
  mmx::Properties p;
  p.set("State", std::int32_t{8});
  p.set("Model", "RM500Q");
  p.set("Bearers", std::vector<mmx::ObjectPath>{});
  p.set("State", std::int32_t{11});
  CHECK(p.size() == 3);
  CHECK(*mmx::find_property<std::int32_t>(&p, "State") == 11);
  CHECK(mmx::find_property<std::uint32_t>(&p, "State") == nullptr);
  CHECK(mmx::find_property<std::int32_t>(&p, "Nope") == nullptr);
  CHECK(mmx::find_property<std::int32_t>(nullptr, "State") == nullptr);
  std::vector<std::string_view> names;
  for (const auto& [name, value] : p) names.push_back(name);
  CHECK(names == std::vector<std::string_view>{"Bearers", "Model", "State"});
  p.erase("Model");
  p.erase("Model");
  CHECK(p.count("Model") == 0);
  CHECK(p.size() == 2);
}

TEST_CASE("model: a change merges into the interface, invalidated names leave it") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  model.add_interfaces(kModemPath, sample_modem());
  CHECK(model.apply_properties_changed(kModemPath, mmx::mm::kModem,
                                       {{"State", mmx::Value(std::int32_t{11})},
                                        {"PowerState", mmx::Value(std::uint32_t{3})},
                                        {"Unknown", mmx::Value(true)}},
                                       {"Manufacturer"}));
  const auto& modem = model.modems().at(kModemPath).at(mmx::mm::kModem);
  CHECK(*mmx::find_property<std::int32_t>(&modem, "State") == 11);
  CHECK(*mmx::find_property<std::uint32_t>(&modem, "PowerState") == 3u);
  CHECK(modem.count("Manufacturer") == 0);
  CHECK(modem.count("Unknown") == 0);
  CHECK(*mmx::find_property<std::string>(&modem, "DeviceIdentifier") == "abc123");
  CHECK(errors.get(mmx::ErrorKind::kInvalidValue) == 0);
}
