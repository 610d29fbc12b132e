#include "process_stats.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <string>

namespace mmx {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Fields of /proc/self/stat after the ")" that ends the command name, which
// may itself contain spaces and parentheses.
// The fields of /proc/self/stat the process_* metrics use.
struct StatFields {
  unsigned long utime = 0;  // clock ticks
  unsigned long stime = 0;
  unsigned long long starttime = 0;  // clock ticks after boot
  long rss = 0;                      // pages
};

std::optional<StatFields> read_stat(int fd) {
  if (fd < 0) return std::nullopt;
  char buffer[1024];
  const ssize_t n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return std::nullopt;
  buffer[n] = '\0';
  const char* after_comm = std::strrchr(buffer, ')');
  if (after_comm == nullptr) return std::nullopt;
  // Fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt cminflt
  // majflt cmajflt utime(14) stime(15) cutime cstime priority nice
  // num_threads itrealvalue starttime(22) vsize rss(24)
  StatFields f;
  char state = 0;
  long skip = 0;
  unsigned long uskip = 0;
  long long llskip = 0;
  const int got = std::sscanf(after_comm + 1,
                              " %c %ld %ld %ld %ld %ld %lu %lu %lu %lu %lu %lu %lu %ld %ld %ld "
                              "%ld %ld %lld %llu %lu %ld",
                              &state, &skip, &skip, &skip, &skip, &skip, &uskip, &uskip, &uskip,
                              &uskip, &uskip, &f.utime, &f.stime, &skip, &skip, &skip, &skip, &skip,
                              &llskip, &f.starttime, &uskip, &f.rss);
  if (got != 22) return std::nullopt;
  return f;
}

double boot_time_seconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  while (stat >> key) {
    if (key == "btime") {
      double btime = kNaN;
      stat >> btime;
      return btime;
    }
    stat.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  // /proc/stat is hidden where only /proc/PID is mounted (systemd's
  // ProcSubset=pid): the wall clock minus the time since boot is the same.
  timespec now{};
  timespec since_boot{};
  if (::clock_gettime(CLOCK_REALTIME, &now) != 0 ||
      ::clock_gettime(CLOCK_BOOTTIME, &since_boot) != 0) {
    return kNaN;
  }
  return static_cast<double>(now.tv_sec - since_boot.tv_sec) +
         static_cast<double>(now.tv_nsec - since_boot.tv_nsec) / 1e9;
}

double count_open_fds(int dir_fd) {
  if (dir_fd < 0 || ::lseek(dir_fd, 0, SEEK_SET) != 0) return kNaN;
  alignas(8) char buffer[4096];
  double count = 0;
  for (;;) {
    const long n = ::syscall(SYS_getdents64, dir_fd, buffer, sizeof buffer);
    if (n < 0) return kNaN;
    if (n == 0) break;
    for (long offset = 0; offset < n;) {
      auto* entry = reinterpret_cast<struct dirent64*>(buffer + offset);
      if (entry->d_name[0] != '.') ++count;
      offset += entry->d_reclen;
    }
  }
  // The directory descriptor we read through is itself listed.
  return count - 1;
}

}  // namespace

ProcessStatsReader::ProcessStatsReader()
    : stat_(::open("/proc/self/stat", O_RDONLY | O_CLOEXEC)),
      fd_dir_(::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)),
      start_time_seconds_(kNaN),
      ticks_per_second_(::sysconf(_SC_CLK_TCK)),
      page_size_(::sysconf(_SC_PAGESIZE)) {
  const auto stat = read_stat(stat_.get());
  if (stat && ticks_per_second_ > 0) {
    start_time_seconds_ = boot_time_seconds() + static_cast<double>(stat->starttime) /
                                                    static_cast<double>(ticks_per_second_);
  }
}

ProcessSample ProcessStatsReader::sample() const {
  ProcessSample s{kNaN, kNaN, start_time_seconds_, kNaN, kNaN};
  const auto stat = read_stat(stat_.get());
  if (stat && ticks_per_second_ > 0) {
    s.cpu_seconds_total =
        static_cast<double>(stat->utime + stat->stime) / static_cast<double>(ticks_per_second_);
    s.resident_memory_bytes = static_cast<double>(stat->rss) * static_cast<double>(page_size_);
  }
  s.open_fds = count_open_fds(fd_dir_.get());
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds = limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                                : static_cast<double>(limit.rlim_cur);
  }
  return s;
}

}  // namespace mmx
