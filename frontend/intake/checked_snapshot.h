#pragma once
// The snapshot as every renderer reads it: checked and normalised here, in
// one place, so that no renderer re-checks the peer's data in its own way
// and a page never depends on the peer's care.
//
// The message itself was checked on arrival (check_snapshot in
// snapshot_limits.h: every pointer, list and text read and bounded). What
// this adds is what a renderer would otherwise have to get right each time:
//
//   - modems in device-id order, one per device id, so no series repeats;
//   - each modem's bearers in index order ("2" before "10"), one per index,
//     and its SIMs in slot order, one per slot;
//   - D-Bus error kinds in order, a kind listed twice summed (saturating);
//   - the numbers a renderer computes with made safe: the snapshot's age
//     from a peer time that may be any int64.
//
// A CheckedSnapshot holds readers into one message: it lives no longer than
// the message reader it was made from (one walk).

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "snapshot.capnp.h"

namespace mmx {

struct CheckedBearer {
  schema::Bearer::Reader bearer;
  std::string_view index;
  std::optional<schema::BearerStats::Reader> stats;
};

struct CheckedModem {
  schema::Modem::Reader modem;
  std::string_view device_id;
  std::vector<CheckedBearer> bearers;
  std::vector<schema::Sim::Reader> sims;
};

struct ErrorKindCount {
  std::string_view kind;
  std::uint64_t count;
};

class CheckedSnapshot {
 public:
  explicit CheckedSnapshot(schema::Snapshot::Reader snapshot);

  schema::Snapshot::Reader raw() const { return raw_; }
  const std::vector<CheckedModem>& modems() const { return modems_; }
  const std::vector<ErrorKindCount>& errors() const { return errors_; }
  // All D-Bus errors of `errors()`, saturating at UINT64_MAX.
  std::uint64_t errors_total() const { return errors_total_; }

  // Seconds from the snapshot's time to `now_unix_nanos`; 0 when the
  // snapshot is from the future (a wall clock stepped back). Exact for any
  // two int64 times: no overflow whatever the peer sent.
  double age_seconds(std::int64_t now_unix_nanos) const;

 private:
  schema::Snapshot::Reader raw_;
  std::vector<CheckedModem> modems_;
  std::vector<ErrorKindCount> errors_;
  std::uint64_t errors_total_ = 0;
};

// Nanoseconds from `earlier` to `later`, 0 if `later` is not after it, for
// any two int64 values.
std::uint64_t nanos_between(std::int64_t earlier, std::int64_t later);

// Seconds from a snapshot's `time_unix_nanos` to `now_unix_nanos`, as
// CheckedSnapshot::age_seconds: for a renderer that holds only the time (the
// exporter status, rendered at every scrape, builds no CheckedSnapshot).
double age_seconds(std::int64_t time_unix_nanos, std::int64_t now_unix_nanos);

}  // namespace mmx
