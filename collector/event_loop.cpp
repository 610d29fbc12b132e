#include "event_loop.h"

#include <sdbus-c++/IConnection.h>
#include <time.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "errno_text.h"
#include "log.h"

namespace mmx {

void EventLoop::watch(int fd, short events, FdCallback callback) {
  watches_[fd] = Watch{events, std::move(callback)};
}

void EventLoop::set_events(int fd, short events) {
  if (auto it = watches_.find(fd); it != watches_.end()) it->second.events = events;
}

void EventLoop::unwatch(int fd) {
  watches_.erase(fd);
}

EventLoop::TimerId EventLoop::schedule(Clock::time_point when, std::function<void()> callback) {
  const TimerId id = next_timer_++;
  timers_.emplace(when, std::make_pair(id, std::move(callback)));
  return id;
}

void EventLoop::cancel(TimerId id) {
  for (auto it = timers_.begin(); it != timers_.end(); ++it) {
    if (it->second.first == id) {
      timers_.erase(it);
      return;
    }
  }
}

void EventLoop::every(std::chrono::nanoseconds interval, std::function<void()> callback) {
  schedule_after(interval, [this, interval, callback = std::move(callback)] {
    callback();
    every(interval, callback);
  });
}

void EventLoop::bus_failed(const char* why) {
  log_error("lost the D-Bus connection", {{"err", why}});
  auto on_lost = std::move(on_bus_lost_);
  detach_bus();
  if (on_lost) on_lost();
}

void EventLoop::dispatch_bus() {
  if (bus_ == nullptr) return;
  try {
    while (bus_ != nullptr && bus_->processPendingRequest()) {
    }
  } catch (const std::exception& e) {
    // sd-bus reports a dead connection by failing to process it.
    bus_failed(e.what());
  }
}

void EventLoop::run_due_timers() {
  const auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto callback = std::move(timers_.begin()->second.second);
    timers_.erase(timers_.begin());
    callback();
  }
}

void EventLoop::run() {
  running_ = true;
  std::vector<pollfd> fds;
  while (running_) {
    dispatch_bus();
    run_due_timers();
    if (!running_) break;

    fds.clear();
    int timeout_ms = -1;
    if (!timers_.empty()) {
      const auto wait =
          std::chrono::ceil<std::chrono::milliseconds>(timers_.begin()->first - Clock::now());
      timeout_ms = static_cast<int>(
          std::max<std::int64_t>(0, std::min<std::int64_t>(wait.count(), INT_MAX)));
    }
    std::size_t bus_index = SIZE_MAX;
    if (bus_ != nullptr) {
      const auto data = bus_->getEventLoopPollData();
      bus_index = fds.size();
      fds.push_back(pollfd{data.fd, data.events, 0});
      if (data.timeout_usec != UINT64_MAX) {
        timespec ts{};
        clock_gettime(CLOCK_MONOTONIC, &ts);
        const std::uint64_t now_usec = static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000u +
                                       static_cast<std::uint64_t>(ts.tv_nsec) / 1000u;
        const std::uint64_t bus_ms =
            data.timeout_usec > now_usec ? (data.timeout_usec - now_usec + 999) / 1000 : 0;
        const int bus_timeout = static_cast<int>(std::min<std::uint64_t>(bus_ms, INT_MAX));
        timeout_ms = timeout_ms < 0 ? bus_timeout : std::min(timeout_ms, bus_timeout);
      }
    }
    const std::size_t first_watch = fds.size();
    for (const auto& [fd, w] : watches_) fds.push_back(pollfd{fd, w.events, 0});

    const int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_error("poll failed", {{"err", errno_text()}});
      return;
    }
    if (bus_ != nullptr && bus_index != SIZE_MAX &&
        (fds[bus_index].revents & (POLLHUP | POLLERR | POLLNVAL))) {
      // Let sd-bus read what is left (it may be the reason), then give up.
      dispatch_bus();
      if (bus_ != nullptr) bus_failed("the bus closed the connection");
    }
    for (std::size_t i = first_watch; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      // The callback may unwatch this or other fds; look each up afresh.
      auto it = watches_.find(fds[i].fd);
      if (it == watches_.end()) continue;
      auto callback = it->second.callback;
      callback(fds[i].revents);
      if (!running_) break;
    }
  }
}

}  // namespace mmx
