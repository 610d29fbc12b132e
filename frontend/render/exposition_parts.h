#pragma once
// The parts of the snapshot's exposition, one file per ModemManager
// interface (exposition_modem.cpp, _3gpp, _signal, _messaging, _location,
// _sim, _bearer) and per subject of the collector's own (exposition_collector.cpp:
// the collection and the D-Bus calls; exposition_events.cpp: what changed
// since the start; exposition_cells.cpp: cells and carriers;
// exposition_newer.cpp: what newer daemons have). render_exposition
// (exposition.cpp) calls them in the order of their families in the table.
// Each writes its rows with the one RowWriter (rows.h).

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "capnp_text.h"
#include "checked_snapshot.h"
#include "rows.h"
#include "snapshot.capnp.h"

namespace mmx {

// What the parts read of a bearer, looked up once: every family walks all
// bearers, and each pointer a Cap'n Proto reader follows costs time and
// counts against the reader's traversal limit.
struct BearerView {
  schema::Bearer::Reader bearer;
  std::optional<schema::BearerStats::Reader> stats;
  RenderedLabels labels;  // device_id, bearer
};

// The signal technologies in the order of their families; error_rate's
// technology label uses these names, as the modemmanager_signal_* names do.
enum Technology : std::size_t { kCdma, kEvdo, kGsm, kUmts, kLte, kNr5g, kTechnologies };

struct SignalView {
  std::uint32_t rate_seconds;
  std::array<schema::SignalValues::Reader, kTechnologies> values;
};

// What the parts read of a modem, looked up once, in the checked snapshot's
// order (by device id, one per device id).
struct ModemView {
  schema::Modem::Reader modem;
  bool has_modem_interface;
  std::optional<schema::ThreeGpp::Reader> three_gpp;
  std::optional<SignalView> signal;
  std::optional<schema::Location::Reader> location;
  std::optional<schema::Messaging::Reader> messaging;
  std::span<const schema::Sim::Reader> sims;  // by slot, one per slot
  RenderedLabels labels;                      // device_id
};

// Every modem's view, and every bearer's, modem by modem.
struct PageModems {
  std::vector<ModemView> modems;
  std::vector<BearerView> bearers;
};
PageModems page_modems(const CheckedSnapshot& snapshot);

inline double bool_value(bool b) {
  return b ? 1.0 : 0.0;
}

void render_collection(RowWriter& rows, const CheckedSnapshot& snapshot);
// The collector's own counters, which hold before its first collection too.
void render_collector_calls(RowWriter& rows, const CheckedSnapshot& snapshot);
void render_modem_interface(RowWriter& rows, std::span<const ModemView> modems);
void render_3gpp(RowWriter& rows, std::span<const ModemView> modems);
// modemmanager_modem_3gpp_network_rejection_info and modemmanager_modem_sar_*:
// what newer daemons (or modems with the Sar interface) have; absent otherwise.
void render_newer_daemon(RowWriter& rows, std::span<const ModemView> modems);
// modemmanager_modem_state_transitions_total ... _bearer_disconnects_total:
// from each modem's `events`; nothing for a modem without them.
void render_modem_events(RowWriter& rows, std::span<const ModemView> modems);
void render_signal(RowWriter& rows, std::span<const ModemView> modems);
void render_messaging(RowWriter& rows, std::span<const ModemView> modems);
void render_location(RowWriter& rows, std::span<const ModemView> modems);
// modemmanager_modem_cell_info_supported ... modemmanager_modem_cells_dropped.
void render_cells(RowWriter& rows, std::span<const ModemView> modems);
void render_sims(RowWriter& rows, std::span<const ModemView> modems);
void render_bearers(RowWriter& rows, std::span<const BearerView> bearers);

}  // namespace mmx
