#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "collector_flags.h"
#include "flags.h"

namespace {

// The error, or nothing when the flags parse.
std::optional<std::string> parse(std::vector<const char*> args, mmx::CollectorConfig& config) {
  args.insert(args.begin(), "mm-exporter");
  auto parsed =
      mmx::parse_collector_flags(static_cast<int>(args.size()), args.data(), config, nullptr);
  if (parsed) return std::nullopt;
  return parsed.error();
}

}  // namespace

TEST_CASE("flags: the seed's Go spellings work as written") {
  mmx::CollectorConfig c;
  REQUIRE_FALSE(
      parse({"-listen-address", "127.0.0.1:9100", "-metrics-path=/m", "-signal-rate", "10s"}, c));
  CHECK(c.listen_addresses == std::vector<std::string>{"127.0.0.1:9100"});
  CHECK(c.telemetry_path == "/m");
  CHECK(c.signal_rate == std::chrono::seconds(10));
}

TEST_CASE("flags: exporter-toolkit spellings, repeatable listen addresses") {
  mmx::CollectorConfig c;
  REQUIRE_FALSE(parse({"--web.listen-address=:1", "--web.listen-address", "unix:/run/x.sock",
                       "--web.telemetry-path=/x"},
                      c));
  CHECK(c.listen_addresses == std::vector<std::string>{":1", "unix:/run/x.sock"});
  CHECK(c.telemetry_path == "/x");
}

TEST_CASE("flags: defaults") {
  mmx::CollectorConfig c;
  REQUIRE_FALSE(parse({}, c));
  CHECK(c.listen_addresses == std::vector<std::string>{":9539"});
  CHECK(c.telemetry_path == "/metrics");
  CHECK(c.signal_rate == std::chrono::seconds(5));
}

TEST_CASE("flags: signal rate 0 disables") {
  mmx::CollectorConfig c;
  REQUIRE_FALSE(parse({"-signal-rate=0"}, c));
  CHECK(c.signal_rate == mmx::Duration::zero());
}

TEST_CASE("flags: bad flags and values give one clear message") {
  struct Case {
    std::vector<const char*> args;
    const char* expect;
  };
  for (const auto& [args, expect] : std::vector<Case>{
           {{"--nope"}, "unknown flag"},
           {{"-signal-rate", "fast"}, "invalid duration"},
           {{"-signal-rate=500ms"}, "at least 1s"},
           {{"--web.telemetry-path=metrics"}, "must start with /"},
           {{"--web.telemetry-path=/health"}, "must start with /"},
           {{"--redact=imsi,phone"}, "unknown value \"phone\""},
           {{"--log.level=loud"}, "--log.level"},
           {{"-listen-address"}, "needs a value"},
           {{"stray"}, "unexpected argument"},
           {{"--version=maybe"}, "expected true or false"},
           {{"--web.max-requests=-1"}, "invalid value"},
       }) {
    mmx::CollectorConfig c;
    auto error = parse(args, c);
    REQUIRE(error.has_value());
    CAPTURE(*error);
    CHECK(error->find(expect) != std::string::npos);
    CHECK(error->find('\n') == std::string::npos);
  }
}

TEST_CASE("flags: redact all and lists") {
  mmx::CollectorConfig c;
  REQUIRE_FALSE(parse({"--redact=all"}, c));
  CHECK(c.redaction.imsi);
  CHECK(c.redaction.location);
  mmx::CollectorConfig d;
  REQUIRE_FALSE(parse({"--redact=imsi,location"}, d));
  CHECK(d.redaction.imsi);
  CHECK(d.redaction.location);
  CHECK_FALSE(d.redaction.iccid);
}

TEST_CASE("flags: booleans take kingpin's --no- form") {
  bool flag = true;
  mmx::FlagSet set("t", "");
  set.add_bool({"thing"}, &flag, "a thing");
  const char* argv[] = {"t", "--no-thing"};
  const auto parsed = set.parse(2, argv);
  REQUIRE_MESSAGE(parsed, parsed.error());
  CHECK_FALSE(flag);
}

TEST_CASE("flags: usage lists every flag with its default") {
  mmx::CollectorConfig c;
  std::string usage;
  const char* argv[] = {"mm-exporter"};
  const auto parsed = mmx::parse_collector_flags(1, argv, c, &usage);
  REQUIRE_MESSAGE(parsed, parsed.error());
  for (const char* name : {"--web.listen-address", "-listen-address", "--web.telemetry-path",
                           "-metrics-path", "--signal-rate", "--version", "--redact"}) {
    CAPTURE(name);
    CHECK(usage.find(name) != std::string::npos);
  }
  CHECK(usage.find("(default: \":9539\")") != std::string::npos);
}

TEST_CASE("flags: the frontend's user and sandbox mode, passed through") {
  mmx::CollectorConfig defaults;
  REQUIRE_FALSE(parse({}, defaults));
  CHECK(defaults.frontend_user.empty());  // mm-exporter, else nobody
  CHECK(defaults.sandbox_mode == mmx::SandboxMode::kEnforce);

  mmx::CollectorConfig c;
  REQUIRE_FALSE(parse({"--frontend-user=exporter", "--sandbox-mode=log"}, c));
  CHECK(c.frontend_user == "exporter");
  CHECK(c.sandbox_mode == mmx::SandboxMode::kLog);

  auto error = parse({"--sandbox-mode=off"}, c);
  REQUIRE(error);
  CHECK(*error == "flag --sandbox-mode: invalid value \"off\" (want enforce or log)");
}
