#include <doctest/doctest.h>

#include <vector>

#include "call_window.h"

using mmx::CallWindow;

TEST_CASE("call window: at most its size in flight, the rest started in order as calls end") {
  CallWindow window(3);
  std::vector<int> started;
  std::vector<CallWindow::Done> pending;
  for (int i = 0; i < 10; ++i) {
    window.submit([&, i](CallWindow::Done done) {
      started.push_back(i);
      pending.push_back(std::move(done));
    });
  }
  CHECK(started == std::vector<int>{0, 1, 2});
  CHECK(window.in_flight() == 3);
  CHECK(window.queued() == 7);
  pending[1]();
  pending[1]();  // twice: counted once
  CHECK(started == std::vector<int>{0, 1, 2, 3});
  CHECK(window.in_flight() == 3);
  for (std::size_t i = 0; i < pending.size(); ++i) pending[i]();
  // Each completion started one more, until the queue was empty.
  while (window.in_flight() > 0) {
    auto copy = pending;
    for (auto& done : copy) done();
  }
  CHECK(started.size() == 10);
  CHECK(window.high_water() == 3);
  CHECK(window.started() == 10);
}

TEST_CASE("call window: a call that ends while starting lets the next one start") {
  CallWindow window(1);
  int started = 0;
  for (int i = 0; i < 100; ++i) {
    window.submit([&](CallWindow::Done done) {
      ++started;
      done();  // failed at once
    });
  }
  CHECK(started == 100);
  CHECK(window.in_flight() == 0);
  CHECK(window.high_water() == 1);
}

TEST_CASE("call window: abandoned calls free the window; their late completions are ignored") {
  CallWindow window(2);
  std::vector<CallWindow::Done> pending;
  for (int i = 0; i < 4; ++i) {
    window.submit([&](CallWindow::Done done) { pending.push_back(std::move(done)); });
  }
  CHECK(window.queued() == 2);
  window.abandon();
  CHECK(window.in_flight() == 0);
  CHECK(window.queued() == 0);
  window.submit([&](CallWindow::Done done) { pending.push_back(std::move(done)); });
  CHECK(window.in_flight() == 1);
  pending[0]();  // from before: changes nothing
  CHECK(window.in_flight() == 1);
  pending[2]();
  CHECK(window.in_flight() == 0);
}
