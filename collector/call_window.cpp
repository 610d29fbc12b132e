#include "call_window.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace mmx {

void CallWindow::submit(Start start) {
  queue_.push_back(std::move(start));
  pump();
}

void CallWindow::abandon() {
  ++epoch_;
  in_flight_ = 0;
  queue_.clear();
}

void CallWindow::pump() {
  // A call that completes while starting (it failed at once) pumps again
  // from inside start(): the outer loop takes that over.
  if (pumping_) return;
  pumping_ = true;
  while (in_flight_ < size_ && !queue_.empty()) {
    Start start = std::move(queue_.front());
    queue_.pop_front();
    ++in_flight_;
    ++started_;
    high_water_ = std::max(high_water_, in_flight_);
    auto finished = std::make_shared<bool>(false);
    start([this, finished, epoch = epoch_] {
      if (*finished || epoch != epoch_) return;
      *finished = true;
      --in_flight_;
      pump();
    });
  }
  pumping_ = false;
}

}  // namespace mmx
