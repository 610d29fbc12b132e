#include <doctest/doctest.h>

#include <chrono>
#include <vector>

#include "event_loop.h"

TEST_CASE("event loop: every() runs a callback once per interval, the first after one") {
  using Clock = mmx::EventLoop::Clock;
  mmx::EventLoop loop;
  const auto started = Clock::now();
  std::vector<Clock::duration> runs;
  loop.every(std::chrono::milliseconds(20), [&] {
    runs.push_back(Clock::now() - started);
    if (runs.size() == 3) loop.stop();
  });
  // A loop that never repeats ends here rather than hanging the test.
  loop.schedule_after(std::chrono::seconds(10), [&] { loop.stop(); });
  loop.run();
  REQUIRE(runs.size() == 3);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    // Never early; late by however long the machine made the loop wait.
    CHECK(runs[i] >= std::chrono::milliseconds(20) * static_cast<int>(i + 1));
  }
}
