// The snapshot limits (common/snapshot_limit_table.h, checked by
// frontend/intake/snapshot_limits.h): that the schema has no
// list without one, that real snapshots are far inside them, that each one
// refuses what exceeds it, and that the largest snapshot they allow renders
// to tens of MiB rather than the gigabytes fuzzing found.

#include <capnp/schema.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <iterator>
#include <set>
#include <string>
#include <utility>

#include "exposition.h"
#include "snapshot_fixtures.h"
#include "snapshot_limits.h"

namespace {

using Field = std::pair<std::string, std::string>;  // struct, field

// What check_snapshot() refuses `snapshot` for; "" when it accepts it.
std::string limit_problem(mmx::schema::Snapshot::Reader snapshot) {
  auto within = mmx::check_snapshot(snapshot);
  return within ? "" : within.error();
}

std::string name_of(const capnp::StructSchema& schema) {
  return schema.getShortDisplayName().cStr();
}

// Every list and text field reachable from Snapshot.
void collect(const capnp::StructSchema& schema, std::set<std::string>& seen, std::set<Field>& lists,
             std::set<Field>& texts) {
  if (!seen.insert(name_of(schema)).second) return;
  for (auto field : schema.getFields()) {
    const Field key{name_of(schema), field.getProto().getName().cStr()};
    const capnp::Type type = field.getType();
    if (type.isText()) texts.insert(key);
    if (type.isStruct()) collect(type.asStruct(), seen, lists, texts);
    if (type.isList()) {
      lists.insert(key);
      const capnp::Type element = type.asList().getElementType();
      if (element.isStruct()) collect(element.asStruct(), seen, lists, texts);
    }
  }
}

// 40-hex-digit device ids made `length` bytes long, distinct per index.
std::string long_id(std::size_t index, std::size_t length) {
  std::string id = mmx::test::device_id(index);
  id.resize(length, 'f');
  return id;
}

void fill_bearers(mmx::schema::Modem::Builder modem, unsigned count, std::size_t index_length) {
  auto bearers = modem.initBearers(count);
  for (unsigned i = 0; i < count; ++i) {
    std::string index = std::to_string(i);
    index.resize(index_length, '0');
    bearers[i].setIndex(index);
    bearers[i].setPath("/org/freedesktop/ModemManager1/Bearer/" + std::to_string(i));
    bearers[i].setInterface("wwan0");
    bearers[i].setApn("internet");
    bearers[i].setConnected(true);
    auto stats = bearers[i].initStats();
    stats.setRxBytes(1);
    stats.setTxBytes(1);
    stats.setDurationSeconds(1);
    stats.setAttempts(1);
    stats.setFailedAttempts(0);
    stats.setTotalDurationSeconds(1);
    stats.setTotalRxBytes(1);
    stats.setTotalTxBytes(1);
    stats.setUplinkSpeedBps(1);
    stats.setDownlinkSpeedBps(1);
  }
}

}  // namespace

TEST_CASE("snapshot limits: every list of the schema has one, and every limit names a field") {
  std::set<std::string> seen;
  std::set<Field> lists;
  std::set<Field> texts;
  collect(capnp::Schema::from<mmx::schema::Snapshot>(), seen, lists, texts);
  std::set<Field> limited;
  for (const mmx::ListLimit& limit : mmx::kListLimits) {
    const Field key{std::string(limit.struct_name), std::string(limit.field)};
    CHECK_MESSAGE(lists.count(key) == 1, key.first << "." << key.second << " is not a list");
    CHECK(limit.per_list <= limit.per_snapshot);
    limited.insert(key);
  }
  for (const Field& list : lists) {
    CHECK_MESSAGE(limited.count(list) == 1,
                  list.first << "." << list.second << " needs a limit in snapshot_limits.h");
  }
  for (const mmx::TextLimit& limit : mmx::kLabelTextLimits) {
    const Field key{std::string(limit.struct_name), std::string(limit.field)};
    CHECK_MESSAGE(texts.count(key) == 1, key.first << "." << key.second << " is not a text");
    CHECK(limit.max_bytes < mmx::kMaxTextBytes);
  }
}

