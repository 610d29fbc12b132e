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

TEST_CASE("exposition: state changes from 0 per state, unknown values summed as other") {
  SnapshotFixture f(1);
  auto events = f.modem(0).initEvents();
  auto states = events.initStateEntries(3);
  states[0].setValue(8);  // registered
  states[0].setCount(2);
  states[1].setValue(99);
  states[1].setCount(1);
  states[2].setValue(98);
  states[2].setCount(4);
  auto reasons = events.initStateChangeReasons(1);
  reasons[0].setValue(3);
  reasons[0].setCount(2);
  events.setBearerDisconnects(5);
  const std::string page = mmx::render_exposition(f.reader(), Format::kText);
  const std::string id = "device_id=\"" + mmx::test::device_id(0) + "\"";
  CHECK(
      has(page, "modemmanager_modem_state_transitions_total{" + id + ",state=\"registered\"} 2\n"));
  CHECK(has(page, "modemmanager_modem_state_transitions_total{" + id + ",state=\"failed\"} 0\n"));
  CHECK(has(page, "modemmanager_modem_state_transitions_total{" + id + ",state=\"other\"} 5\n"));
  CHECK(has(page,
            "modemmanager_modem_state_change_reasons_total{" + id + ",reason=\"failure\"} 2\n"));
  CHECK(has(page, "modemmanager_modem_bearer_disconnects_total{" + id + "} 5\n"));
  CHECK(has(page, "modemmanager_modem_bearer_connects_total{" + id + "} 0\n"));
  // No change seen: no time of one.
  CHECK_FALSE(has(page, "modemmanager_modem_state_last_change_timestamp_seconds{"));
  events.setLastStateChangeUnixNanos(1'700'000'000'500'000'000);
  CHECK(has(mmx::render_exposition(f.reader(), Format::kText),
            "modemmanager_modem_state_last_change_timestamp_seconds{" + id + "} 1700000000.5\n"));
}

TEST_CASE("exposition: cells by identity, carriers by role, unsupported without cells") {
  SnapshotFixture f(1);
  const std::string id = "device_id=\"" + mmx::test::device_id(0) + "\"";
  std::string page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has(page, "modemmanager_cell_info{" + id +
                      ",cell_type=\"lte\",serving=\"true\",role=\"pcell\",operator_id=\"21401\","
                      "lac=\"\",tac=\"2B0F\",ci=\"1A2B3C4\",pci=\"1F4\",arfcn=\"6300\",band=\"20\","
                      "bandwidth=\"10000\"} 1\n"));
  CHECK(has(page, "modemmanager_cell_rsrp_dbm{" + id +
                      ",cell_type=\"lte\",role=\"scell\",pci=\"8C\",arfcn=\"3100\"} -104\n"));
  CHECK(has(page, "modemmanager_modem_carriers{" + id + ",role=\"scell\"} 1\n"));
  CHECK(has(page, "modemmanager_modem_carriers{" + id + ",role=\"pscell\"} 0\n"));
  // No role-less serving cell: no such series.
  CHECK_FALSE(has(page, "role=\"serving\""));
  CHECK(has(page, "modemmanager_modem_cell_info_supported{" + id + "} 1\n"));
  // A neighbour alike to a cell already shown in identity is not a duplicate.
  auto cells = f.modem(0).getCells();
  cells[2].setServing(true);
  cells[2].setRole(2);
  cells[2].setPci("8C");
  cells[2].setArfcn(3100);
  page = mmx::render_exposition(f.reader(), Format::kText);
  const std::string twice = "modemmanager_cell_rsrp_dbm{" + id +
                            ",cell_type=\"lte\",role=\"scell\",pci=\"8C\",arfcn=\"3100\"}";
  CHECK(page.find(twice) == page.rfind(twice));
  f.modem(0).setCellInfo(mmx::schema::CellInfoStatus::UNSUPPORTED);
  f.modem(0).initCells(0);
  page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has(page, "modemmanager_modem_cell_info_supported{" + id + "} 0\n"));
  CHECK_FALSE(has(page, "modemmanager_cell_info{"));
  CHECK_FALSE(has(page, "modemmanager_modem_carriers{"));
}

TEST_CASE("exposition: NetworkRejection, Physdev and Sar when the daemon has them, else absent") {
  SnapshotFixture f(1);
  const std::string id = "device_id=\"" + mmx::test::device_id(0) + "\"";
  std::string page = mmx::render_exposition(f.reader(), Format::kText);
  // An older daemon: no rejection, no Sar, an empty physdev label.
  CHECK_FALSE(has(page, "modemmanager_modem_3gpp_network_rejection_info{"));
  CHECK_FALSE(has(page, "modemmanager_modem_sar_"));
  CHECK(has(page, ",physdev=\"\"} 1\n"));
  auto r = f.modem(0).getThreeGpp().initNetworkRejection();
  r.setError(11);
  r.setOperatorId("21407");
  r.setAccessTechnology(1 << 14);  // lte
  auto sar = f.modem(0).initSar();
  sar.setEnabled(true);
  sar.setPowerLevel(2);
  f.modem(0).setPhysdev("/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1");
  page = mmx::render_exposition(f.reader(), Format::kText);
  CHECK(has(page, "modemmanager_modem_3gpp_network_rejection_info{" + id +
                      ",error=\"11\",operator_id=\"21407\",access_technology=\"lte\"} 1\n"));
  CHECK(has(page, "modemmanager_modem_sar_enabled{" + id + "} 1\n"));
  CHECK(has(page, "modemmanager_modem_sar_power_level{" + id + "} 2\n"));
  CHECK(has(page, ",physdev=\"/sys/devices/pci0000:00/0000:00:14.0/usb2/2-1\"} 1\n"));
}
