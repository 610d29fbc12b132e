#include "cell_info.h"

#include <sdbus-c++/Types.h>

#include <algorithm>
#include <array>
#include <map>

namespace mmx {
namespace {

// MMCellType values (ModemManager-enums.h).
constexpr std::uint32_t kCellGsm = 2;
constexpr std::uint32_t kCellUmts = 3;
constexpr std::uint32_t kCellTdscdma = 4;
constexpr std::uint32_t kCellLte = 5;
constexpr std::uint32_t kCell5gnr = 6;

struct BandRange {
  std::uint32_t band;
  std::uint32_t first;
  std::uint32_t last;
};

// Downlink EARFCN ranges of the E-UTRA bands (3GPP TS 36.101, table 5.7.3-1).
constexpr std::array<BandRange, 46> kLteBands = {{
    {1, 0, 599},        {2, 600, 1199},     {3, 1200, 1949},    {4, 1950, 2399},
    {5, 2400, 2649},    {7, 2750, 3449},    {8, 3450, 3799},    {9, 3800, 4149},
    {10, 4150, 4749},   {11, 4750, 4949},   {12, 5010, 5179},   {13, 5180, 5279},
    {14, 5280, 5379},   {17, 5730, 5849},   {18, 5850, 5999},   {19, 6000, 6149},
    {20, 6150, 6449},   {21, 6450, 6599},   {22, 6600, 7399},   {24, 7700, 8039},
    {25, 8040, 8689},   {26, 8690, 9039},   {27, 9040, 9209},   {28, 9210, 9659},
    {29, 9660, 9769},   {30, 9770, 9869},   {31, 9870, 9919},   {32, 9920, 10359},
    {33, 36000, 36199}, {34, 36200, 36349}, {35, 36350, 36949}, {36, 36950, 37549},
    {37, 37550, 37749}, {38, 37750, 38249}, {39, 38250, 38649}, {40, 38650, 39649},
    {41, 39650, 41589}, {42, 41590, 43589}, {43, 43590, 45589}, {44, 45590, 46589},
    {45, 46590, 46789}, {46, 46790, 54539}, {47, 54540, 55239}, {48, 55240, 56739},
    {66, 66436, 67335}, {71, 68586, 68935},
}};

// The strength a neighbour is ranked by, in dBm; lower when unknown.
double strength(const Cell& c) {
  for (double v : {c.rsrp, c.rscp, c.rx_level_dbm}) {
    if (v == v) return v;
  }
  return -1e9;
}

}  // namespace

std::uint32_t lte_band_of_earfcn(std::uint32_t earfcn) {
  for (const BandRange& r : kLteBands) {
    if (earfcn >= r.first && earfcn <= r.last) return r.band;
  }
  return 0;
}

CellReport read_cell_info(sdbus::MethodReply& reply, std::uint64_t& invalid) {
  std::vector<std::map<std::string, sdbus::Variant>> raw;
  reply >> raw;
  std::vector<Cell> cells;
  cells.reserve(std::min<std::size_t>(raw.size(), 64));
  for (const auto& dict : raw) {
    Cell c;
    auto text = [&](const char* key, std::string& out) {
      auto it = dict.find(key);
      if (it == dict.end()) return;
      if (it->second.peekValueType() != "s") {
        ++invalid;
        return;
      }
      out = it->second.get<std::string>().substr(0, kMaxCellText);
    };
    auto uint = [&](const char* key) -> std::optional<std::uint32_t> {
      auto it = dict.find(key);
      if (it == dict.end()) return std::nullopt;
      if (it->second.peekValueType() != "u") {
        ++invalid;
        return std::nullopt;
      }
      return it->second.get<std::uint32_t>();
    };
    auto real = [&](const char* key) {
      auto it = dict.find(key);
      if (it == dict.end()) return kNoValue;
      if (it->second.peekValueType() != "d") {
        ++invalid;
        return kNoValue;
      }
      return it->second.get<double>();
    };
    c.cell_type = uint("cell-type").value_or(0);
    if (auto it = dict.find("serving"); it != dict.end()) {
      if (it->second.peekValueType() == "b") {
        c.serving = it->second.get<bool>();
      } else {
        ++invalid;
      }
    }
    c.role = uint("serving-cell-type").value_or(0);
    text("operator-id", c.operator_id);
    text("lac", c.lac);
    text("tac", c.tac);
    text("ci", c.ci);
    switch (c.cell_type) {
      case kCellLte:
        text("physical-ci", c.pci);
        c.arfcn = uint("earfcn");
        break;
      case kCell5gnr:
        text("physical-ci", c.pci);
        c.arfcn = uint("nrarfcn");
        break;
      case kCellUmts:
      case kCellTdscdma:
        if (auto psc = uint("psc")) c.pci = std::to_string(*psc);
        c.arfcn = uint("uarfcn");
        break;
      case kCellGsm:
        text("base-station-id", c.pci);
        c.arfcn = uint("arfcn");
        break;
      default:
        break;
    }
    c.bandwidth = uint("bandwidth");
    c.rsrp = real("rsrp");
    c.rsrq = real("rsrq");
    c.sinr = real("sinr");
    c.rscp = real("rscp");
    c.ecio = real("ecio");
    // RXLEV n (0..63, 3GPP TS 45.008) is a received level of -111 + n dBm
    // (0: below -110, 63: above -48).
    if (auto rx = uint("rx-level"); rx && *rx <= 63) {
      c.rx_level_dbm = -111.0 + static_cast<double>(*rx);
    }
    if (auto ta = uint("timing-advance")) c.timing_advance = static_cast<double>(*ta);
    cells.push_back(std::move(c));
  }
  return select_cells(std::move(cells));
}

CellReport select_cells(std::vector<Cell> cells) {
  CellReport report;
  std::vector<Cell> neighbours;
  for (Cell& c : cells) {
    if (c.serving) {
      if (report.cells.size() < kMaxServingCells) {
        report.cells.push_back(std::move(c));
      } else {
        ++report.dropped;
      }
    } else {
      neighbours.push_back(std::move(c));
    }
  }
  std::stable_sort(neighbours.begin(), neighbours.end(),
                   [](const Cell& a, const Cell& b) { return strength(a) > strength(b); });
  std::size_t kept = 0;
  for (Cell& c : neighbours) {
    if (kept < kMaxNeighbourCells) {
      report.cells.push_back(std::move(c));
      ++kept;
    } else {
      ++report.dropped;
    }
  }
  return report;
}

}  // namespace mmx
