#include "child_spawn.h"

#include <errno.h>
#include <signal.h>

#include "errno_text.h"

extern char** environ;

namespace mmx {

ChildSpawn::ChildSpawn() {
  posix_spawn_file_actions_init(&actions_);
  posix_spawnattr_init(&attributes_);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attributes_, &none);
  posix_spawnattr_setsigdefault(&attributes_, &all);
  posix_spawnattr_setflags(&attributes_, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
}

ChildSpawn::~ChildSpawn() {
  posix_spawn_file_actions_destroy(&actions_);
  posix_spawnattr_destroy(&attributes_);
}

void ChildSpawn::dup2(int from, int to) {
  posix_spawn_file_actions_adddup2(&actions_, from, to);
}

void ChildSpawn::open(int fd, const char* path, int flags) {
  posix_spawn_file_actions_addopen(&actions_, fd, path, flags, 0);
}

Expected<pid_t> ChildSpawn::spawn(std::vector<std::string> args) {
  if (args.empty()) return fail(errno_text(EINVAL));
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions_, &attributes_, argv.data(), environ);
  if (rc != 0) return fail(errno_text(rc));
  return pid;
}

}  // namespace mmx