TEST_CASE("snapshot limits: real snapshots are far inside them") {
  mmx::test::SnapshotFixture fixture(64);
  CHECK(limit_problem(fixture.reader()) == "");
}

TEST_CASE("snapshot limits: each limit refuses the snapshot that exceeds it") {
  mmx::test::SnapshotFixture fixture(2);
  std::string expected;
  SUBCASE("modems") {
    fixture.use_minimal_modems(mmx::kMaxModems + 1);
    expected = "Snapshot.modems has 1025 elements, more than 1024";
  }
  SUBCASE("bearers of one modem") {
    fill_bearers(fixture.modem(0), 65, 1);
    expected = "Modem.bearers has 65 elements, more than 64";
  }
  SUBCASE("bearers in all") {
    fixture.use_minimal_modems(65);
    for (unsigned i = 0; i < 65; ++i) fill_bearers(fixture.modem(i), 64, 2);
    expected = "Modem.bearers has more than 4096 elements in all";
  }
  SUBCASE("bands") {
    fixture.modem(1).initCurrentBands(257);
    expected = "Modem.currentBands has 257 elements, more than 256";
  }
  SUBCASE("error kinds") {
    fixture.builder().getCollection().initErrors(65);
    expected = "Collection.errors has 65 elements, more than 64";
  }
  SUBCASE("drivers") {
    fixture.modem(0).initDrivers(17);
    expected = "Modem.drivers has 17 elements, more than 16";
  }
  SUBCASE("a device id long enough to amplify") {
    fixture.modem(1).setDeviceId(long_id(1, 129));
    expected = "Modem.deviceId is 129 bytes long, more than 128";
  }
  SUBCASE("a bearer index long enough to amplify") {
    fill_bearers(fixture.modem(0), 1, 33);
    expected = "Bearer.index is 33 bytes long, more than 32";
  }
  SUBCASE("any text") {
    fixture.modem(0).setManufacturer(std::string(mmx::kMaxTextBytes + 1, 'Q'));
    expected = "Modem.manufacturer is 65537 bytes long, more than 65536";
  }
  SUBCASE("a text in a list") {
    auto drivers = fixture.modem(0).initDrivers(1);
    drivers.set(0, std::string(mmx::kMaxTextBytes + 1, 'd'));
    expected = "Modem.drivers is 65537 bytes long, more than 65536";
  }
  CHECK(limit_problem(fixture.reader()) == expected);
}

TEST_CASE("snapshot limits: the largest snapshot they allow renders to tens of MiB") {
  // Every limit used up at once, every amplifying text at its longest.
  mmx::test::SnapshotFixture fixture;
  fixture.use_minimal_modems(mmx::kMaxModems);
  for (unsigned i = 0; i < mmx::kMaxModems; ++i) {
    auto modem = fixture.modem(i);
    modem.setDeviceId(long_id(i, 128));
    // Each list as long as it may be, on as many modems as its total allows.
    fill_bearers(modem, i < 64 ? 64 : 0, 32);
    modem.initSims(i < 64 ? 64 : 0);
    auto ports = modem.initPorts(i < 128 ? 64 : 0);
    for (unsigned p = 0; p < ports.size(); ++p) ports[p].setName("ttyUSB" + std::to_string(p));
    auto bands = modem.initCurrentBands(i < 256 ? 256 : 0);
    for (unsigned b = 0; b < bands.size(); ++b) bands.set(b, b + 1);
    auto retries = modem.initUnlockRetries(i < 256 ? 64 : 0);
    for (unsigned r = 0; r < retries.size(); ++r) retries[r].setLock(r + 1);
  }
  REQUIRE(limit_problem(fixture.reader()) == "");
  const auto started = std::chrono::steady_clock::now();
  const std::string page = mmx::render_exposition(fixture.reader(), mmx::Format::kText);
  const auto took = std::chrono::steady_clock::now() - started;
  MESSAGE("worst page within the limits: "
          << page.size() / (1024 * 1024) << " MiB in "
          << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  CHECK(page.size() < 128u * 1024 * 1024);
}
