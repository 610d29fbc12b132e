#include "connection_gate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <stdexcept>

#include "log.h"

namespace mmx {
namespace {

using Clock = Connection::Clock;

// Connections taken from one listener per poll round, so one busy listener
// cannot starve the others or the connections already open.
constexpr int kAcceptBatch = 64;
// Out of descriptors with nothing to close: try accepting again after this.
constexpr std::chrono::milliseconds kAcceptPause{100};
// The poll never sleeps longer, so a missed wake-up costs at most this.
constexpr std::chrono::milliseconds kLongestPoll{1000};

PeerAddress address_of(const sockaddr_storage& address) {
  PeerAddress peer;
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    ::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text);
    peer.port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    ::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text);
    peer.port = ntohs(in6.sin6_port);
  }
  peer.ip = text;
  return peer;
}

PeerAddress local_peer_address(int fd) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return {};
  return address_of(address);
}

// Errors accept(2) passes on from a connection that failed before it was
// taken; the listening socket itself is fine.
bool is_connection_error(int error) {
  switch (error) {
    case EINTR:
    case ECONNABORTED:
    case EPROTO:
    case EPERM:
    case ENETDOWN:
    case ENOPROTOOPT:
    case EHOSTDOWN:
    case ENONET:
    case EHOSTUNREACH:
    case EOPNOTSUPP:
    case ENETUNREACH:
    case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

}  // namespace

ConnectionGate::ConnectionGate(GateLimits limits, Answer answer, std::string response_headers)
    : limits_(limits),
      answer_(std::move(answer)),
      response_headers_(std::move(response_headers)),
      wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
  if (!wake_fd_) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
}

ConnectionGate::~ConnectionGate() {
  if (!poller_.joinable() && workers_.empty()) return;
  if (stop(std::chrono::seconds(2))) return;
  // Only reached when the owner ignored stop()'s false: better a leak at
  // exit than std::terminate.
  for (std::thread& worker : workers_) worker.detach();
}

void ConnectionGate::add_listener(int fd, SSL_CTX* tls, std::string address) {
  Listener listener;
  listener.fd = fd;
  listener.tls = tls;
  listener.address = std::move(address);
  listener.local = local_peer_address(fd);
  listeners_.push_back(std::move(listener));
}

void ConnectionGate::start(Failure on_failure) {
  on_failure_ = std::move(on_failure);
  for (std::size_t i = 0; i < std::max<std::size_t>(1, limits_.workers); ++i) {
    workers_.emplace_back([this] { work(); });
  }
  poller_ = std::thread([this] { poll_loop(); });
}

void ConnectionGate::wake() {
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
}

bool ConnectionGate::stop(std::chrono::milliseconds grace) {
  const auto deadline = Clock::now() + grace;
  stopping_ = true;
  wake();
  if (poller_.joinable()) poller_.join();
  std::unique_lock lock(mutex_);
  workers_stop_ = true;
  work_ready_.notify_all();
  // Requests admitted are answered, queued ones too: the client was told
  // nothing yet, and a scrape in flight during a restart should not fail.
  if (!all_answered_.wait_until(lock, deadline, [this] { return admitted_ == 0; })) return false;
  open_.fetch_sub(returned_.size());
  returned_.clear();
  lock.unlock();
  for (std::thread& worker : workers_) worker.join();
  workers_.clear();
  return true;
}

