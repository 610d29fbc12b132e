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
#include <optional>

#include "child_spawn.h"
#include "errno_text.h"
#include "unique_fd.h"

namespace mmx {
namespace {

// What the frontend says fits in a line or two; a runaway child cannot
// make the collector hold more.
constexpr std::size_t kMaxOutput = 4096;

using std::chrono::steady_clock;

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

// What the child writes until it closes its end (it exits), at most
// kMaxOutput bytes of it; nullopt when `deadline` comes first.
std::optional<std::string> read_until_closed(int fd, steady_clock::time_point deadline) {
  std::string output;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{fd, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (ready <= 0) continue;  // EINTR, or time to look at the deadline again
    char chunk[1024];
    const ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return output;
    const std::size_t room = kMaxOutput - std::min(kMaxOutput, output.size());
    output.append(chunk, std::min(room, static_cast<std::size_t>(n)));
  }
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

  const auto output = read_until_closed(read_end.get(), steady_clock::now() + check.timeout);
  if (!output) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!output) {
    return fail("the check did not finish within " + std::to_string(check.timeout.count()) + " ms");
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {};
  return fail(describe_failure(status, *output));
}

}  // namespace mmx
