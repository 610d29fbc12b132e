#include <doctest/doctest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "frontend_flags.h"
#include "sockets.h"
#include "unique_fd.h"

namespace {

using Action = mmx::FlagOutcome::Action;

mmx::FlagOutcome parse(std::vector<std::string> args) {
  args.insert(args.begin(), "mm-exporter-frontend");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return mmx::parse_frontend_flags(static_cast<int>(argv.size()), argv.data());
}

// The error of a parse that must fail.
std::string error_of(std::vector<std::string> args) {
  auto outcome = parse(std::move(args));
  REQUIRE(outcome.action == Action::kError);
  return outcome.message;
}

struct SocketPair {
  mmx::UniqueFd ours;
  mmx::UniqueFd theirs;
  SocketPair() {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
    ours.reset(fds[0]);
    theirs.reset(fds[1]);
  }
  std::string flag() const { return "--collector-fd=" + std::to_string(theirs.get()); }
};

mmx::UniqueFd loopback_listener() {
  auto address = mmx::parse_listen_address("127.0.0.1:0");
  REQUIRE_MESSAGE(address, address.error());
  auto fd = mmx::listen_tcp(*address);
  REQUIRE_MESSAGE(fd, fd.error());
  return std::move(*fd);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("frontend flags: defaults with a collector socket") {
  auto outcome = parse({"--collector-socket=/run/mm-exporter/collector.sock"});
  REQUIRE(outcome.action == Action::kRun);
  const auto& c = outcome.config;
  CHECK(c.collector_fd == -1);
  CHECK(c.collector_socket == "/run/mm-exporter/collector.sock");
  REQUIRE(c.listen_addresses.size() == 1);
  CHECK(c.listen_addresses[0].port == "9539");
  CHECK(c.listen_addresses[0].host.empty());
  CHECK(c.listen_fds.empty());
  CHECK_FALSE(c.systemd_socket);
  CHECK(c.telemetry_path == "/metrics");
  CHECK(c.max_requests == 40);
  CHECK(c.log_level == mmx::LogLevel::kInfo);
}

TEST_CASE("frontend flags: exactly one collector source") {
  CHECK(contains(error_of({}), "--collector-fd=N or --collector-socket=PATH"));
  SocketPair pair;
  CHECK(contains(error_of({pair.flag(), "--collector-socket=/run/c.sock"}), "not both"));
  CHECK(contains(error_of({"--collector-socket=relative.sock"}), "absolute path"));
  CHECK(contains(error_of({"--collector-socket=/" + std::string(200, 'x')}), "longer than 107"));
}

TEST_CASE("frontend flags: --collector-fd must be a connected Unix stream socket") {
  SocketPair pair;
  auto outcome = parse({pair.flag()});
  REQUIRE(outcome.action == Action::kRun);
  CHECK(outcome.config.collector_fd == pair.theirs.get());

  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  mmx::UniqueFd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  CHECK(
      contains(error_of({"--collector-fd=" + std::to_string(read_end.get())}), "is not a socket"));
  auto listener = loopback_listener();
  CHECK(contains(error_of({"--collector-fd=" + std::to_string(listener.get())}),
                 "not a Unix stream socket"));
  mmx::UniqueFd unconnected(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  CHECK(contains(error_of({"--collector-fd=" + std::to_string(unconnected.get())}),
                 "is not connected"));
  CHECK(contains(error_of({"--collector-fd=-3"}), "invalid descriptor"));
  CHECK(contains(error_of({"--collector-fd=three"}), "invalid descriptor"));
  CHECK(contains(error_of({"--collector-fd=100000"}), "is not open"));
}

TEST_CASE("frontend flags: --listen-fd takes listening sockets and drops the default address") {
  SocketPair pair;
  auto a = loopback_listener();
  auto b = loopback_listener();
  auto outcome = parse({pair.flag(), "--listen-fd=" + std::to_string(a.get()), "--listen-fd",
                        std::to_string(b.get())});
  REQUIRE(outcome.action == Action::kRun);
  CHECK(outcome.config.listen_fds == std::vector<int>{a.get(), b.get()});
  CHECK(outcome.config.listen_addresses.empty());

  CHECK(contains(error_of({pair.flag(), "--listen-fd=" + std::to_string(pair.ours.get())}),
                 "is not a listening socket"));
  CHECK(contains(error_of({pair.flag(), "--listen-fd=" + std::to_string(a.get()),
                           "--listen-fd=" + std::to_string(a.get())}),
                 "given twice"));
}

TEST_CASE("frontend flags: --web.systemd-socket drops the default address") {
  SocketPair pair;
  auto outcome = parse({pair.flag(), "--web.systemd-socket"});
  REQUIRE(outcome.action == Action::kRun);
  CHECK(outcome.config.systemd_socket);
  CHECK(outcome.config.listen_addresses.empty());
}

TEST_CASE("frontend flags: listen addresses in both spellings, repeatable") {
  SocketPair pair;
  auto outcome = parse({pair.flag(), "-listen-address", "127.0.0.1:9100",
                        "--web.listen-address=unix:/run/mm.sock", "--web.listen-address=[::1]:1"});
  REQUIRE(outcome.action == Action::kRun);
  const auto& addresses = outcome.config.listen_addresses;
  REQUIRE(addresses.size() == 3);
  CHECK(addresses[0].host == "127.0.0.1");
  CHECK(addresses[0].port == "9100");
  CHECK(addresses[1].is_unix);
  CHECK(addresses[1].path == "/run/mm.sock");
  CHECK(addresses[2].host == "::1");
  CHECK(contains(error_of({pair.flag(), "--web.listen-address=9539"}), "has no port"));
  CHECK(contains(error_of({pair.flag(), "--web.listen-address=:http"}), "invalid port"));
  CHECK(contains(error_of({pair.flag(), "--web.listen-address=unix:relative"}), "absolute path"));
}

TEST_CASE("frontend flags: the telemetry path") {
  SocketPair pair;
  CHECK(parse({pair.flag(), "-metrics-path=/m"}).config.telemetry_path == "/m");
  CHECK(parse({pair.flag(), "--web.telemetry-path", "/a/b"}).config.telemetry_path == "/a/b");
  CHECK(contains(error_of({pair.flag(), "--web.telemetry-path=metrics"}), "must start with"));
  CHECK(contains(error_of({pair.flag(), "--web.telemetry-path=/"}), "is taken"));
  CHECK(contains(error_of({pair.flag(), "--web.telemetry-path=/health"}), "is taken"));
  CHECK(contains(error_of({pair.flag(), "--web.telemetry-path=/m?x=1"}), "plain path"));
  CHECK(contains(error_of({pair.flag(), "--web.telemetry-path=/a b"}), "plain path"));
}

TEST_CASE("frontend flags: max requests and log level") {
  SocketPair pair;
  auto outcome = parse({pair.flag(), "--web.max-requests=0", "--log.level=debug"});
  REQUIRE(outcome.action == Action::kRun);
  CHECK(outcome.config.max_requests == 0);
  CHECK(outcome.config.log_level == mmx::LogLevel::kDebug);
  CHECK(contains(error_of({pair.flag(), "--web.max-requests=-1"}), "--web.max-requests"));
  CHECK(contains(error_of({pair.flag(), "--web.max-requests=many"}), "invalid value"));
  CHECK(contains(error_of({pair.flag(), "--log.level=verbose"}), "invalid level"));
}

TEST_CASE("frontend flags: unknown flags, missing values and stray arguments") {
  SocketPair pair;
  CHECK(contains(error_of({pair.flag(), "--signal-rate=5s"}), "unknown flag"));
  CHECK(contains(error_of({pair.flag(), "--web.telemetry-path"}), "needs a value"));
  CHECK(contains(error_of({pair.flag(), "metrics"}), "unexpected argument"));
}

TEST_CASE("frontend flags: --help and -version") {
  auto help = parse({"--help"});
  CHECK(help.action == Action::kHelp);
  for (const char* flag :
       {"--collector-fd", "--collector-socket", "--listen-fd", "--web.listen-address",
        "--web.systemd-socket", "--web.telemetry-path", "--web.max-requests", "--log.level"}) {
    CHECK_MESSAGE(contains(help.message, flag), flag);
  }
  CHECK(contains(help.message, "(default: \":9539\")"));
  CHECK(parse({"-h"}).action == Action::kHelp);

  for (const char* flag : {"-version", "--version"}) {
    auto version = parse({flag});
    CHECK(version.action == Action::kVersion);
    CHECK(contains(version.message, "mm-exporter-frontend, version "));
  }
}

TEST_CASE("frontend flags: the sandbox's user and mode") {
  auto outcome = parse({"--collector-socket=/run/mm-exporter/collector.sock"});
  REQUIRE(outcome.action == Action::kRun);
  CHECK(outcome.config.frontend_user.empty());  // mm-exporter, else nobody
  CHECK(outcome.config.sandbox_mode == mmx::SandboxMode::kEnforce);

  outcome =
      parse({"--collector-socket=/run/x.sock", "--frontend-user=exporter", "--sandbox-mode=log"});
  REQUIRE(outcome.action == Action::kRun);
  CHECK(outcome.config.frontend_user == "exporter");
  CHECK(outcome.config.sandbox_mode == mmx::SandboxMode::kLog);

  // No mode without the sandbox.
  CHECK(contains(error_of({"--collector-socket=/run/x.sock", "--sandbox-mode=off"}),
                 "enforce or log"));
  CHECK(contains(error_of({"--collector-socket=/run/x.sock", "--frontend-user="}),
                 "needs a user name"));
}
