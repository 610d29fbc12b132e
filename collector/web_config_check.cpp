#include "web_config_check.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "child_spawn.h"
#include "errno_text.h"
#include "unique_fd.h"

namespace mmx {
namespace {

// What the frontend says fits in a line or two; a runaway child cannot
// make the collector hold more.
constexpr std::size_t kMaxOutput = 4096;

// The frontend's message without its program name and the log lines
// before it: "mm-exporter-frontend: --web.config.file: ..." ends the output.
std::string last_line(std::string output) {
  while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) output.pop_back();
  const auto newline = output.rfind('\n');
  if (newline != std::string::npos) output.erase(0, newline + 1);
  constexpr std::string_view kProgram = "mm-exporter-frontend: ";
  if (output.starts_with(kProgram)) output.erase(0, kProgram.size());
  return output;
}

std::string describe_failure(int status, const std::string& output) {
  if (WIFEXITED(status)) {
    std::string message = last_line(output);
    if (message.empty()) message = "exited with status " + std::to_string(WEXITSTATUS(status));
    return message;
  }
  if (WIFSIGNALED(status)) {
    return std::string("the check was killed by ") + ::strsignal(WTERMSIG(status));
  }
  return "the check ended abnormally";
}

}  // namespace

Expected<> check_web_config(const WebConfigCheck& check) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fail(errno_text("pipe"));
  UniqueFd read_end(pipe_fds[0]);
  UniqueFd write_end(pipe_fds[1]);

  std::vector<std::string> args = {check.frontend_binary, "--check-web-config"};
  args.insert(args.end(), check.args.begin(), check.args.end());
  ChildSpawn child;
  child.open(STDIN_FILENO, "/dev/null", O_RDONLY);
  child.dup2(write_end.get(), STDOUT_FILENO);
  child.dup2(write_end.get(), STDERR_FILENO);
  const auto spawned = child.spawn(std::move(args));
  if (!spawned) {
    return fail("cannot run " + check.frontend_binary + " to check it: " + spawned.error());
  }
  const pid_t pid = *spawned;
  write_end.reset();

  // Read until the child closes its end (it exits), or the time is up.
  std::string output;
  const auto deadline = std::chrono::steady_clock::now() + check.timeout;
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{read_end.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char chunk[1024];
    const ssize_t n = ::read(read_end.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    const std::size_t room = kMaxOutput - std::min(kMaxOutput, output.size());
    output.append(chunk, std::min(room, static_cast<std::size_t>(n)));
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    return fail("the check did not finish within " + std::to_string(check.timeout.count()) + " ms");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return fail(describe_failure(status, output));
}

}  // namespace mmx