void ConnectionGate::poll_loop() {
  std::vector<pollfd> fds;
  std::vector<std::string> failures;
  while (!stopping_.load()) {
    {
      std::vector<std::unique_ptr<Connection>> back;
      {
        std::lock_guard lock(mutex_);
        back.swap(returned_);
      }
      const auto now = Clock::now();
      for (auto& connection : back) {
        // A pipelined request may be buffered already, with nothing more
        // to come from the socket: it gets the head's time, not idle time.
        const bool pipelined = connection->has_buffered_bytes();
        connection->deadline = now + (pipelined ? limits_.head_timeout : limits_.idle_timeout);
        waiting_.push_back(Waiting{std::move(connection), POLLIN, !pipelined});
        if (pipelined && !advance(waiting_.back())) waiting_.pop_back();
      }
    }

    const auto now = Clock::now();
    auto next_deadline = now + kLongestPoll;
    std::erase_if(waiting_, [&](const Waiting& w) {
      if (w.connection->deadline <= now) {
        open_.fetch_sub(1);
        return true;
      }
      next_deadline = std::min(next_deadline, w.connection->deadline);
      return false;
    });

    fds.clear();
    fds.push_back({wake_fd_.get(), POLLIN, 0});
    const bool accepting = now >= accept_paused_until_;
    if (!accepting) next_deadline = std::min(next_deadline, accept_paused_until_);
    for (const Listener& listener : listeners_) {
      fds.push_back({accepting && !listener.failed ? listener.fd : -1, POLLIN, 0});
    }
    const std::size_t first_connection = fds.size();
    for (const Waiting& w : waiting_) fds.push_back({w.connection->fd(), w.events, 0});

    // Rounded up, so a deadline is never polled for twice.
    const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(next_deadline - now);
    const int timeout = static_cast<int>(
        std::clamp<std::chrono::milliseconds::rep>(wait.count() + 1, 0, kLongestPoll.count()));
    const int ready = ::poll(fds.data(), fds.size(), timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log_error("poll failed", {{"err", std::strerror(errno)}});
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (fds[0].revents != 0) {
      std::uint64_t count = 0;
      (void)!::read(wake_fd_.get(), &count, sizeof count);
    }

    // Connections first: accepting may append to waiting_.
    std::vector<bool> gone(waiting_.size(), false);
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
      if (fds[first_connection + i].revents == 0) continue;
      gone[i] = !advance(waiting_[i]);
    }
    std::size_t index = 0;
    std::erase_if(waiting_, [&](const Waiting&) { return gone[index++]; });

    for (std::size_t i = 0; i < listeners_.size(); ++i) {
      if (fds[1 + i].revents != 0) accept_from(listeners_[i], failures);
    }
    for (const std::string& address : failures) {
      log_error("Stopped serving HTTP: the listening socket failed", {{"address", address}});
      if (on_failure_) on_failure_(address);
    }
    failures.clear();
  }
  open_.fetch_sub(waiting_.size());
  waiting_.clear();
}

void ConnectionGate::accept_from(Listener& listener, std::vector<std::string>& failures) {
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) return;
      if (is_connection_error(error)) continue;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        if (!evict_quietest()) accept_paused_until_ = Clock::now() + kAcceptPause;
        return;
      }
      listener.failed = true;
      failures.push_back(listener.address);
      return;
    }
    auto connection = std::make_unique<Connection>(UniqueFd(fd), listener.tls, address_of(address),
                                                   listener.local);
    open_.fetch_add(1);
    if (open_.load() > limits_.max_connections && !evict_quietest()) {
      answer_and_close(std::move(connection), 503, "503 too many connections\n");
      continue;
    }
    connection->deadline = Clock::now() + limits_.head_timeout;
    waiting_.push_back(Waiting{std::move(connection), POLLIN, false});
    // Most clients send the request with the connection: answer it now
    // rather than after another round of poll.
    if (!advance(waiting_.back())) waiting_.pop_back();
  }
}

bool ConnectionGate::evict_quietest() {
  auto quietest = waiting_.end();
  for (auto it = waiting_.begin(); it != waiting_.end(); ++it) {
    if (quietest == waiting_.end() ||
        it->connection->last_activity < quietest->connection->last_activity) {
      quietest = it;
    }
  }
  if (quietest == waiting_.end()) return false;
  log_debug("Closing the quietest connection to make room",
            {{"remote", quietest->connection->remote().ip}});
  waiting_.erase(quietest);
  open_.fetch_sub(1);
  return true;
}

