// The collector's side of the snapshot limits (collector/snapshot_fit.h):
// every limited list and text, over its limit, is cut to it, and the
// frontend's check (frontend/intake/snapshot_limits.h) then accepts the
// snapshot. The table is iterated, so a new limit is covered by itself.

#include <capnp/dynamic.h>
#include <capnp/message.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "error_counters.h"
#include "mm_dbus.h"
#include "modem_model.h"
#include "snapshot_builder.h"
#include "snapshot_cut_log.h"
#include "snapshot_fit.h"
#include "snapshot_fixtures.h"
#include "snapshot_limits.h"

namespace {

std::string name_of(const capnp::DynamicStruct::Builder& s) {
  return s.getSchema().getShortDisplayName().cStr();
}

// The snapshot the collector builds of `model`, and what it cut.
struct BuiltSnapshot {
  BuiltSnapshot(const mmx::ModemModel& model, mmx::ErrorCounters& errors) {
    mmx::SnapshotContext context;
    context.errors = &errors;
    cuts = mmx::build_snapshot(model, context, message);
  }
  mmx::schema::Snapshot::Reader reader() { return message.getRoot<mmx::schema::Snapshot>(); }

  capnp::MallocMessageBuilder message;
  std::vector<mmx::SnapshotCut> cuts;
};

// The first struct named `name` in `s` (itself included), depth first.
std::optional<capnp::DynamicStruct::Builder> find_struct(capnp::DynamicStruct::Builder s,
                                                         const std::string& name) {
  if (name_of(s) == name) return s;
  for (auto field : s.getSchema().getFields()) {
    if (!s.has(field)) continue;
    auto value = s.get(field);
    if (value.getType() == capnp::DynamicValue::STRUCT) {
      if (auto found = find_struct(value.as<capnp::DynamicStruct>(), name)) return found;
    }
    if (value.getType() == capnp::DynamicValue::LIST) {
      auto list = value.as<capnp::DynamicList>();
      for (unsigned i = 0; i < list.size(); ++i) {
        if (list[i].getType() != capnp::DynamicValue::STRUCT) break;
        if (auto found = find_struct(list[i].as<capnp::DynamicStruct>(), name)) return found;
      }
    }
  }
  return std::nullopt;
}

bool cut_of(const std::vector<mmx::SnapshotCut>& cuts, const std::string& field) {
  return std::any_of(cuts.begin(), cuts.end(),
                     [&](const mmx::SnapshotCut& c) { return c.field == field; });
}

// `bytes` bytes of text whose byte `split` is inside a two-byte character.
std::string text_split_at(std::size_t bytes, std::size_t split) {
  std::string text(split - 1, 'a');
  text += "\xC3\xA9";  // é
  text.resize(bytes, 'b');
  return text;
}

}  // namespace

TEST_CASE("snapshot fit: every list over its limit is cut to it, and the frontend accepts it") {
  for (const mmx::ListLimit& limit : mmx::kListLimits) {
    const std::string field = std::string(limit.struct_name) + "." + std::string(limit.field);
    CAPTURE(field);
    mmx::test::SnapshotFixture fixture(2);
    auto owner = find_struct(capnp::toDynamic(fixture.builder()), std::string(limit.struct_name));
    REQUIRE_MESSAGE(owner, "the fixture snapshot has no " << limit.struct_name);
    auto list = owner->init(limit.field.data(), limit.per_list + 1).as<capnp::DynamicList>();
    for (unsigned i = 0; i < list.size(); ++i) {
      if (list[i].getType() == capnp::DynamicValue::TEXT) {
        list.set(i, capnp::Text::Reader("x"));
      }
    }
    REQUIRE_FALSE(mmx::check_snapshot(fixture.reader()));

    const auto cuts = mmx::fit_snapshot_to_limits(fixture.builder());
    CHECK(mmx::check_snapshot(fixture.reader()));
    CHECK(owner->get(limit.field.data()).as<capnp::DynamicList>().size() == limit.per_list);
    CHECK(cut_of(cuts, field));
  }
}

