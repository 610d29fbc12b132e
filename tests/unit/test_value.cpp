#include <doctest/doctest.h>
#include <sdbus-c++/Types.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "dbus_value.h"
#include "mm_dbus.h"
#include "modem_model.h"
#include "property_schema.h"
#include "value.h"

namespace sdbus {
// Exported by libsdbus-c++ 1.x (sdbus::Variant is built on it) but declared
// in no installed header: a message to write values into without a bus.
PlainMessage createPlainMessage();
}  // namespace sdbus

namespace {

using mmx::ObjectPath;
using mmx::Value;
using Variants = std::map<std::string, sdbus::Variant>;

// What ModemManager would send as an a{sv}, read as the collector reads it.
mmx::PropertyMap read_properties(const Variants& properties) {
  auto message = sdbus::createPlainMessage();
  message << properties;
  message.seal();
  message.rewind(true);
  mmx::PropertyMap read;
  message >> read;
  return read;
}

const std::string kModemPath = "/org/freedesktop/ModemManager1/Modem/0";

}  // namespace

TEST_CASE("value: the C++ type is the D-Bus signature") {
  CHECK(Value().signature() == "");
  CHECK(Value(true).signature() == "b");
  CHECK(Value(std::uint8_t{1}).signature() == "y");
  CHECK(Value(std::int16_t{1}).signature() == "n");
  CHECK(Value(std::uint16_t{1}).signature() == "q");
  CHECK(Value(std::int32_t{1}).signature() == "i");
  CHECK(Value(std::uint32_t{1}).signature() == "u");
  CHECK(Value(std::int64_t{1}).signature() == "x");
  CHECK(Value(std::uint64_t{1}).signature() == "t");
  CHECK(Value(1.5).signature() == "d");
  CHECK(Value("text").signature() == "s");
  CHECK(Value(ObjectPath("/a")).signature() == "o");
  CHECK(Value(std::vector<std::string>{"a"}).signature() == "as");
  CHECK(Value(std::vector<ObjectPath>{}).signature() == "ao");
  CHECK(Value(std::vector<std::uint32_t>{}).signature() == "au");
  CHECK(Value(Value::Ports{{"wwan0", 2u}}).signature() == "a(su)");
  CHECK(Value(Value::UintMap{}).signature() == "a{uu}");
  CHECK(Value(Value::UintBool{1u, true}).signature() == "(ub)");
  CHECK(Value(Value::UintPair{1u, 2u}).signature() == "(uu)");
  CHECK(Value(mmx::StringPair{"a", "b"}).signature() == "(ss)");
  CHECK(Value(Value::Dict{}).signature() == "a{sv}");
  CHECK(Value(Value::UintDict{}).signature() == "a{uv}");

  // A uint32 is not an int32, nor an object path a string.
  CHECK(Value(std::uint32_t{8}).get_if<std::int32_t>() == nullptr);
  CHECK(*Value(std::uint32_t{8}).get_if<std::uint32_t>() == 8u);
  CHECK(Value(ObjectPath("/a")).get_if<std::string>() == nullptr);
  CHECK(Value("/a").get_if<ObjectPath>() == nullptr);
}

TEST_CASE("value: numbers of every width read as double, anything else as NaN") {
  CHECK(Value(std::uint8_t{200}).number() == 200);
  CHECK(Value(std::int16_t{-3}).number() == -3);
  CHECK(Value(std::uint16_t{60000}).number() == 60000);
  CHECK(Value(std::int32_t{-95}).number() == -95);
  CHECK(Value(std::uint32_t{4000000000u}).number() == 4e9);
  CHECK(Value(std::int64_t{-1}).number() == -1);
  CHECK(Value(std::uint64_t{9876543210}).number() == 9876543210.0);
  CHECK(Value(-9.5).number() == -9.5);
  CHECK(std::isnan(Value(true).number()));
  CHECK(std::isnan(Value("12").number()));
  CHECK(std::isnan(Value().number()));
}

TEST_CASE("value: copies are deep and compare equal") {
  Value error(mmx::StringPair{"org.freedesktop.ModemManager1.Error.Core.Failed", "no"});
  Value copy = error;
  CHECK(copy == error);
  CHECK(copy.get_if<mmx::StringPair>() != error.get_if<mmx::StringPair>());
  CHECK(copy.get_if<mmx::StringPair>()->second == "no");
  Value nested(Value::Dict{{"inner", Value::Dict{{"rsrp", -90.0}}}});
  Value nested_copy;
  nested_copy = nested;
  CHECK(nested_copy == nested);
  CHECK_FALSE(nested_copy == Value(Value::Dict{}));
  CHECK_FALSE(Value(std::uint32_t{1}) == Value(std::int32_t{1}));
}

TEST_CASE("value: a{uu} is sorted by key and a repeated key keeps its first value") {
  Value retries(Value::UintMap{{4u, 10u}, {2u, 3u}, {4u, 99u}});
  CHECK(*retries.get_if<Value::UintMap>() == Value::UintMap{{2u, 3u}, {4u, 10u}});
}

