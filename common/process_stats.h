#pragma once
// The process_* metrics every Prometheus client library exports, read from
// /proc through descriptors opened up front: the frontend keeps reading them
// after its sandbox forbids open().

#include "unique_fd.h"

namespace mmx {

struct ProcessSample {
  // NaN when the kernel would not tell.
  double cpu_seconds_total;
  double resident_memory_bytes;
  double start_time_seconds;
  double open_fds;
  double max_fds;
};

class ProcessStatsReader {
 public:
  ProcessStatsReader();
  ProcessSample sample() const;
  // The descriptors it holds, so a sandbox can account for them.
  int stat_fd() const { return stat_.get(); }
  int fd_dir_fd() const { return fd_dir_.get(); }

 private:
  UniqueFd stat_;
  UniqueFd fd_dir_;
  double start_time_seconds_;
  long ticks_per_second_;
  long page_size_;
};

}  // namespace mmx
