#pragma once
// Model -> Snapshot: the one place that knows how ModemManager's properties
// map onto schema/snapshot.capnp.

#include <capnp/message.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "error_counters.h"
#include "modem_events.h"
#include "modem_model.h"
#include "process_stats.h"
#include "redaction.h"
#include "snapshot_fit.h"

namespace mmx {

struct CollectionStatus {
  double duration_seconds;  // NaN before the first full collection finished
  bool success = false;
};

struct SnapshotContext {
  // The first full collection has not ended yet (schema: firstCollectionPending).
  bool first_collection_pending = false;
  // D-Bus call window and retries (mm_client.h).
  std::uint32_t call_window = 0;
  std::uint32_t calls_in_flight_max = 0;
  std::uint64_t call_retries = 0;
  std::uint64_t sequence = 0;
  // Changes exactly when the content may have: a frontend re-renders then.
  std::uint64_t generation = 0;
  std::chrono::milliseconds heartbeat_interval{1000};
  CollectionStatus collection;
  const ErrorCounters* errors = nullptr;
  // Unset: the snapshot's modems carry no events.
  const ModemEvents* events = nullptr;
  ProcessSample process{};
  Redaction redaction;
};

// The snapshot is inside the snapshot limits: what had to be cut to fit
// them is returned (snapshot_fit.h).
std::vector<SnapshotCut> build_snapshot(const ModemModel& model, const SnapshotContext& context,
                                        capnp::MessageBuilder& message);

// Writes `counters` into the snapshot's Collection.errors in place.
void set_error_counts(capnp::MessageBuilder& snapshot, const ErrorCounters& counters);

// Writes the collector's process_* values into `snapshot` in place: a
// heartbeat does only this to the last snapshot.
void set_collector_process(capnp::MessageBuilder& snapshot, const ProcessSample& process);

}  // namespace mmx
