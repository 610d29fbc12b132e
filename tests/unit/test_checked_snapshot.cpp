// The one check of a snapshot the renderers trust (frontend/intake/
// checked_snapshot.h): order and uniqueness a peer may not keep, and the
// numbers a renderer computes with safe whatever the peer sent.

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "checked_snapshot.h"
#include "exposition.h"
#include "landing_page.h"
#include "snapshot_fixtures.h"

namespace {

using mmx::test::SnapshotFixture;
constexpr std::int64_t kMin = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

TEST_CASE("checked snapshot: the age is exact and never negative for any two int64 times") {
  CHECK(mmx::nanos_between(0, 1'500'000'000) == 1'500'000'000u);
  CHECK(mmx::nanos_between(1'500'000'000, 0) == 0u);  // from the future: as fresh as it gets
  CHECK(mmx::nanos_between(5, 5) == 0u);
  CHECK(mmx::nanos_between(kMin, kMax) == std::numeric_limits<std::uint64_t>::max());
  CHECK(mmx::nanos_between(kMin, 0) == std::uint64_t{1} << 63);
  CHECK(mmx::nanos_between(kMax, kMin) == 0u);
  CHECK(mmx::age_seconds(kMin, kMax) == doctest::Approx(1.8446744073709552e10));
}

TEST_CASE("checked snapshot: modems, bearers and SIMs sorted, one of each key") {
  SnapshotFixture f(3);
  f.modem(0).setDeviceId("c");
  f.modem(1).setDeviceId("a");
  f.modem(2).setDeviceId("c");
  auto bearers = f.modem(1).initBearers(3);
  bearers[0].setIndex("10");
  bearers[1].setIndex("2");
  bearers[2].setIndex("10");
  auto sims = f.modem(1).initSims(3);
  sims[0].setSlot(2);
  sims[1].setSlot(1);
  sims[2].setSlot(2);
  const mmx::CheckedSnapshot checked(f.reader());
  REQUIRE(checked.modems().size() == 2);
  CHECK(checked.modems()[0].device_id == "a");
  CHECK(checked.modems()[1].device_id == "c");
  const mmx::CheckedModem& a = checked.modems()[0];
  REQUIRE(a.bearers.size() == 2);
  CHECK(a.bearers[0].index == "2");
  CHECK(a.bearers[1].index == "10");
  REQUIRE(a.sims.size() == 2);
  CHECK(a.sims[0].getSlot() == 1);
  CHECK(a.sims[1].getSlot() == 2);
}

TEST_CASE("checked snapshot: error kinds sorted, a kind listed twice summed, sums saturate") {
  SnapshotFixture f(0);
  auto errors = f.builder().getCollection().initErrors(3);
  errors[0].setKind("timeout");
  errors[0].setCount(std::numeric_limits<std::uint64_t>::max());
  errors[1].setKind("access_denied");
  errors[1].setCount(2);
  errors[2].setKind("timeout");
  errors[2].setCount(5);
  const mmx::CheckedSnapshot checked(f.reader());
  REQUIRE(checked.errors().size() == 2);
  CHECK(checked.errors()[0].kind == "access_denied");
  CHECK(checked.errors()[0].count == 2u);
  CHECK(checked.errors()[1].kind == "timeout");
  CHECK(checked.errors()[1].count == std::numeric_limits<std::uint64_t>::max());
  CHECK(checked.errors_total() == std::numeric_limits<std::uint64_t>::max());
}

// The value of the one sample of `name` in `page`, or -1 if there is none.
double sample_value(const std::string& page, const std::string& name) {
  const std::size_t at = page.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(page.substr(at + name.size() + 2));
}

// The snapshot's age at a scrape used to be `now - time` in int64, which a
// hostile time overflows (undefined behaviour; UBSan stops the ASan build).
TEST_CASE("checked snapshot: every renderer survives a snapshot time at either end of int64") {
  SnapshotFixture f(1);
  for (const std::int64_t time : {kMin, std::int64_t{0}, kMax}) {
    f.builder().setTimeUnixNanos(time);
    for (const std::int64_t now : {kMin, std::int64_t{0}, kMax}) {
      CAPTURE(time);
      CAPTURE(now);
      mmx::ExporterStatus status;
      status.collector_up = true;
      status.now_unix_nanos = now;
      const std::string page = mmx::render_exporter_status(status, f.reader(), mmx::Format::kText);
      const double expected =
          now > time ? (static_cast<double>(now) - static_cast<double>(time)) / 1e9 : 0.0;
      CHECK(sample_value(page, "modemmanager_exporter_snapshot_age_seconds") ==
            doctest::Approx(expected));
      mmx::LandingInfo info;
      info.now_unix_nanos = now;
      CHECK(mmx::render_landing_page(f.reader(), info).find("Snapshot age") != std::string::npos);
    }
  }
}

}  // namespace
