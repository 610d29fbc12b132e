#pragma once
// posix_spawn as the collector starts its children (the frontend, and the
// frontend checking a web config): every signal at its default and none
// blocked, since the collector blocks those it reads from a signalfd and a
// child would inherit that; descriptors placed as asked.

#include <spawn.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "expected.h"

namespace mmx {

class ChildSpawn {
 public:
  ChildSpawn();
  ~ChildSpawn();
  ChildSpawn(const ChildSpawn&) = delete;
  ChildSpawn& operator=(const ChildSpawn&) = delete;

  // The child gets `from` as descriptor `to`.
  void dup2(int from, int to);
  // The child gets `path`, opened with `flags`, as descriptor `fd`.
  void open(int fd, const char* path, int flags);

  // Starts `args[0]` with `args`: the child's pid, or the system's reason
  // ("No such file or directory") for the caller to put in context.
  [[nodiscard]] Expected<pid_t> spawn(std::vector<std::string> args);

 private:
  posix_spawn_file_actions_t actions_;
  posix_spawnattr_t attributes_;
};

}  // namespace mmx
