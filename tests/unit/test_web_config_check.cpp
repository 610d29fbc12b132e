// The collector asking a frontend binary whether it accepts a web config,
// and starting one: a shell script stands in for mm-exporter-frontend.

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>

#include "event_loop.h"
#include "frontend_supervisor.h"
#include "snapshot_publisher.h"
#include "web_config_check.h"

namespace {

using namespace std::chrono_literals;

// An executable script in a directory of its own, removed afterwards.
struct FakeFrontend {
  explicit FakeFrontend(const std::string& body) {
    char dir_template[] = "/tmp/mmx-fake-frontend-XXXXXX";
    REQUIRE(::mkdtemp(dir_template) != nullptr);
    dir = dir_template;
    path = dir + "/frontend";
    std::ofstream(path) << "#!/bin/sh\n" << body << "\n";
    REQUIRE(::chmod(path.c_str(), 0700) == 0);
  }
  ~FakeFrontend() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  std::string dir;
  std::string path;
};

mmx::Expected<> check_with(const std::string& binary, std::chrono::milliseconds timeout = 10s) {
  mmx::WebConfigCheck check;
  check.frontend_binary = binary;
  check.args = {"--web.config.file=/etc/x.yml"};
  check.timeout = timeout;
  return mmx::check_web_config(check);
}

}  // namespace

TEST_CASE("web config check: the frontend accepting the flags is success") {
  FakeFrontend frontend(
      R"([ "$1" = --check-web-config ] && [ "$2" = --web.config.file=/etc/x.yml ])");
  const auto checked = check_with(frontend.path);
  CHECK_MESSAGE(checked, (checked ? "" : checked.error()));
}

TEST_CASE("web config check: a refusal is the frontend's last line, without its name") {
  FakeFrontend frontend(
      "echo 'level=info msg=starting'\n"
      "echo 'mm-exporter-frontend: --web.config.file: no such key \"tls\"' >&2\n"
      "exit 2");
  const auto checked = check_with(frontend.path);
  REQUIRE_FALSE(checked);
  CHECK(checked.error() == "--web.config.file: no such key \"tls\"");

  FakeFrontend silent("exit 3");
  const auto silent_check = check_with(silent.path);
  REQUIRE_FALSE(silent_check);
  CHECK(silent_check.error() == "exited with status 3");
}

TEST_CASE("web config check: a binary that cannot run or does not answer is an error") {
  const auto absent = check_with("/nonexistent/mm-exporter-frontend");
  REQUIRE_FALSE(absent);
  CHECK(absent.error() ==
        "cannot run /nonexistent/mm-exporter-frontend to check it: No such file or directory");

  FakeFrontend stuck("exec sleep 30");
  const auto slow = check_with(stuck.path, 200ms);
  REQUIRE_FALSE(slow);
  CHECK(slow.error() == "the check did not finish within 200 ms");
}

TEST_CASE("frontend supervisor: a binary that cannot be started is an error naming it") {
  mmx::EventLoop loop;
  mmx::SnapshotPublisher publisher(loop);
  mmx::FrontendSupervisor supervisor(loop, publisher, {"/nonexistent/mm-exporter-frontend", {}},
                                     {});
  const auto started = supervisor.start();
  REQUIRE_FALSE(started);
  CHECK(started.error() ==
        "cannot start /nonexistent/mm-exporter-frontend: No such file or directory");
  CHECK(supervisor.pid() == -1);
  CHECK(publisher.frontend_count() == 0);
}