TEST_CASE("snapshot fit: every text over its limit is cut on a character boundary") {
  std::vector<mmx::TextLimit> limits(std::begin(mmx::kLabelTextLimits),
                                     std::end(mmx::kLabelTextLimits));
  limits.push_back({"Modem", "manufacturer", mmx::kMaxTextBytes});  // any other text
  for (const mmx::TextLimit& limit : limits) {
    const std::string field = std::string(limit.struct_name) + "." + std::string(limit.field);
    CAPTURE(field);
    mmx::test::SnapshotFixture fixture(2);
    auto owner = find_struct(capnp::toDynamic(fixture.builder()), std::string(limit.struct_name));
    REQUIRE_MESSAGE(owner, "the fixture snapshot has no " << limit.struct_name);
    // The limit falls on the second byte of "é": the cut keeps the bytes before it.
    const std::string text = text_split_at(limit.max_bytes + 10, limit.max_bytes);
    owner->set(limit.field.data(), capnp::Text::Reader(text.c_str(), text.size()));
    REQUIRE_FALSE(mmx::check_snapshot(fixture.reader()));

    const auto cuts = mmx::fit_snapshot_to_limits(fixture.builder());
    CHECK(mmx::check_snapshot(fixture.reader()));
    auto kept = owner->get(limit.field.data()).as<capnp::Text>();
    // A label text (an identifier) ends in its checksum instead.
    const std::string expected = mmx::is_label_text(limit.struct_name, limit.field)
                                     ? mmx::distinct_prefix(text, limit.max_bytes)
                                     : text.substr(0, limit.max_bytes - 1);
    CHECK(std::string(kept.cStr(), kept.size()) == expected);
    CHECK(cut_of(cuts, field));
  }
}

TEST_CASE("snapshot fit: a text in a list is cut to the text limit") {
  mmx::test::SnapshotFixture fixture(1);
  auto drivers = fixture.modem(0).initDrivers(2);
  drivers.set(0, "qmi_wwan");
  drivers.set(1, std::string(mmx::kMaxTextBytes + 1, 'd'));
  const auto cuts = mmx::fit_snapshot_to_limits(fixture.builder());
  CHECK(mmx::check_snapshot(fixture.reader()));
  CHECK(fixture.modem(0).getDrivers()[0] == "qmi_wwan");
  CHECK(fixture.modem(0).getDrivers()[1].size() == mmx::kMaxTextBytes);
  REQUIRE(cuts.size() == 1);
  CHECK(cuts[0].modem_path == fixture.modem(0).getPath().cStr());
}

TEST_CASE("snapshot fit: lists over their total in all modems are cut to it") {
  mmx::test::SnapshotFixture fixture;
  fixture.use_minimal_modems(65);
  for (unsigned m = 0; m < 65; ++m) {
    auto bearers = fixture.modem(m).initBearers(64);
    for (unsigned i = 0; i < 64; ++i) bearers[i].setIndex(std::to_string(i));
  }
  REQUIRE_FALSE(mmx::check_snapshot(fixture.reader()));
  const auto cuts = mmx::fit_snapshot_to_limits(fixture.builder());
  CHECK(mmx::check_snapshot(fixture.reader()));
  CHECK(fixture.modem(63).getBearers().size() == 64);
  CHECK(fixture.modem(64).getBearers().size() == 0);  // 64 x 64 = 4096, the total
  CHECK(fixture.modem(0).getBearers()[5].getIndex() == "5");
  CHECK(cuts.size() == 1);
}

TEST_CASE("snapshot fit: a snapshot inside the limits is left as it is") {
  mmx::test::SnapshotFixture fixture(8);
  const auto before = fixture.words();
  CHECK(mmx::fit_snapshot_to_limits(fixture.builder()).empty());
  const auto after = fixture.words();
  const auto bytes_before = before.asPtr().asBytes();
  const auto bytes_after = after.asPtr().asBytes();
  CHECK(
      std::equal(bytes_before.begin(), bytes_before.end(), bytes_after.begin(), bytes_after.end()));
}

TEST_CASE("snapshot fit: UTF-8 prefixes") {
  CHECK(mmx::utf8_prefix_bytes("abc", 5) == 3);
  CHECK(mmx::utf8_prefix_bytes("abc", 2) == 2);
  CHECK(mmx::utf8_prefix_bytes("a\xC3\xA9", 2) == 1);           // é
  CHECK(mmx::utf8_prefix_bytes("a\xE2\x82\xAC", 3) == 1);       // €
  CHECK(mmx::utf8_prefix_bytes("a\xF0\x9F\x93\xB6z", 4) == 1);  // 📶
  CHECK(mmx::utf8_prefix_bytes("a\xF0\x9F\x93\xB6z", 5) == 5);
  CHECK(mmx::utf8_prefix_bytes("\x80\x80\x80\x80\x80", 4) == 1);  // not UTF-8: bounded
}

