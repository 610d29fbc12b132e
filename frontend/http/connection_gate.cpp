#include "connection_gate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <system_error>

#include "errno_text.h"
#include "log.h"

namespace mmx {
namespace {

using Clock = Connection::Clock;

// Connections taken from one listener per poll round, so one busy listener
// cannot starve the others or the connections already open.
constexpr int kAcceptBatch = 64;
// Out of descriptors with nothing to close: try accepting again after this.
constexpr std::chrono::milliseconds kAcceptPause{100};
// Stopping: what a connection without a whole request yet has left to send it.
constexpr std::chrono::milliseconds kStopDrain{500};

// What an epoll event carries: a connection's slot index in the low half
// and its generation in the high half, or one of these.
constexpr std::uint64_t kWakeToken = UINT64_MAX;
constexpr std::uint64_t kTimerToken = UINT64_MAX - 1;
constexpr std::uint64_t kListenerTokens = UINT64_MAX - 2;  // minus the index

std::uint64_t slot_token(std::uint32_t index, std::uint32_t generation) {
  return (std::uint64_t{generation} << 32) | index;
}

// The constructor cannot do without these descriptors: std::system_error,
// which main() catches.
UniqueFd checked(int fd, const char* what) {
  if (fd < 0) throw std::system_error(errno, std::generic_category(), what);
  return UniqueFd(fd);
}

bool epoll_control(int epoll_fd, int operation, int fd, std::uint32_t events, std::uint64_t token) {
  epoll_event event{};
  event.events = events;
  event.data.u64 = token;
  return ::epoll_ctl(epoll_fd, operation, fd, &event) == 0;
}

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

ConnectionGate::ConnectionGate(GateLimits limits, Responder& responder)
    : limits_(limits),
      responder_(responder),
      epoll_fd_(checked(::epoll_create1(EPOLL_CLOEXEC), "epoll_create1")),
      wake_fd_(checked(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), "eventfd")),
      timer_fd_(checked(::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
                        "timerfd_create")) {
  // The wake-up stays readable (level-triggered, never read): every
  // thread sees it, each returns.
  if (!epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, wake_fd_.get(), EPOLLIN, kWakeToken) ||
      !epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, timer_fd_.get(), EPOLLIN | EPOLLONESHOT,
                     kTimerToken)) {
    throw std::system_error(errno, std::generic_category(), "epoll_ctl");
  }
}

ConnectionGate::~ConnectionGate() {
  if (threads_.empty()) return;
  if (stop(std::chrono::seconds(2))) return;
  // Only reached when the owner ignored stop()'s false: better a leak at
  // exit than std::terminate.
  for (std::thread& thread : threads_) thread.detach();
}

void ConnectionGate::add_listener(int fd, SSL_CTX* tls, std::string address) {
  Listener listener;
  listener.fd = fd;
  listener.tls = tls;
  listener.address = std::move(address);
  listener.local = local_peer_address(fd);
  listeners_.push_back(std::move(listener));
}

Expected<> ConnectionGate::start(Failure on_failure) {
  on_failure_ = std::move(on_failure);
  for (std::size_t i = 0; i < listeners_.size(); ++i) {
    if (!arm_listener(i, EPOLL_CTL_ADD)) return fail(errno_text("epoll_ctl"));
  }
  for (std::size_t i = 0; i < std::max<std::size_t>(1, limits_.workers); ++i) {
    threads_.emplace_back([this] { run(); });
  }
  return {};
}

