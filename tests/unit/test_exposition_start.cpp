// What a page says before the collector's first full collection has ended,
// and the collector's call-window families.
#include <doctest/doctest.h>

#include <string>

#include "exposition.h"
#include "snapshot_fixtures.h"

namespace {

using mmx::Format;
using mmx::test::SnapshotFixture;

bool has(const std::string& page, const std::string& text) {
  return page.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("exposition: before the first collection ends nothing is said of ModemManager") {
  SnapshotFixture f(2);
  f.builder().getManager().setPresent(false);  // not looked at yet
  f.builder().setFirstCollectionPending(true);
  auto errors = f.builder().getCollection().initErrors(1);
  errors[0].setKind("timeout");
  errors[0].setCount(0);
  f.builder().getCollection().setCallWindow(32);
  f.builder().getCollection().setCallsInFlightMax(5);
  for (Format format : {Format::kText, Format::kOpenMetrics}) {
    const std::string page = mmx::render_exposition(f.reader(), format);
    CHECK_FALSE(has(page, "modemmanager_up"));
    CHECK_FALSE(has(page, "modemmanager_modem"));
    CHECK_FALSE(has(page, "modemmanager_info"));
    CHECK_FALSE(has(page, "modemmanager_scrape_success"));
    CHECK_FALSE(has(page, "modemmanager_scrape_duration"));
    // The collector's own counters hold from its start.
    CHECK(has(page, "modemmanager_scrape_errors_total{kind=\"timeout\"} 0\n"));
    CHECK(has(page, "\nmodemmanager_exporter_dbus_call_window 32\n"));
    CHECK(has(page, "\nmodemmanager_exporter_dbus_calls_in_flight_max 5\n"));
  }
  f.builder().setFirstCollectionPending(false);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has(page, "\nmodemmanager_up 0\n"));
}

TEST_CASE("exposition: the call window is reported by collectors that have one") {
  SnapshotFixture f(1);
  f.builder().getCollection().setCallWindow(32);
  f.builder().getCollection().setCallsInFlightMax(32);
  f.builder().getCollection().setCallRetries(7);
  std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has(page, "\nmodemmanager_exporter_dbus_call_window 32\n"));
  CHECK(has(page, "\nmodemmanager_exporter_dbus_calls_in_flight_max 32\n"));
  CHECK(has(page, "\nmodemmanager_exporter_dbus_call_retries_total 7\n"));
  // 0: a collector from before the window.
  f.builder().getCollection().setCallWindow(0);
  page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK_FALSE(has(page, "modemmanager_exporter_dbus_call"));
}
