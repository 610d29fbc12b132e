#pragma once
// Writes snapshot frames to every connected frontend. One way only: the
// collector shuts down the reading side of each connection and never parses
// a byte from a frontend. A frontend that stops reading costs at most one
// frame in flight plus the newest one waiting; older frames are skipped.

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "event_loop.h"
#include "expected.h"
#include "unique_fd.h"

namespace mmx {

using Frame = std::shared_ptr<const std::vector<std::byte>>;

class SnapshotPublisher {
 public:
  explicit SnapshotPublisher(EventLoop& loop) : loop_(loop) {}
  ~SnapshotPublisher();
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // Listens on a Unix socket path for separately started frontends. Only
  // peers whose uid is in `allowed_uids` are kept (checked with SO_PEERCRED).
  [[nodiscard]] Expected<> listen(const std::string& path, std::set<uid_t> allowed_uids);
  // The same on a listening socket created by someone else (systemd's socket
  // activation); its path is theirs, and is left in place at exit.
  [[nodiscard]] Expected<> listen_on(UniqueFd listener, std::set<uid_t> allowed_uids);
  // True when the listening socket's path was created here (and is removed
  // at exit).
  bool owns_path() const { return !listen_path_.empty(); }
  // Adds an already connected frontend (one-command mode's socketpair end).
  void add_frontend(UniqueFd fd, std::string name);
  // Sends `frame` to every frontend, and to each one that connects later
  // until the next publish.
  void publish(Frame frame);
  std::size_t frontend_count() const { return connections_.size(); }

 private:
  struct Connection {
    UniqueFd fd;
    std::string name;
    Frame in_flight;
    std::size_t offset = 0;
    Frame waiting;
  };
  void accept_frontend();
  void flush(int fd);
  void drop(int fd, const std::string& reason);

  EventLoop& loop_;
  UniqueFd listener_;
  std::string listen_path_;
  std::set<uid_t> allowed_uids_;
  std::map<int, Connection> connections_;
  Frame latest_;
};

}  // namespace mmx