bool ConnectionGate::stop(std::chrono::milliseconds grace) {
  const auto now = Clock::now();
  const auto deadline = now + grace;
  std::unique_lock lock(mutex_);
  if (!stopping_.load()) {
    stop_grace_end_ = deadline;
    stop_drain_end_ = now + std::min<std::chrono::milliseconds>(grace / 2, kStopDrain);
    stopping_.store(true);
    for (const Listener& listener : listeners_) {
      ::epoll_ctl(epoll_fd_.get(), EPOLL_CTL_DEL, listener.fd, nullptr);
    }
    // Connections idle between requests are closed now. The others have
    // a request under way, or are new and about to send one (a replacement
    // frontend on the same socket takes over only what is not accepted
    // yet): they get a short while to send it, and are answered with
    // "Connection: close", as are the requests being answered. A response
    // being sent has the whole grace.
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      Slot& slot = slots_[i];
      if (!slot.connection || slot.busy) continue;
      if (slot.phase == Phase::kIdle && !slot.connection->has_buffered_bytes()) {
        close_locked(i);
      } else {
        const auto until = slot.phase == Phase::kSending ? stop_grace_end_ : stop_drain_end_;
        slot.connection->deadline = std::min(slot.connection->deadline, until);
        schedule_locked(slot.connection->deadline);
      }
    }
  }
  if (!drained_.wait_until(lock, deadline, [this] { return busy_ == 0 && open_.load() == 0; })) {
    // What is left waits on its client in epoll, with no thread: it ends
    // now. Only a thread still busy (a bcrypt, say) makes stop() fail.
    for (std::uint32_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].connection && !slots_[i].busy) close_locked(i);
    }
    if (busy_ != 0) return false;
  }
  const std::uint64_t one = 1;
  (void)!::write(wake_fd_.get(), &one, sizeof one);
  lock.unlock();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  return true;
}

void ConnectionGate::run() {
  while (true) {
    epoll_event event{};
    const int ready = ::epoll_wait(epoll_fd_.get(), &event, 1, -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      log_error("epoll_wait failed", {{"err", errno_text()}});
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    if (ready == 0) continue;
    const std::uint64_t token = event.data.u64;
    if (token == kWakeToken) return;
    if (token == kTimerToken) {
      expire();
    } else if (token > kListenerTokens - listeners_.size()) {
      accept_from(static_cast<std::size_t>(kListenerTokens - token));
    } else {
      serve(token);
    }
  }
}

bool ConnectionGate::arm_listener(std::size_t index, int operation) {
  return epoll_control(epoll_fd_.get(), operation, listeners_[index].fd, EPOLLIN | EPOLLONESHOT,
                       kListenerTokens - index);
}

void ConnectionGate::accept_from(std::size_t index) {
  Listener& listener = listeners_[index];
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    const int fd = ::accept4(listener.fd, reinterpret_cast<sockaddr*>(&address), &length,
                             SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK) break;
      if (is_connection_error(error)) continue;
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        std::lock_guard lock(mutex_);
        if (!evict_quietest_locked()) {
          accept_paused_until_ = Clock::now() + kAcceptPause;
          schedule_locked(accept_paused_until_);
          return;  // the timer arms the listeners again
        }
        continue;
      }
      log_error("Stopped serving HTTP: the listening socket failed",
                {{"address", listener.address}, {"err", errno_text(error)}});
      {
        std::lock_guard lock(mutex_);
        listener.failed = true;
      }
      if (on_failure_) on_failure_(listener.address);
      return;
    }
    auto connection = std::make_unique<Connection>(UniqueFd(fd), listener.tls, address_of(address),
                                                   listener.local);
    open_.fetch_add(1);
    std::lock_guard lock(mutex_);
    if (open_.load() > limits_.max_connections && !evict_quietest_locked()) {
      // One attempt, without waiting; a TLS listener's has no handshake yet
      // and is just closed.
      responder_.refuse(*connection, 503, "503 too many connections\n");
      (void)connection->flush();
      connection.reset();
      open_.fetch_sub(1);
      continue;
    }
    std::uint32_t slot = 0;
    if (free_slots_.empty()) {
      slot = static_cast<std::uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
    }
    // Accepted as stop() began: answered within the drain, like the rest.
    const bool stopping = stopping_.load();
    connection->deadline = Clock::now() + (stopping ? kStopDrain : limits_.head_timeout);
    slots_[slot].connection = std::move(connection);
    slots_[slot].busy = false;
    slots_[slot].phase = Phase::kReading;
    slots_[slot].keep_after_sending = false;
    // Most clients send the request with the connection: epoll reports
    // it at once, to whichever thread waits.
    if (!epoll_control(epoll_fd_.get(), EPOLL_CTL_ADD, slots_[slot].connection->fd(),
                       EPOLLIN | EPOLLONESHOT, slot_token(slot, slots_[slot].generation))) {
      close_locked(slot);
      continue;
    }
    schedule_locked(slots_[slot].connection->deadline);
    if (stopping) return;
  }
  std::lock_guard lock(mutex_);
  if (!stopping_.load() && !listener.failed) arm_listener(index, EPOLL_CTL_MOD);
}

