#pragma once
// Keeps a snapshot inside the snapshot limits (snapshot_limit_table.h).
//
// Why cut rather than refuse: a value from ModemManager is outside input.
// The collector accepts D-Bus lists of up to 4096 entries and long strings;
// the frontend refuses a whole snapshot over its limits, so one modem with
// 17 drivers would otherwise take every /metrics answer down. A list longer
// than its limit keeps its first elements, a text longer than its limit its
// first bytes (cut on a UTF-8 character boundary). A label text that names a
// modem or bearer (a device id) keeps fewer, then "~" and the CRC-32 of the
// whole value in 8 hex digits: two ids alike in their first 128 bytes stay
// two modems, and the same id is cut the same way in every snapshot.

#include <cstddef>
#include <string>
#include <vector>

#include "snapshot.capnp.h"

namespace mmx {

struct SnapshotCut {
  std::string field;       // "Modem.drivers", as in schema/snapshot.capnp
  std::string modem_path;  // the modem the field belongs to, "" if none
  std::size_t size = 0;    // elements or bytes before the cut
  std::size_t kept = 0;    // after it
};

// Cuts, in place, every list and text of `snapshot` over its limit, and
// returns what it cut. Texts and lists are replaced by shorter copies: the
// space of the originals stays in the message (zeroed), bounded by what the
// collector accepts from D-Bus.
std::vector<SnapshotCut> fit_snapshot_to_limits(schema::Snapshot::Builder snapshot);

// The longest prefix of `text` of at most `max_bytes` bytes that does not
// end inside a UTF-8 sequence.
std::size_t utf8_prefix_bytes(std::string_view text, std::size_t max_bytes);

// `text` cut to `max_bytes` (at least 9): a prefix ending on a character
// boundary, then "~" and the CRC-32 of all of `text` in 8 hex digits.
std::string distinct_prefix(std::string_view text, std::size_t max_bytes);

}  // namespace mmx
