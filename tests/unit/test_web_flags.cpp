// --web.config.file, --web.external-url and --web.route-prefix in both
// binaries' flags.

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "collector_flags.h"
#include "frontend_flags.h"

namespace {

mmx::FlagOutcome parse_frontend(std::vector<std::string> args) {
  args.insert(args.begin(), {"mm-exporter-frontend", "--collector-socket=/run/c.sock"});
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return mmx::parse_frontend_flags(static_cast<int>(argv.size()), argv.data());
}

// The error, or nothing when the flags parse.
std::optional<std::string> parse_collector(std::vector<const char*> args,
                                           mmx::CollectorConfig& config) {
  args.insert(args.begin(), "mm-exporter");
  auto parsed =
      mmx::parse_collector_flags(static_cast<int>(args.size()), args.data(), config, nullptr);
  if (parsed) return std::nullopt;
  return parsed.error();
}

}  // namespace

TEST_CASE("web flags: the frontend takes the config file and the route") {
  auto outcome = parse_frontend({});
  REQUIRE(outcome.action == mmx::FlagOutcome::Action::kRun);
  CHECK(outcome.config.web_config_file.empty());
  CHECK(outcome.config.web_route.route_prefix.empty());
  CHECK(outcome.config.web_route.external_url.empty());

  outcome = parse_frontend(
      {"--web.config.file=/etc/mm/web.yml", "--web.external-url=https://proxy.example/mm/"});
  REQUIRE(outcome.action == mmx::FlagOutcome::Action::kRun);
  CHECK(outcome.config.web_config_file == "/etc/mm/web.yml");
  CHECK(outcome.config.web_route.external_url == "https://proxy.example/mm");
  CHECK(outcome.config.web_route.route_prefix == "/mm");

  outcome =
      parse_frontend({"--web.external-url=https://proxy.example/mm/", "--web.route-prefix=/"});
  REQUIRE(outcome.action == mmx::FlagOutcome::Action::kRun);
  CHECK(outcome.config.web_route.route_prefix.empty());

  outcome = parse_frontend({"--web.route-prefix=/a//b"});
  REQUIRE(outcome.action == mmx::FlagOutcome::Action::kError);
  CHECK(outcome.message == "flag --web.route-prefix: \"/a//b\" has an empty segment (\"//\")");

  outcome = parse_frontend({"--help"});
  CHECK(outcome.message.find("--web.config.file") != std::string::npos);
  CHECK(outcome.message.find("--web.route-prefix") != std::string::npos);
  CHECK(outcome.message.find("--web.external-url") != std::string::npos);
}

TEST_CASE("web flags: the collector checks the route and keeps the raw values to pass on") {
  mmx::CollectorConfig c;
  REQUIRE_FALSE(parse_collector(
      {"--web.config.file=web.yml", "--web.external-url=http://h:1/x/", "--web.route-prefix=y"},
      c));
  CHECK(c.web_config_file == "web.yml");
  CHECK(c.external_url == "http://h:1/x/");
  CHECK(c.web_route.external_url == "http://h:1/x");
  CHECK(c.web_route.route_prefix == "/y");

  mmx::CollectorConfig bad;
  auto error = parse_collector({"--web.external-url=h/x"}, bad);
  REQUIRE(error);
  CHECK(error->rfind("flag --web.external-url: \"h/x\" is not an absolute", 0) == 0);

  mmx::CollectorConfig split;
  error = parse_collector({"--collector-socket=/run/c.sock", "--web.config.file=web.yml"}, split);
  REQUIRE(error);
  CHECK(error->find("give it to mm-exporter-frontend") != std::string::npos);
}
