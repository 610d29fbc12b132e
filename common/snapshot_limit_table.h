#pragma once
// How much one snapshot may hold: the numbers both processes use. The
// collector builds every snapshot inside them (collector/snapshot_fit.h:
// longer lists and texts from ModemManager are cut); the frontend refuses
// a snapshot over them (frontend/intake/snapshot_limits.h), its boundary
// against a broken or hostile peer.
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
// Every list field of the schema must have a limit here (a unit test checks
// it); the frontend refuses a list without one, so a schema change cannot
// skip this review.

#include <cstddef>
#include <cstdint>
#include <string_view>

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

// Texts repeated as a label on many series: the first amplifier. Each
// names one modem or bearer: the collector cuts them so that two stay two
// (collector/snapshot_fit.h).
inline constexpr TextLimit kLabelTextLimits[] = {
    {"Modem", "deviceId", 128},  // ModemManager's: 40 hex digits
    {"Bearer", "index", 32},     // the last element of an object path: digits
};

// The entry of kLabelTextLimits for `struct_name`.`field`, or null.
constexpr const TextLimit* label_text_limit(std::string_view struct_name, std::string_view field) {
  for (const TextLimit& limit : kLabelTextLimits) {
    if (limit.struct_name == struct_name && limit.field == field) return &limit;
  }
  return nullptr;
}

// True for the texts of kLabelTextLimits.
constexpr bool is_label_text(std::string_view struct_name, std::string_view field) {
  return label_text_limit(struct_name, field) != nullptr;
}

// The most bytes a text field `struct_name`.`field` may hold.
constexpr std::size_t text_limit(std::string_view struct_name, std::string_view field) {
  const TextLimit* limit = label_text_limit(struct_name, field);
  return limit != nullptr ? limit->max_bytes : kMaxTextBytes;
}

// The index in kListLimits of the list field `struct_name`.`field`, or
// std::size(kListLimits) when it has none.
constexpr std::size_t list_limit_index(std::string_view struct_name, std::string_view field) {
  std::size_t i = 0;
  for (; i < std::size(kListLimits); ++i) {
    if (kListLimits[i].struct_name == struct_name && kListLimits[i].field == field) break;
  }
  return i;
}

}  // namespace mmx