TEST_CASE("dbus value: every shape ModemManager uses is read as it was sent") {
  const auto p = read_properties({
      {"Sim", sdbus::Variant(sdbus::ObjectPath("/org/freedesktop/ModemManager1/SIM/0"))},
      {"Bearers", sdbus::Variant(std::vector<sdbus::ObjectPath>{
                      sdbus::ObjectPath("/org/freedesktop/ModemManager1/Bearer/1")})},
      {"State", sdbus::Variant(std::int32_t{11})},
      {"MaxBearers", sdbus::Variant(std::uint32_t{4})},
      {"Model", sdbus::Variant(std::string("RM500Q-GL"))},
      {"Drivers", sdbus::Variant(std::vector<std::string>{"qmi_wwan", "option"})},
      {"CurrentBands", sdbus::Variant(std::vector<std::uint32_t>{3u, 20u})},
      {"Ports", sdbus::Variant(std::vector<sdbus::Struct<std::string, std::uint32_t>>{
                    {std::string("cdc-wdm0"), 6u}, {std::string("wwan0"), 2u}})},
      {"UnlockRetries",
       sdbus::Variant(std::map<std::uint32_t, std::uint32_t>{{2u, 3u}, {4u, 10u}})},
      {"SignalQuality", sdbus::Variant(sdbus::Struct<std::uint32_t, bool>(54u, true))},
      {"CurrentModes", sdbus::Variant(sdbus::Struct<std::uint32_t, std::uint32_t>(14u, 8u))},
      {"ConnectionError",
       sdbus::Variant(sdbus::Struct<std::string, std::string>(std::string("e"), std::string("m")))},
      {"Connected", sdbus::Variant(true)},
      {"Lte", sdbus::Variant(Variants{{"rsrp", sdbus::Variant(-96.0)},
                                      {"rssi", sdbus::Variant(std::int32_t{-67})}})},
      {"Location", sdbus::Variant(std::map<std::uint32_t, sdbus::Variant>{
                       {1u, sdbus::Variant(std::string("214,01,FFFE,1A2B000,2B0F"))},
                       {2u, sdbus::Variant(Variants{
                                {"latitude", sdbus::Variant(40.4)},
                                {"utc-time", sdbus::Variant(std::string("093015.00"))}})}})},
  });
  CHECK(*p.at("Sim").get_if<ObjectPath>() == "/org/freedesktop/ModemManager1/SIM/0");
  CHECK(*p.at("Bearers").get_if<std::vector<ObjectPath>>() ==
        std::vector<ObjectPath>{ObjectPath("/org/freedesktop/ModemManager1/Bearer/1")});
  CHECK(*p.at("State").get_if<std::int32_t>() == 11);
  CHECK(*p.at("MaxBearers").get_if<std::uint32_t>() == 4u);
  CHECK(*p.at("Model").get_if<std::string>() == "RM500Q-GL");
  CHECK(*p.at("Drivers").get_if<std::vector<std::string>>() ==
        std::vector<std::string>{"qmi_wwan", "option"});
  CHECK(*p.at("CurrentBands").get_if<std::vector<std::uint32_t>>() ==
        std::vector<std::uint32_t>{3u, 20u});
  CHECK(*p.at("Ports").get_if<Value::Ports>() == Value::Ports{{"cdc-wdm0", 6u}, {"wwan0", 2u}});
  CHECK(*p.at("UnlockRetries").get_if<Value::UintMap>() == Value::UintMap{{2u, 3u}, {4u, 10u}});
  CHECK(*p.at("SignalQuality").get_if<Value::UintBool>() == Value::UintBool{54u, true});
  CHECK(*p.at("CurrentModes").get_if<Value::UintPair>() == Value::UintPair{14u, 8u});
  CHECK(*p.at("ConnectionError").get_if<mmx::StringPair>() == mmx::StringPair{"e", "m"});
  CHECK(*p.at("Connected").get_if<bool>());
  const auto& lte = *p.at("Lte").get_if<Value::Dict>();
  CHECK(Value::find(lte, "rsrp")->number() == -96.0);
  CHECK(*Value::find(lte, "rssi")->get_if<std::int32_t>() == -67);
  CHECK(Value::find(lte, "snr") == nullptr);
  const auto& location = *p.at("Location").get_if<Value::UintDict>();
  CHECK(*Value::find(location, 1u)->get_if<std::string>() == "214,01,FFFE,1A2B000,2B0F");
  const auto& gps = *Value::find(location, 2u)->get_if<Value::Dict>();
  CHECK(Value::find(gps, "latitude")->number() == doctest::Approx(40.4));
  CHECK(*Value::find(gps, "utc-time")->get_if<std::string>() == "093015.00");
}

