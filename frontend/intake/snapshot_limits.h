#pragma once
// How much one snapshot may hold, and the check of every frame against it.
//
// Why limits on top of kMaxFrameBytes and the readers' traversal limit: those
// bound what is read, not what rendering makes of it. A modem's device_id is
// repeated in each of its ~130 series and in every series of its bearers; a
// bearer's index in each of its own. A hostile or broken collector that
// fills an 8 MiB frame with long device ids and many small bearers makes
// gigabytes of exposition out of it (fuzzing found this). With the limits
// below, the worst page stays in the tens of MiB (1024 modems of ~130
// series, 4096 bearers of ~12, each line under 400 bytes), while every real
// installation stays far inside them: ModemManager's device ids are 40 hex
// digits, a modem has a handful of SIMs, bearers and ports, and one host
// carries tens of modems, not a thousand.
//
// A snapshot over any limit is refused whole, like a malformed one: the
// receiver drops the connection and nothing of it is served. Every list
// field of the schema must have a limit here (a unit test checks it); one
// without is refused, so a schema change cannot skip this review.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "snapshot.capnp.h"

namespace mmx {

inline constexpr std::uint32_t kMaxModems = 1024;

struct ListLimit {
  std::string_view struct_name;  // as in schema/snapshot.capnp
  std::string_view field;
  std::uint32_t per_list;      // elements in one such list
  std::uint32_t per_snapshot;  // elements in all such lists of one snapshot
};

inline constexpr ListLimit kListLimits[] = {
    {"Snapshot", "modems", kMaxModems, kMaxModems},
    // Kinds of D-Bus failure: a fixed set of a dozen.
    {"Collection", "errors", 64, 64},
    // SIM slots; real modems have one to four.
    {"Modem", "sims", 64, 4096},
    // Bearers are the second amplifier (each carries ~12 labelled series):
    // hence the total.
    {"Modem", "bearers", 64, 4096},
    {"Modem", "ports", 64, 8192},
    // MMModemBand has some 300 values; a modem uses tens of them at once.
    {"Modem", "currentBands", 256, 65536},
    // MMModemLock has some 20 values.
    {"Modem", "unlockRetries", 64, 16384},
    {"Modem", "drivers", 16, 16384},
    {"Modem", "ownNumbers", 16, 16384},
    // Counts by enum value: MMModemState has 13 values, the change reasons
    // 4, MMModem3gppRegistrationState 12; the collector bounds them too.
    {"ModemEvents", "stateEntries", 64, 65536},
    {"ModemEvents", "stateChangeReasons", 64, 65536},
    {"ModemEvents", "registrationEntries", 64, 65536},
    // The collector keeps 8 serving and 4 neighbour cells per modem.
    {"Modem", "cells", 16, 16384},
};

// Any text (or data) field.
inline constexpr std::size_t kMaxTextBytes = 64 * 1024;

struct TextLimit {
  std::string_view struct_name;
  std::string_view field;
  std::size_t max_bytes;
};

// Texts repeated as a label on many series: the first amplifier.
inline constexpr TextLimit kLabelTextLimits[] = {
    {"Modem", "deviceId", 128},  // ModemManager's: 40 hex digits
    {"Bearer", "index", 32},     // the last element of an object path: digits
};

// Reads every field of `snapshot`, so that each pointer, list and text of
// the message is checked now (bounds, types, NUL termination) and not while
// a page is built, and checks the limits above. Returns "" when the
// snapshot is within them, else the first limit it exceeds. A malformed
// message throws kj::Exception.
std::string check_snapshot(schema::Snapshot::Reader snapshot);

}  // namespace mmx
