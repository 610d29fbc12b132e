#pragma once
// The wall clock as the snapshot carries it.

#include <chrono>
#include <cstdint>

namespace mmx {

// Nanoseconds since the Unix epoch by the system clock: the unit of the
// snapshot's times (timeUnixNanos, lastStateChangeUnixNanos) and of the
// ages computed from them. Not monotonic: it jumps when the clock is set.
inline std::int64_t wall_clock_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace mmx
