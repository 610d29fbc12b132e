#include <doctest/doctest.h>

#include "duration.h"

using namespace std::chrono_literals;

TEST_CASE("duration: Go syntax parses") {
  CHECK(mmx::parse_duration("0") == mmx::Duration::zero());
  CHECK(mmx::parse_duration("5s") == 5s);
  CHECK(mmx::parse_duration("500ms") == 500ms);
  CHECK(mmx::parse_duration("1m30s") == 90s);
  CHECK(mmx::parse_duration("1.5h") == 90min);
  CHECK(mmx::parse_duration("250us") == 250us);
  CHECK(mmx::parse_duration("2\xc2\xb5s") == 2us);
  CHECK(mmx::parse_duration("10ns") == 10ns);
}

TEST_CASE("duration: bad input is rejected, not guessed") {
  for (const char* bad : {"", "5", "s", "5x", "-5s", "1.s.", "5 s", "1e3s", "99999999999h"}) {
    CAPTURE(bad);
    CHECK_FALSE(mmx::parse_duration(bad).has_value());
  }
}

TEST_CASE("duration: formatting matches Go's String()") {
  CHECK(mmx::format_duration(0s) == "0s");
  CHECK(mmx::format_duration(5s) == "5s");
  CHECK(mmx::format_duration(90s) == "1m30s");
  CHECK(mmx::format_duration(500ms) == "500ms");
  CHECK(mmx::format_duration(1500ms) == "1.5s");
  CHECK(mmx::format_duration(2h) == "2h0m0s");
}