TEST_CASE("dbus value: a type nobody reads keeps its key, not its contents") {
  const auto p = read_properties({
      {"Odd", sdbus::Variant(std::vector<std::int32_t>{1, 2})},
      {"Deep",
       sdbus::Variant(std::map<std::string, Variants>{{"a", Variants{{"b", sdbus::Variant(1u)}}}})},
      {"Stats", sdbus::Variant(Variants{{"rx-bytes", sdbus::Variant(std::uint64_t{5})},
                                        {"weird", sdbus::Variant(std::vector<double>{1.0})}})},
      {"After", sdbus::Variant(std::string("still read"))},
  });
  CHECK(p.at("Odd").signature() == "");
  CHECK(p.at("Deep").signature() == "");
  const auto& stats = *p.at("Stats").get_if<Value::Dict>();
  REQUIRE(stats.size() == 2);
  CHECK(Value::find(stats, "weird")->signature() == "");
  CHECK(std::isnan(Value::find(stats, "weird")->number()));
  CHECK(Value::find(stats, "rx-bytes")->number() == 5);
  CHECK(*p.at("After").get_if<std::string>() == "still read");
}

TEST_CASE("dbus value: a repeated key in a dictionary keeps its first value") {
  auto message = sdbus::createPlainMessage();
  message.openContainer("{uv}");
  for (const auto& [key, text] : {std::pair{2u, "first"}, {1u, "other"}, {2u, "second"}}) {
    message.openDictEntry("uv");
    message << key << sdbus::Variant(std::string(text));
    message.closeDictEntry();
  }
  message.closeContainer();
  message.seal();
  message.rewind(true);
  const auto dict = mmx::read_uint_dict(message);
  REQUIRE(dict.size() == 2);
  CHECK(*Value::find(dict, 2u)->get_if<std::string>() == "first");
  CHECK(*Value::find(dict, 1u)->get_if<std::string>() == "other");
}

TEST_CASE("dbus value: wrongly typed values read from D-Bus are dropped and counted") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  mmx::InterfaceMap object;
  object[mmx::mm::kModem] = read_properties({
      {"State", sdbus::Variant(std::uint32_t{8})},               // "i" in ModemManager
      {"Sim", sdbus::Variant(std::string("/org/x"))},            // "o"
      {"Drivers", sdbus::Variant(std::vector<std::int32_t>{})},  // "as"
      {"SignalQuality", sdbus::Variant(sdbus::Struct<std::uint32_t, std::uint32_t>(1u, 1u))},
      {"Model", sdbus::Variant(std::string("ok"))},
  });
  model.add_interfaces(kModemPath, object);
  const auto& modem = model.modems().at(kModemPath).at(mmx::mm::kModem);
  CHECK(modem.size() == 1);
  CHECK(modem.count("Model") == 1);
  CHECK(errors.get(mmx::ErrorKind::kInvalidValue) == 4);
}

TEST_CASE("dbus value: oversized strings and lists read from D-Bus are dropped and counted") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  const std::string too_long(mmx::kMaxStringBytes + 1, 'x');
  const std::string longest(mmx::kMaxStringBytes, 'y');
  mmx::InterfaceMap object;
  object[mmx::mm::kModem] = read_properties({
      {"Drivers", sdbus::Variant(std::vector<std::string>{"ok", too_long})},
      {"OwnNumbers", sdbus::Variant(std::vector<std::string>(mmx::kMaxListElements + 1, "1"))},
      {"Bearers", sdbus::Variant(std::vector<sdbus::ObjectPath>(mmx::kMaxListElements + 1,
                                                                sdbus::ObjectPath("/b")))},
      {"Ports",
       sdbus::Variant(std::vector<sdbus::Struct<std::string, std::uint32_t>>{{too_long, 1u}})},
      {"Model", sdbus::Variant(longest)},
      {"CurrentBands", sdbus::Variant(std::vector<std::uint32_t>(mmx::kMaxListElements, 1u))},
  });
  object[mmx::mm::kSignal] = read_properties({
      {"Lte", sdbus::Variant(
                  Variants{{"rsrp", sdbus::Variant(-90.0)}, {"note", sdbus::Variant(too_long)}})},
      {"Nr5g", sdbus::Variant(Variants{{"rsrp", sdbus::Variant(-90.0)}})},
  });
  model.add_interfaces(kModemPath, object);
  model.set_linked_interface(
      "/org/freedesktop/ModemManager1/Bearer/1", mmx::mm::kBearer,
      read_properties({{"ConnectionError", sdbus::Variant(sdbus::Struct<std::string, std::string>(
                                               std::string("e"), too_long))}}));
  const auto& modem = model.modems().at(kModemPath).at(mmx::mm::kModem);
  CHECK(modem.count("Drivers") == 0);
  CHECK(modem.count("OwnNumbers") == 0);
  CHECK(modem.count("Bearers") == 0);
  CHECK(modem.count("Ports") == 0);
  CHECK(modem.count("Model") == 1);         // at the bound is fine
  CHECK(modem.count("CurrentBands") == 1);  // so is a list of exactly the bound
  const auto& signal = model.modems().at(kModemPath).at(mmx::mm::kSignal);
  CHECK(signal.count("Lte") == 0);
  CHECK(signal.count("Nr5g") == 1);
  CHECK(model.linked().at("/org/freedesktop/ModemManager1/Bearer/1").at(mmx::mm::kBearer).empty());
  CHECK(errors.get(mmx::ErrorKind::kInvalidValue) == 6);
}