TEST_CASE("snapshot fit: an identifier cut keeps a checksum of the whole value") {
  // CRC-32 (zlib's, as Python's zlib.crc32) of the whole value.
  const std::string id(200, 'e');
  CHECK(mmx::distinct_prefix(id, 128) == std::string(119, 'e') + "~57bec9e0");
  CHECK(mmx::distinct_prefix(std::string(199, 'e') + "f", 128) ==
        std::string(119, 'e') + "~ceb7985a");
  CHECK(mmx::distinct_prefix(id, 128) == mmx::distinct_prefix(id, 128));  // stable
  // The prefix ends on a character boundary: "é" (2 bytes) at bytes 118-119.
  const std::string accented = std::string(118, 'a') + "\xC3\xA9" + std::string(50, 'b');
  const std::string cut = mmx::distinct_prefix(accented, 128);
  CHECK(cut.size() == 127);
  CHECK(cut.substr(0, 119) == std::string(118, 'a') + "~");
}

TEST_CASE("snapshot builder: drivers and a device id from ModemManager over the limits") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  std::vector<std::string> drivers;
  for (int i = 0; i < 40; ++i) drivers.push_back("driver" + std::to_string(i));
  const std::string device_id(200, 'e');
  mmx::InterfaceMap object;
  object[mmx::mm::kModem] = mmx::PropertyMap{
      {"DeviceIdentifier", mmx::Value(device_id)},
      {"Drivers", mmx::Value(drivers)},
  };
  model.add_interfaces("/org/freedesktop/ModemManager1/Modem/0", object);
  BuiltSnapshot built(model, errors);
  const auto& cuts = built.cuts;
  const auto snapshot = built.reader();
  CHECK(mmx::check_snapshot(snapshot));
  REQUIRE(snapshot.getModems().size() == 1);
  CHECK(snapshot.getModems()[0].getDrivers().size() == 16);
  CHECK(snapshot.getModems()[0].getDrivers()[15] == "driver15");
  CHECK(snapshot.getModems()[0].getDeviceId() == mmx::distinct_prefix(device_id, 128));
  CHECK(snapshot.getModems()[0].getDeviceId().size() == 128);
  CHECK(cut_of(cuts, "Modem.drivers"));
  CHECK(cut_of(cuts, "Modem.deviceId"));
}

TEST_CASE("snapshot builder: two device ids alike in their first 128 bytes stay two modems") {
  mmx::ErrorCounters errors;
  mmx::ModemModel model(errors);
  model.set_manager_present(true);
  const std::string common(300, 'd');
  for (int i = 0; i < 2; ++i) {
    mmx::InterfaceMap object;
    object[mmx::mm::kModem] =
        mmx::PropertyMap{{"DeviceIdentifier", mmx::Value(common + std::to_string(i))}};
    model.add_interfaces("/org/freedesktop/ModemManager1/Modem/" + std::to_string(i), object);
  }
  BuiltSnapshot built(model, errors);
  const auto& cuts = built.cuts;
  const auto snapshot = built.reader();
  CHECK(mmx::check_snapshot(snapshot));
  REQUIRE(snapshot.getModems().size() == 2);
  const std::string first = snapshot.getModems()[0].getDeviceId();
  const std::string second = snapshot.getModems()[1].getDeviceId();
  CHECK(first != second);
  CHECK(first.substr(0, 119) == second.substr(0, 119));
  CHECK(cuts.size() == 2);
}

TEST_CASE("snapshot cut log: a cut counts once when it appears") {
  mmx::SnapshotCutLog log;
  const std::vector<mmx::SnapshotCut> two{{"Modem.drivers", "/M/0", 17, 16},
                                          {"Modem.deviceId", "/M/0", 200, 128}};
  CHECK(log.note(two) == 2);
  CHECK(log.note(two) == 0);                                  // the next snapshot repeats them
  CHECK(log.note({{"Modem.drivers", "/M/0", 18, 16}}) == 1);  // a new value
  CHECK(log.note({}) == 0);
  CHECK(log.note(two) == 2);  // gone, then back
}
