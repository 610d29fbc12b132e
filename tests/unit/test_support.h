#pragma once
// Helpers several unit tests share.

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

namespace mmx::test {

// MMX_TEST_TIME_SCALE=N stretches every wait N times (1 to 100): under
// qemu-user (scripts/test-arm.sh) the same work takes many times longer.
inline int time_scale() {
  const char* text = std::getenv("MMX_TEST_TIME_SCALE");
  const int scale = text == nullptr ? 1 : std::atoi(text);
  return scale < 1 ? 1 : scale > 100 ? 100 : scale;
}

// Polls `condition` until it holds or `timeout` (times time_scale()) passes;
// true when it held.
template <typename Condition>
bool eventually(Condition condition,
                std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout * time_scale();
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// The content of a gzip stream (fails the test on a broken one).
std::string gunzip(const std::string& data);

// Whether a test may skip for want of a tool or of root: only when
// MMX_ALLOW_SKIPS=1 and CI is not set. Everywhere else (CI, scripts/test.sh)
// scripts/install-deps.sh has installed every tool and a skip would hide a
// test that never ran, so the test fails instead.
bool skips_allowed();

}  // namespace mmx::test

// Ends the test as skipped. doctest's own skip() decorator would drop the
// test from --list-test-cases, so CTest would never see it; this line makes
// CTest count it as skipped (SKIP_REGULAR_EXPRESSION in CMakeLists.txt).
// Only for what cannot run in this build (a sanitizer, another architecture).
#define MMX_SKIP_TEST(reason)                  \
  do {                                         \
    MESSAGE("MMX-TEST-SKIPPED: " << (reason)); \
    return;                                    \
  } while (false)

// A test that needs what this machine may lack (a tool, root): skipped where
// skips are allowed, failed everywhere else.
#define MMX_REQUIRE_OR_SKIP(condition, reason)               \
  do {                                                       \
    if (!(condition)) {                                      \
      if (mmx::test::skips_allowed()) MMX_SKIP_TEST(reason); \
      FAIL("missing: " << (reason));                         \
    }                                                        \
  } while (false)
