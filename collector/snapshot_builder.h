#pragma once
// Model -> Snapshot: the one place that knows how ModemManager's properties
// map onto schema/snapshot.capnp.

#include <capnp/message.h>

#include <chrono>
#include <cstdint>

#include "error_counters.h"
#include "modem_events.h"
#include "modem_model.h"
#include "process_stats.h"
#include "redaction.h"

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

void build_snapshot(const ModemModel& model, const SnapshotContext& context,
                    capnp::MessageBuilder& message);

// Writes the collector's process_* values into `snapshot` in place: a
// heartbeat does only this to the last snapshot.
void set_collector_process(capnp::MessageBuilder& snapshot, const ProcessSample& process);

}  // namespace mmx
