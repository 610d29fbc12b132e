#pragma once
// Bounds the D-Bus calls the collector has in flight. dbus-daemon lets one
// connection wait for at most max_replies_per_connection replies (128, the
// system bus's default) and refuses every call beyond that with
// LimitsExceeded: a collector that starts Signal.Setup and GetLocation for
// 64 modems at once loses most of them. Calls beyond the window wait here,
// in the order they were made, and start as earlier ones complete.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

namespace mmx {

// Well under the bus's 128, leaving room for the bus driver's calls and
// for any other client sharing the connection's allowance.
inline constexpr std::size_t kDefaultCallWindow = 32;

class CallWindow {
 public:
  // Marks the end of one call: its reply, error or timeout arrived. Calling
  // it again, or after abandon(), does nothing.
  using Done = std::function<void()>;
  // Starts one call; must arrange for `done` to be called exactly once when
  // the call is over, possibly before it returns (a call that fails at once).
  using Start = std::function<void(Done done)>;

  explicit CallWindow(std::size_t size = kDefaultCallWindow) : size_(size == 0 ? 1 : size) {}
  CallWindow(const CallWindow&) = delete;
  CallWindow& operator=(const CallWindow&) = delete;

  // Starts `start` now if the window has room, else queues it.
  void submit(Start start);
  // Forgets calls in flight and queued whose completion will never be
  // reported (their proxies are gone, so are their callbacks).
  void abandon();

  std::size_t size() const { return size_; }
  std::size_t in_flight() const { return in_flight_; }
  std::size_t queued() const { return queue_.size(); }
  // The most calls ever in flight at once.
  std::size_t high_water() const { return high_water_; }
  // Calls started since construction.
  std::uint64_t started() const { return started_; }

 private:
  void pump();

  std::size_t size_;
  std::size_t in_flight_ = 0;
  std::size_t high_water_ = 0;
  std::uint64_t started_ = 0;
  // Completions of an abandoned epoch are ignored.
  std::uint64_t epoch_ = 0;
  bool pumping_ = false;
  std::deque<Start> queue_;
};

}  // namespace mmx
