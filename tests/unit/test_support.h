#pragma once
// Helpers several unit tests share.

#include <chrono>
#include <string>
#include <thread>

namespace mmx::test {

// Polls `condition` until it holds or `timeout` passes; true when it held.
template <typename Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The content of a gzip stream (fails the test on a broken one).
std::string gunzip(const std::string& data);

}  // namespace mmx::test
