#pragma once
// Parts of the snapshot's exposition rendered outside the SnapshotRenderer
// of exposition.cpp, one file per subject: exposition_collector.cpp (the
// collector's D-Bus calls), exposition_events.cpp (what changed since the
// start: flapping), exposition_cells.cpp (cells and carriers).
// render_exposition calls them at their families' places in the table.

#include <span>
#include <string_view>

#include "exposition_writer.h"
#include "snapshot.capnp.h"

namespace mmx {

// A modem to render, after render_exposition's sorting and de-duplication.
struct ModemRef {
  schema::Modem::Reader modem;
  std::string_view labels;  // device_id="…", rendered once
};

void render_dbus_calls(ExpositionWriter& w, schema::Collection::Reader collection);

// modemmanager_modem_3gpp_network_rejection_info and modemmanager_modem_sar_*:
// what newer daemons (or modems with the Sar interface) have; absent otherwise.
void render_newer_daemon(ExpositionWriter& w, std::span<const ModemRef> modems);

// modemmanager_modem_state_transitions_total ... _bearer_disconnects_total:
// from each modem's `events`; nothing for a modem without them.
void render_modem_events(ExpositionWriter& w, std::span<const ModemRef> modems);

// modemmanager_modem_cell_info_supported ... modemmanager_modem_cells_dropped.
void render_cells(ExpositionWriter& w, std::span<const ModemRef> modems);

}  // namespace mmx