void ConnectionGate::serve(std::uint64_t token) {
  const auto index = static_cast<std::uint32_t>(token & 0xffffffffu);
  Connection* taken = nullptr;
  Phase phase = Phase::kReading;
  bool keep = false;
  {
    std::lock_guard lock(mutex_);
    if (index >= slots_.size()) return;
    Slot& slot = slots_[index];
    // Closed since the event was queued, or the slot holds another one now.
    if (!slot.connection || slot.busy || slot_token(index, slot.generation) != token) return;
    slot.busy = true;
    ++busy_;
    taken = slot.connection.get();
    phase = slot.phase;
    keep = slot.keep_after_sending;
  }
  const std::uint32_t events = progress(*taken, phase, keep);
  std::lock_guard lock(mutex_);
  slots_[index].phase = phase;
  slots_[index].keep_after_sending = keep;
  release_locked(index, events);
}

std::uint32_t ConnectionGate::progress(Connection& connection, Phase& phase, bool& keep) {
  while (true) {
    switch (phase) {
      case Phase::kSending:
        switch (connection.flush()) {
          case Connection::Transfer::kWantWrite:
            return EPOLLOUT;
          case Connection::Transfer::kWantRead:  // TLS, mid renegotiation
            return EPOLLIN;
          case Connection::Transfer::kFailed:
            return 0;
          case Connection::Transfer::kDone:
            break;
        }
        end_limited(connection);
        if (!keep) {
          connection.end_sending();
          connection.linger_end = Clock::now() + limits_.linger_timeout;
          if (stopping_.load()) {
            connection.linger_end = std::min(connection.linger_end, stop_drain_end_);
          }
          connection.last_activity = Clock::now();
          phase = Phase::kLingering;
          continue;
        }
        {
          // A pipelined request may be buffered already, with nothing more
          // to come from the socket: it is answered now, within the head's
          // time.
          const bool pipelined = connection.has_buffered_bytes();
          connection.deadline =
              Clock::now() + (pipelined ? limits_.head_timeout : limits_.idle_timeout);
          phase = pipelined ? Phase::kReading : Phase::kIdle;
          if (pipelined && !stopping_.load()) continue;
        }
        return EPOLLIN;

      case Phase::kLingering:
        if (connection.drain_input() != Connection::Transfer::kWantRead) return 0;
        connection.deadline =
            std::min(connection.linger_end, connection.last_activity + limits_.linger_quiet);
        return EPOLLIN;

      case Phase::kReading:
      case Phase::kIdle: {
        const bool had_bytes = connection.has_buffered_bytes();
        switch (connection.advance()) {
          case Connection::Progress::kWantRead:
            if (phase == Phase::kIdle && !had_bytes && connection.has_buffered_bytes()) {
              // The next request has begun: it gets the head's time, not
              // the rest of the idle time.
              phase = Phase::kReading;
              connection.deadline =
                  std::min(connection.deadline, Clock::now() + limits_.head_timeout);
            }
            return EPOLLIN;
          case Connection::Progress::kWantWrite:
            return EPOLLOUT;
          case Connection::Progress::kClosed:
            return 0;
          case Connection::Progress::kRejected: {
            const HeadScan& scan = connection.head_scan();
            responder_.refuse(connection, scan.status,
                              std::to_string(scan.status) + " " + std::string(scan.reason) + "\n");
            log_debug("Refused a request", {{"remote", connection.remote().ip},
                                            {"status", std::to_string(scan.status)}});
            keep = false;
            break;
          }
          case Connection::Progress::kHead:
            keep = answer_request(connection);
            break;
        }
        phase = Phase::kSending;
        connection.deadline = Clock::now() + limits_.write_timeout;
        if (stopping_.load()) connection.deadline = std::min(connection.deadline, stop_grace_end_);
        continue;
      }
    }
  }
}

