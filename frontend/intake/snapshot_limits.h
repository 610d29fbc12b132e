#pragma once
// The check of every frame against the snapshot limits
// (common/snapshot_limit_table.h, the numbers the collector builds within).
//
// A snapshot over any limit is refused whole, like a malformed one: the
// receiver drops the connection and nothing of it is served. A list field
// without a limit is refused, so a schema change cannot skip this review.

#include "expected.h"
#include "snapshot.capnp.h"
#include "snapshot_limit_table.h"

namespace mmx {

// Reads every field of `snapshot`, so that each pointer, list and text of
// the message is checked now (bounds, types, NUL termination) and not while
// a page is built, and checks the limits. The error names the first limit
// the snapshot exceeds. A malformed message throws kj::Exception, as every
// read of it does: the receiver, where the frame comes in, catches it.
[[nodiscard]] Expected<> check_snapshot(schema::Snapshot::Reader snapshot);

}  // namespace mmx
