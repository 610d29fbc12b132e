#include <doctest/doctest.h>

#include <string>

#include "modem_events.h"

using mmx::ModemEvents;

TEST_CASE("modem events: counted per device id, by state, reason and registration") {
  ModemEvents events;
  events.state_changed("a", 8, 1, 100);
  events.state_changed("a", 11, 1, 200);
  events.state_changed("a", 8, 3, 300);
  events.registration_changed("a", 1);
  events.bearer_connected_changed("a", true);
  events.bearer_connected_changed("a", false);
  events.bearer_connected_changed("a", false);
  const auto* a = events.find("a");
  REQUIRE(a != nullptr);
  CHECK(a->state_entries.at(8) == 2);
  CHECK(a->state_entries.at(11) == 1);
  CHECK(a->state_reasons.at(1) == 2);
  CHECK(a->state_reasons.at(3) == 1);
  CHECK(a->registration_entries.at(1) == 1);
  CHECK(a->bearer_connects == 1);
  CHECK(a->bearer_disconnects == 2);
  CHECK(a->last_state_change_unix_nanos == 300);
  CHECK(events.find("b") == nullptr);
  events.state_changed("", 8, 1, 1);  // a modem without a device id: nowhere to count
  CHECK(events.find("") == nullptr);
}

TEST_CASE("modem events: bounded in devices and in values per device") {
  ModemEvents events;
  for (int v = 0; v < 1000; ++v) events.state_changed("a", v, static_cast<std::uint32_t>(v), 1);
  CHECK(events.find("a")->state_entries.size() == ModemEvents::kMaxValues);
  CHECK(events.find("a")->state_reasons.size() == ModemEvents::kMaxValues);
  for (std::size_t d = 0; d < ModemEvents::kMaxDevices + 10; ++d) {
    events.bearer_connected_changed("dev" + std::to_string(d), true);
  }
  // The least recently touched went first: "a", then the first devices.
  CHECK(events.find("a") == nullptr);
  CHECK(events.find("dev0") == nullptr);
  CHECK(events.find("dev" + std::to_string(ModemEvents::kMaxDevices + 9)) != nullptr);
}

#include "cell_info.h"

TEST_CASE("cells: all serving cells first, then the strongest neighbours; the rest counted") {
  std::vector<mmx::Cell> cells;
  for (int i = 0; i < 7; ++i) {
    mmx::Cell c;
    c.serving = i == 3;
    c.rsrp = -100.0 - i;
    c.pci = std::to_string(i);
    cells.push_back(c);
  }
  mmx::Cell gsm;
  gsm.rx_level_dbm = -60;  // the strongest, in its own measure
  gsm.pci = "gsm";
  cells.push_back(gsm);
  const mmx::CellReport report = mmx::select_cells(cells);
  REQUIRE(report.cells.size() == 1 + mmx::kMaxNeighbourCells);
  CHECK(report.cells[0].pci == "3");
  CHECK(report.cells[1].pci == "gsm");
  CHECK(report.cells[2].pci == "0");
  CHECK(report.cells[4].pci == "2");
  CHECK(report.dropped == 3);
}

TEST_CASE("cells: the E-UTRA band of a downlink EARFCN") {
  CHECK(mmx::lte_band_of_earfcn(6300) == 20);
  CHECK(mmx::lte_band_of_earfcn(1300) == 3);
  CHECK(mmx::lte_band_of_earfcn(3100) == 7);
  CHECK(mmx::lte_band_of_earfcn(66786) == 66);
  CHECK(mmx::lte_band_of_earfcn(0) == 1);
  CHECK(mmx::lte_band_of_earfcn(5000) == 0);  // between bands 11 and 12
}