bool ConnectionGate::answer_request(Connection& connection) {
  const bool limited = limits_.max_requests > 0 && is_limited(connection);
  if (limited && limited_in_progress_.fetch_add(1) >= limits_.max_requests) {
    limited_in_progress_.fetch_sub(1);
    responder_.refuse(connection, 503,
                      "Limit of concurrent requests reached (" +
                          std::to_string(limits_.max_requests) + "), try again later.\n");
    return false;
  }
  connection.counted_as_limited = limited;
  const bool close =
      stopping_.load() || connection.requests_served + 1 >= limits_.keep_alive_max_requests;
  bool keep = false;
  try {
    keep = responder_.answer(connection, close) && !close;
  } catch (const std::exception& e) {
    // Whatever was queued is a response cut short: none is sent.
    connection.outgoing().clear();
    log_error("Answering a request failed", {{"err", e.what()}});
  }
  connection.finish_request();
  return keep;
}

bool ConnectionGate::is_limited(const Connection& connection) const {
  return request_path(connection.head()) == limits_.limited_path;
}

void ConnectionGate::end_limited(Connection& connection) {
  if (!connection.counted_as_limited) return;
  connection.counted_as_limited = false;
  limited_in_progress_.fetch_sub(1);
}

void ConnectionGate::expire() {
  std::uint64_t expirations = 0;
  (void)!::read(timer_fd_.get(), &expirations, sizeof expirations);
  std::lock_guard lock(mutex_);
  const auto now = Clock::now();
  timer_at_ = Clock::time_point::max();
  for (std::uint32_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    if (!slot.connection || slot.busy) continue;
    if (slot.connection->deadline <= now) {
      close_locked(i);
    } else {
      schedule_locked(slot.connection->deadline);
    }
  }
  if (accept_paused_until_ != Clock::time_point{}) {
    if (accept_paused_until_ <= now) {
      accept_paused_until_ = {};
      if (!stopping_.load()) {
        for (std::size_t i = 0; i < listeners_.size(); ++i) {
          if (!listeners_[i].failed) arm_listener(i, EPOLL_CTL_MOD);
        }
      }
    } else {
      schedule_locked(accept_paused_until_);
    }
  }
  epoll_control(epoll_fd_.get(), EPOLL_CTL_MOD, timer_fd_.get(), EPOLLIN | EPOLLONESHOT,
                kTimerToken);
}

void ConnectionGate::release_locked(std::uint32_t index, std::uint32_t events) {
  Slot& slot = slots_[index];
  // Stopping, a connection is kept only while its request is under way.
  if (events != 0 && !(stopping_.load() && slot.phase == Phase::kIdle) &&
      epoll_control(epoll_fd_.get(), EPOLL_CTL_MOD, slot.connection->fd(), events | EPOLLONESHOT,
                    slot_token(index, slot.generation))) {
    slot.busy = false;
    schedule_locked(slot.connection->deadline);
  } else {
    close_locked(index);
  }
  --busy_;
  if (stopping_.load()) drained_.notify_all();
}

void ConnectionGate::close_locked(std::uint32_t index) {
  Slot& slot = slots_[index];
  end_limited(*slot.connection);
  // A busy slot was taken out by its event and is still registered:
  // closing the descriptor ends the registration as well.
  slot.connection.reset();
  slot.busy = false;
  slot.phase = Phase::kReading;
  ++slot.generation;
  free_slots_.push_back(index);
  open_.fetch_sub(1);
  if (stopping_.load()) drained_.notify_all();
}

bool ConnectionGate::evict_quietest_locked() {
  std::size_t quietest = slots_.size();
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Slot& slot = slots_[i];
    if (!slot.connection || slot.busy) continue;
    if (quietest == slots_.size() ||
        slot.connection->last_activity < slots_[quietest].connection->last_activity) {
      quietest = i;
    }
  }
  if (quietest == slots_.size()) return false;
  log_debug("Closing the quietest connection to make room",
            {{"remote", slots_[quietest].connection->remote().ip}});
  close_locked(static_cast<std::uint32_t>(quietest));
  return true;
}

void ConnectionGate::schedule_locked(Clock::time_point when) {
  if (when >= timer_at_) return;
  timer_at_ = when;
  const auto since_boot = std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::max(when, Clock::time_point(std::chrono::nanoseconds(1))).time_since_epoch());
  itimerspec spec{};
  spec.it_value.tv_sec = static_cast<time_t>(since_boot.count() / 1'000'000'000);
  spec.it_value.tv_nsec = static_cast<long>(since_boot.count() % 1'000'000'000);
  ::timerfd_settime(timer_fd_.get(), TFD_TIMER_ABSTIME, &spec, nullptr);
}

}  // namespace mmx
