#pragma once
// Modem.GetCellInfo's answer, read and bounded: the serving cells (every
// carrier of an aggregated or EN-DC link) and the strongest neighbours.

#include <sdbus-c++/Message.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace mmx {

inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

struct Cell {
  std::uint32_t cell_type = 0;  // MMCellType
  bool serving = false;
  std::uint32_t role = 0;  // MMServingCellType (ModemManager >= 1.22); 0: not given
  std::string operator_id;
  std::string lac;
  std::string tac;
  std::string ci;
  // LTE/NR physical-ci (hex, as given), UMTS psc, GSM base-station-id.
  std::string pci;
  // EARFCN, NR-ARFCN, UARFCN or ARFCN, whichever the cell type has.
  std::optional<std::uint32_t> arfcn;
  std::optional<std::uint32_t> bandwidth;  // ModemManager >= 1.22
  double rsrp = kNoValue;
  double rsrq = kNoValue;
  double sinr = kNoValue;
  double rscp = kNoValue;
  double ecio = kNoValue;
  double rx_level_dbm = kNoValue;
  double timing_advance = kNoValue;
};

struct CellReport {
  std::vector<Cell> cells;    // serving first, then neighbours strongest first
  std::uint32_t dropped = 0;  // cells left out by the caps below
};

// Serving cells kept per modem: LTE-A has up to 5 carriers, EN-DC adds NR.
inline constexpr std::size_t kMaxServingCells = 8;
// Neighbour cells kept per modem, the strongest by RSRP, RSCP or RX level.
inline constexpr std::size_t kMaxNeighbourCells = 4;
// Text values longer than this are cut (an operator id or hex cell id is short).
inline constexpr std::size_t kMaxCellText = 32;

// Reads the aa{sv} of GetCellInfo. Keys with an unexpected type are skipped
// (counted in `invalid`); cells beyond the caps are dropped and counted.
CellReport read_cell_info(sdbus::MethodReply& reply, std::uint64_t& invalid);
CellReport select_cells(std::vector<Cell> cells);

// The E-UTRA band of a downlink EARFCN (3GPP TS 36.101 table 5.7.3-1), or
// 0 when the EARFCN is in no band this table knows.
std::uint32_t lte_band_of_earfcn(std::uint32_t earfcn);

}  // namespace mmx
