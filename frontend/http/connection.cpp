#include "connection.h"

#include <openssl/err.h>
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
// Pieces of a response sent in one sendmsg: a head, a shared body and a
// tail are three.
constexpr std::size_t kGatherMax = 8;

}  // namespace

Connection::Connection(UniqueFd fd, SSL_CTX* tls, PeerAddress remote, const PeerAddress& local)
    : fd_(std::move(fd)), remote_(std::move(remote)), local_(local) {
  last_activity = Clock::now();
  if (tls != nullptr) {
    ssl_.reset(SSL_new(tls));
    if (ssl_ && SSL_set_fd(ssl_.get(), fd_.get()) == 1) {
      SSL_set_accept_state(ssl_.get());
      // A write retried after WANT_WRITE may then pass the rest only, from
      // wherever the queue holds it.
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
  end_sending();
  ERR_clear_error();
}

Connection::Io Connection::tls_result(int result) {
  switch (SSL_get_error(ssl_.get(), result)) {
    case SSL_ERROR_WANT_READ:
      return Io::kWantRead;
    case SSL_ERROR_WANT_WRITE:
      return Io::kWantWrite;
    case SSL_ERROR_ZERO_RETURN:
      return Io::kEof;
    case SSL_ERROR_SYSCALL:
    case SSL_ERROR_SSL:
      tls_failed_ = true;
      return Io::kError;
    default:
      return Io::kError;
  }
}

Connection::Io Connection::handshake() {
  if (!fd_) return Io::kError;
  ERR_clear_error();
  const int result = SSL_do_handshake(ssl_.get());
  if (result == 1) {
    handshake_done_ = true;
    return Io::kDone;
  }
  const Io io = tls_result(result);
  if (io == Io::kWantRead || io == Io::kWantWrite) return io;
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
      return tls_result(n);
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

Connection::Transfer Connection::flush() {
  if (!fd_ || (ssl_ && (!handshake_done_ || tls_failed_))) return Transfer::kFailed;
  while (!outgoing_.empty()) {
    if (ssl_) {
      const std::string_view piece = outgoing_.front();
      ERR_clear_error();
      const int n = SSL_write(ssl_.get(), piece.data(),
                              static_cast<int>(std::min<std::size_t>(piece.size(), INT_MAX)));
      if (n > 0) {
        outgoing_.consume(static_cast<std::size_t>(n));
        last_activity = Clock::now();
        continue;
      }
      switch (tls_result(n)) {
        case Io::kWantWrite:
          return Transfer::kWantWrite;
        case Io::kWantRead:
          return Transfer::kWantRead;
        default:
          return Transfer::kFailed;
      }
    }
    std::array<iovec, kGatherMax> vectors{};
    msghdr message{};
    message.msg_iov = vectors.data();
    message.msg_iovlen = outgoing_.gather(vectors.data(), vectors.size());
    const ssize_t n = ::sendmsg(fd_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      outgoing_.consume(static_cast<std::size_t>(n));
      last_activity = Clock::now();
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Transfer::kWantWrite;
    return Transfer::kFailed;
  }
  return Transfer::kDone;
}

void Connection::end_sending() {
  if (!fd_) return;
  if (ssl_) {
    // A close_notify, if the socket takes it now: a peer that reads on
    // sees a clean end rather than a truncation. Never after a fatal
    // error, nor before a handshake.
    if (handshake_done_ && !tls_failed_ && !close_notify_sent_) {
      ERR_clear_error();
      SSL_shutdown(ssl_.get());
      close_notify_sent_ = true;
    }
    ERR_clear_error();
  }
  ::shutdown(fd_.get(), SHUT_WR);
}

Connection::Transfer Connection::drain_input() {
  if (!fd_) return Transfer::kFailed;
  // Raw bytes, TLS records included: nothing after the answer is read as
  // a request.
  // A few chunks a wake-up, so a client that floods cannot keep a thread.
  char chunk[kReadChunk];
  for (int reads = 0; reads < 16;) {
    const ssize_t n = ::recv(fd_.get(), chunk, sizeof chunk, MSG_DONTWAIT);
    if (n > 0) {
      ++reads;
      last_activity = Clock::now();
      continue;
    }
    if (n == 0) return Transfer::kDone;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Transfer::kWantRead;
    return Transfer::kFailed;
  }
  return Transfer::kWantRead;
}

}  // namespace mmx
