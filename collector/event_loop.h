#pragma once
// A single-threaded poll(2) loop: the collector does all its work here, so
// the model needs no locks and a slow D-Bus peer can only delay replies,
// never the snapshot stream (every D-Bus call is asynchronous).

#include <poll.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

namespace sdbus {
class IConnection;
}

namespace mmx {

class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using FdCallback = std::function<void(short revents)>;
  using TimerId = std::uint64_t;

  // Watches `fd` for `events` (POLLHUP/POLLERR are always reported).
  void watch(int fd, short events, FdCallback callback);
  void set_events(int fd, short events);
  // Safe to call from inside any callback, for any fd.
  void unwatch(int fd);

  TimerId schedule(Clock::time_point when, std::function<void()> callback);
  TimerId schedule_after(std::chrono::nanoseconds delay, std::function<void()> callback) {
    return schedule(Clock::now() + delay, std::move(callback));
  }
  void cancel(TimerId id);
  // Runs `callback` every `interval`, the first time one interval from now,
  // for as long as the loop runs.
  void every(std::chrono::nanoseconds interval, std::function<void()> callback);

  // Drives an sdbus-c++ connection from this loop. `on_lost` runs (once)
  // when the connection fails; the owner then detaches and reconnects.
  void attach_bus(sdbus::IConnection* bus, std::function<void()> on_lost) {
    bus_ = bus;
    on_bus_lost_ = std::move(on_lost);
  }
  void detach_bus() {
    bus_ = nullptr;
    on_bus_lost_ = nullptr;
  }

  void run();
  void stop() { running_ = false; }

 private:
  void dispatch_bus();
  void bus_failed(const char* why);
  void run_due_timers();

  struct Watch {
    short events;
    FdCallback callback;
  };
  std::map<int, Watch> watches_;
  std::multimap<Clock::time_point, std::pair<TimerId, std::function<void()>>> timers_;
  TimerId next_timer_ = 1;
  sdbus::IConnection* bus_ = nullptr;
  std::function<void()> on_bus_lost_;
  bool running_ = false;
};

}  // namespace mmx
