#pragma once
// One accepted HTTP connection, plain or TLS, on a non-blocking socket.
//
// The connection gate (connection_gate.h) drives it without blocking until a
// whole request head has arrived: the TLS handshake, then reads into a
// bounded buffer. A worker then answers the request, writing with a
// deadline, and hands the connection back for the next request.

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "request_head.h"
#include "unique_fd.h"

namespace mmx {

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using UniqueSsl = std::unique_ptr<SSL, SslDeleter>;

struct PeerAddress {
  std::string ip;  // empty for a unix socket
  int port = 0;
};

class Connection {
 public:
  using Clock = std::chrono::steady_clock;

  // `tls`: the context of a TLS listener, null for plain HTTP.
  Connection(UniqueFd fd, SSL_CTX* tls, PeerAddress remote, const PeerAddress& local);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  int fd() const { return fd_.get(); }
  const PeerAddress& remote() const { return remote_; }
  const PeerAddress& local() const { return local_; }
  bool tls() const { return ssl_ != nullptr; }

  enum class Progress {
    kWantRead,   // wait for the socket to be readable, then call again
    kWantWrite,  // the TLS handshake wants to write: wait for writability
    kHead,       // a whole request head is in head(); see head_scan()
    kRejected,   // the head broke a rule; head_scan() says which
    kClosed,     // the peer closed, or the connection failed
  };
  // Handshakes, then reads what has arrived, without blocking.
  Progress advance();
  const HeadScan& head_scan() const { return scan_; }
  // The request head advance() found, and the request after it.
  std::string_view head() const { return std::string_view(buffer_).substr(0, scan_.length); }
  // Drops the head just answered; what follows it is the next request's.
  void finish_request();
  // A pipelined request is already (partly) buffered.
  // Bytes TLS has decrypted but the buffer has no room for yet count too:
  // poll() would never report them.
  bool has_buffered_bytes() const {
    return !buffer_.empty() || (ssl_ && SSL_has_pending(ssl_.get()) == 1);
  }

  // Writes all of `data` by `deadline`, waiting for the socket as needed.
  bool write_all(std::string_view data, Clock::time_point deadline);
  // The same for pieces sent back to back: over plain TCP a head and a
  // small body leave in one segment, and a cached body is never copied.
  bool write_all(std::initializer_list<std::string_view> pieces, Clock::time_point deadline);
  // One attempt that never waits, for the gate's own short answers.
  void write_without_waiting(std::string_view data);

  // When the current phase must end (head, idle keep-alive).
  Clock::time_point deadline;
  Clock::time_point last_activity;
  std::size_t requests_served = 0;
  bool counted_as_limited = false;  // the gate's, while admitted

 private:
  enum class Io { kDone, kWantRead, kWantWrite, kEof, kError };
  Io handshake();
  Io read_some();
  bool wait_for(short events, Clock::time_point deadline) const;

  UniqueFd fd_;
  UniqueSsl ssl_;
  bool handshake_done_ = false;
  PeerAddress remote_;
  PeerAddress local_;
  std::string buffer_;
  HeadScanner scanner_;
  HeadScan scan_;
};

}  // namespace mmx
