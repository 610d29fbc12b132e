#include "snapshot_publisher.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "errno_text.h"
#include "log.h"
#include "sockets.h"

namespace mmx {

SnapshotPublisher::~SnapshotPublisher() {
  for (auto& [fd, c] : connections_) loop_.unwatch(fd);
  if (listener_) {
    loop_.unwatch(listener_.get());
    if (!listen_path_.empty()) ::unlink(listen_path_.c_str());
  }
}

Expected<> SnapshotPublisher::listen(const std::string& path, std::set<uid_t> allowed_uids) {
  // 0666: who may connect is decided by SO_PEERCRED below, not by the mode,
  // so a frontend user need not own the directory.
  auto listener = listen_unix(path, 0666);
  if (!listener) return fail(listener.error());
  auto listening = listen_on(std::move(*listener), std::move(allowed_uids));
  if (!listening) return listening;
  listen_path_ = path;
  return {};
}

Expected<> SnapshotPublisher::listen_on(UniqueFd listener, std::set<uid_t> allowed_uids) {
  if (!set_nonblocking(listener.get(), true)) return fail(errno_text("listening socket"));
  listener_ = std::move(listener);
  allowed_uids_ = std::move(allowed_uids);
  loop_.watch(listener_.get(), POLLIN, [this](short) { accept_frontend(); });
  return {};
}

void SnapshotPublisher::accept_frontend() {
  for (;;) {
    UniqueFd fd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;
    ucred peer{};
    socklen_t length = sizeof peer;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &peer, &length) != 0) {
      log_warn("refused snapshot client", {{"reason", errno_text()}});
      continue;
    }
    if (!allowed_uids_.count(peer.uid)) {
      log_warn("refused snapshot client",
               {{"uid", std::to_string(peer.uid)}, {"pid", std::to_string(peer.pid)}});
      continue;
    }
    add_frontend(std::move(fd), "pid " + std::to_string(peer.pid));
  }
}

void SnapshotPublisher::add_frontend(UniqueFd fd, std::string name) {
  // Nothing is ever read from a frontend; the kernel now refuses its writes.
  ::shutdown(fd.get(), SHUT_RD);
  set_nonblocking(fd.get(), true);
  const int raw = fd.get();
  log_info("frontend connected", {{"frontend", name}});
  Connection& c = connections_[raw];
  c.fd = std::move(fd);
  c.name = std::move(name);
  c.waiting = latest_;
  loop_.watch(raw, 0, [this, raw](short revents) {
    if (revents & (POLLHUP | POLLERR | POLLNVAL)) {
      drop(raw, "connection closed");
      return;
    }
    if (revents & POLLOUT) flush(raw);
  });
  flush(raw);
}

void SnapshotPublisher::publish(Frame frame) {
  latest_ = frame;
  std::vector<int> fds;
  for (auto& [fd, c] : connections_) {
    c.waiting = frame;
    fds.push_back(fd);
  }
  for (int fd : fds) flush(fd);
}

void SnapshotPublisher::flush(int fd) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Connection& c = it->second;
  for (;;) {
    if (!c.in_flight) {
      if (!c.waiting) break;
      c.in_flight = std::move(c.waiting);
      c.waiting.reset();
      c.offset = 0;
    }
    const auto& bytes = *c.in_flight;
    const ssize_t n =
        ::send(fd, bytes.data() + c.offset, bytes.size() - c.offset, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        loop_.set_events(fd, POLLOUT);
        return;
      }
      if (errno == EINTR) continue;
      drop(fd, errno_text());
      return;
    }
    c.offset += static_cast<std::size_t>(n);
    if (c.offset == bytes.size()) c.in_flight.reset();
  }
  loop_.set_events(fd, 0);
}

void SnapshotPublisher::drop(int fd, const std::string& reason) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  log_info("frontend disconnected", {{"frontend", it->second.name}, {"reason", reason}});
  loop_.unwatch(fd);
  connections_.erase(it);
}

}  // namespace mmx
