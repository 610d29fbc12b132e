#include "connection.h"

#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <climits>

#include "log.h"

namespace mmx {
namespace {

constexpr std::size_t kReadChunk = 4096;

int milliseconds_until(Connection::Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Connection::Clock::now());
  return static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(left.count(), 0, INT_MAX));
}

}  // namespace

Connection::Connection(UniqueFd fd, SSL_CTX* tls, PeerAddress remote, const PeerAddress& local)
    : fd_(std::move(fd)), remote_(std::move(remote)), local_(local) {
  last_activity = Clock::now();
  if (tls != nullptr) {
    ssl_.reset(SSL_new(tls));
    if (ssl_ && SSL_set_fd(ssl_.get(), fd_.get()) == 1) {
      SSL_set_accept_state(ssl_.get());
      // Retrying a write after WANT_WRITE may then pass the rest only.
      SSL_set_mode(ssl_.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    } else {
      ssl_.reset();
      fd_.reset();
    }
  }
}

Connection::~Connection() {
  // Plain connections never touch OpenSSL: a frontend without TLS never
  // initialises it, nor its per-thread state.
  if (!ssl_) return;
  if (handshake_done_) {
    // A close_notify if the socket takes it now; a peer that reads on
    // sees a clean end rather than a truncation.
    ERR_clear_error();
    SSL_shutdown(ssl_.get());
  }
  ERR_clear_error();
}

Connection::Io Connection::handshake() {
  if (!fd_) return Io::kError;
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    handshake_done_ = true;
    return Io::kDone;
  }
  const int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_WANT_READ) return Io::kWantRead;
  if (error == SSL_ERROR_WANT_WRITE) return Io::kWantWrite;
  if (log_enabled(LogLevel::kDebug)) {
    char text[256] = "connection closed";
    if (const unsigned long code = ERR_peek_error(); code != 0) {
      ERR_error_string_n(code, text, sizeof text);
    }
    log_debug("TLS handshake failed", {{"remote", remote_.ip}, {"err", text}});
  }
  return Io::kError;
}

Connection::Io Connection::read_some() {
  char chunk[kReadChunk];
  while (buffer_.size() < kMaxHeadBytes) {
    const std::size_t room = std::min(kReadChunk, kMaxHeadBytes - buffer_.size());
    if (ssl_) {
      ERR_clear_error();
      const int n = SSL_read(ssl_.get(), chunk, static_cast<int>(room));
      if (n > 0) {
        buffer_.append(chunk, static_cast<std::size_t>(n));
        continue;
      }
      switch (SSL_get_error(ssl_.get(), n)) {
        case SSL_ERROR_WANT_READ:
          return Io::kWantRead;
        case SSL_ERROR_WANT_WRITE:
          return Io::kWantWrite;
        case SSL_ERROR_ZERO_RETURN:
          return Io::kEof;
        default:
          return Io::kError;
      }
    }
    const ssize_t n = ::recv(fd_.get(), chunk, room, MSG_DONTWAIT);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) return Io::kEof;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::kWantRead;
    return Io::kError;
  }
  return Io::kDone;  // the buffer is full: the scanner decides
}

Connection::Progress Connection::advance() {
  if (!fd_) return Progress::kClosed;
  if (ssl_ && !handshake_done_) {
    switch (handshake()) {
      case Io::kDone:
        break;
      case Io::kWantRead:
        return Progress::kWantRead;
      case Io::kWantWrite:
        return Progress::kWantWrite;
      default:
        return Progress::kClosed;
    }
  }
  const Io io = read_some();
  if (!buffer_.empty()) last_activity = Clock::now();
  scan_ = scanner_.scan(buffer_);
  switch (scan_.state) {
    case HeadScan::State::kComplete:
      return Progress::kHead;
    case HeadScan::State::kRejected:
      return Progress::kRejected;
    case HeadScan::State::kIncomplete:
      break;
  }
  switch (io) {
    case Io::kWantRead:
      return Progress::kWantRead;
    case Io::kWantWrite:
      return Progress::kWantWrite;
    case Io::kDone:  // full, yet the scanner wants more: cannot happen
    case Io::kEof:
    case Io::kError:
      break;
  }
  return Progress::kClosed;
}

void Connection::finish_request() {
  buffer_.erase(0, scan_.length);
  scanner_.reset();
  scan_ = HeadScan{};
  ++requests_served;
}

bool Connection::wait_for(short events, Clock::time_point until) const {
  while (true) {
    pollfd p{fd_.get(), events, 0};
    const int ready = ::poll(&p, 1, milliseconds_until(until));
    if (ready > 0) return (p.revents & (POLLERR | POLLNVAL)) == 0;
    if (ready == 0) return false;
    if (errno != EINTR) return false;
  }
}

bool Connection::write_all(std::string_view data, Clock::time_point until) {
  if (!fd_) return false;
  while (!data.empty()) {
    if (ssl_) {
      ERR_clear_error();
      const int n = SSL_write(ssl_.get(), data.data(),
                              static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      const int error = SSL_get_error(ssl_.get(), n);
      if (error == SSL_ERROR_WANT_WRITE && wait_for(POLLOUT, until)) continue;
      if (error == SSL_ERROR_WANT_READ && wait_for(POLLIN, until)) continue;
      return false;
    }
    const ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(POLLOUT, until)) continue;
    return false;
  }
  last_activity = Clock::now();
  return true;
}

bool Connection::write_all(std::initializer_list<std::string_view> pieces,
                           Clock::time_point until) {
  if (!fd_) return false;
  if (ssl_) {
    for (std::string_view piece : pieces) {
      if (!write_all(piece, until)) return false;
    }
    return true;
  }
  std::array<iovec, 4> vectors{};
  std::size_t count = 0;
  for (std::string_view piece : pieces) {
    if (piece.empty()) continue;
    if (count == vectors.size()) return false;  // more pieces than any caller sends
    vectors[count++] = {const_cast<char*>(piece.data()), piece.size()};
  }
  std::size_t first = 0;
  while (first < count) {
    msghdr message{};
    message.msg_iov = vectors.data() + first;
    message.msg_iovlen = count - first;
    const ssize_t n = ::sendmsg(fd_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && wait_for(POLLOUT, until)) continue;
      return false;
    }
    auto sent = static_cast<std::size_t>(n);
    while (first < count && sent >= vectors[first].iov_len) {
      sent -= vectors[first].iov_len;
      ++first;
    }
    if (first < count) {
      vectors[first].iov_base = static_cast<char*>(vectors[first].iov_base) + sent;
      vectors[first].iov_len -= sent;
    }
  }
  last_activity = Clock::now();
  return true;
}

void Connection::write_without_waiting(std::string_view data) {
  if (!fd_) return;
  if (ssl_) {
    if (!handshake_done_) return;
    ERR_clear_error();
    SSL_write(ssl_.get(), data.data(),
              static_cast<int>(std::min<std::size_t>(data.size(), INT_MAX)));
    return;
  }
  (void)::send(fd_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

}  // namespace mmx