bool ConnectionGate::advance(Waiting& waiting) {
  Connection& connection = *waiting.connection;
  const bool had_bytes = connection.has_buffered_bytes();
  switch (connection.advance()) {
    case Connection::Progress::kWantRead:
      waiting.events = POLLIN;
      if (waiting.idle && !had_bytes && connection.has_buffered_bytes()) {
        // The next request has begun: it gets the head's time, not the
        // rest of the idle time.
        waiting.idle = false;
        connection.deadline = std::min(connection.deadline, Clock::now() + limits_.head_timeout);
      }
      return true;
    case Connection::Progress::kWantWrite:
      waiting.events = POLLOUT;
      return true;
    case Connection::Progress::kHead:
      admit(std::move(waiting.connection));
      return false;
    case Connection::Progress::kRejected: {
      const HeadScan scan = connection.head_scan();
      answer_and_close(std::move(waiting.connection), scan.status,
                       std::to_string(scan.status) + " " + std::string(scan.reason) + "\n");
      return false;
    }
    case Connection::Progress::kClosed:
      break;
  }
  waiting.connection.reset();
  open_.fetch_sub(1);
  return false;
}

bool ConnectionGate::is_limited(const Connection& connection) const {
  // The head passed the screening: "METHOD SP target SP version".
  std::string_view target = connection.head();
  target.remove_prefix(std::min(target.size(), target.find(' ') + 1));
  target = target.substr(0, target.find(' '));
  target = target.substr(0, target.find('?'));
  return target == limits_.limited_path;
}

void ConnectionGate::admit(std::unique_ptr<Connection> connection) {
  const bool limited = limits_.max_requests > 0 && is_limited(*connection);
  {
    std::lock_guard lock(mutex_);
    if (!limited || limited_admitted_ < limits_.max_requests) {
      ++admitted_;
      if (limited) ++limited_admitted_;
      connection->counted_as_limited = limited;
      queue_.push_back(std::move(connection));
      work_ready_.notify_one();
      return;
    }
  }
  answer_and_close(std::move(connection), 503,
                   "Limit of concurrent requests reached (" + std::to_string(limits_.max_requests) +
                       "), try again later.\n");
}

void ConnectionGate::answer_and_close(std::unique_ptr<Connection> connection, int status,
                                      std::string_view body) {
  std::string response = "HTTP/1.1 " + std::to_string(status) + " " +
                         std::string(status_text(status)) +
                         "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\nConnection: close\r\n";
  response += response_headers_;
  response += "\r\n";
  response.append(body);
  connection->write_without_waiting(response);
  log_debug("Refused a request",
            {{"remote", connection->remote().ip}, {"status", std::to_string(status)}});
  connection.reset();
  open_.fetch_sub(1);
}

void ConnectionGate::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    work_ready_.wait(lock, [this] { return !queue_.empty() || workers_stop_; });
    if (queue_.empty()) return;
    std::unique_ptr<Connection> connection = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();

    const bool limited = connection->counted_as_limited;
    const bool close =
        stopping_.load() || connection->requests_served + 1 >= limits_.keep_alive_max_requests;
    bool keep = false;
    try {
      keep = answer_(*connection, close, Clock::now() + limits_.write_timeout) && !close;
    } catch (const std::exception& e) {
      log_error("Answering a request failed", {{"err", e.what()}});
    }
    if (keep) {
      connection->finish_request();
    } else {
      connection.reset();
      open_.fetch_sub(1);
    }

    lock.lock();
    if (connection && !stopping_.load()) {
      returned_.push_back(std::move(connection));
      wake();
    } else if (connection) {
      // Stopping: the poller no longer takes connections back.
      lock.unlock();
      connection.reset();
      open_.fetch_sub(1);
      lock.lock();
    }
    if (limited) --limited_admitted_;
    if (--admitted_ == 0) all_answered_.notify_all();
  }
}

}  // namespace mmx
