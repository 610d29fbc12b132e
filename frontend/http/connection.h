#pragma once
// One accepted HTTP connection, plain or TLS, on a non-blocking socket.
//
// The connection gate (connection_gate.h) drives it and nothing here ever
// waits: the TLS handshake, reads into a bounded buffer until a whole
// request head has arrived, then the response, which the gate's responder
// queued on outgoing(), sent as far as the socket takes it each time it is
// writable.

#include <openssl/ssl.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "outgoing_bytes.h"
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
    kWantWrite,  // TLS wants to write: wait for writability
    kHead,       // a whole request head is in head(); see head_scan()
    kRejected,   // the head broke a rule; head_scan() says which
    kClosed,     // the peer closed, or the connection failed
  };
  // Handshakes, then reads what has arrived, without blocking.
  Progress advance();
  const HeadScan& head_scan() const { return scan_; }
  // The request head advance() found, from its request line to its empty
  // line.
  std::string_view head() const {
    return std::string_view(buffer_).substr(scan_.begin, scan_.length - scan_.begin);
  }
  // What has been received of the current request so far.
  std::string_view received() const { return std::string_view(buffer_).substr(scan_.begin); }
  // Drops the head just answered; what follows it is the next request's.
  void finish_request();
  // A pipelined request is already (partly) buffered.
  // Bytes TLS has decrypted but the buffer has no room for yet count too:
  // epoll would never report them.
  bool has_buffered_bytes() const {
    return !buffer_.empty() || (ssl_ && SSL_has_pending(ssl_.get()) == 1);
  }

  // The response being sent.
  OutgoingBytes& outgoing() { return outgoing_; }
  enum class Transfer {
    kDone,       // all of it (flush) / the peer's end (drain_input)
    kWantRead,   // wait for readability, then call again
    kWantWrite,  // wait for writability, then call again
    kFailed,     // the connection is of no further use
  };
  // Sends what outgoing() holds, as far as the socket takes it now.
  Transfer flush();
  // The response was the last: says so to the peer (TLS close_notify, then
  // the TCP FIN), still reading.
  void end_sending();
  // Reads and drops what the peer still sends after end_sending(), so that
  // closing does not reset a connection whose answer the peer has yet to
  // read (RFC 9112 9.6, "lingering close"). last_activity says when the
  // last byte came.
  Transfer drain_input();

  // When the current phase must end (head, idle keep-alive, write, linger).
  Clock::time_point deadline;
  Clock::time_point linger_end;  // the gate's, while draining
  Clock::time_point last_activity;
  std::size_t requests_served = 0;
  bool counted_as_limited = false;  // the gate's, while a scrape is admitted

 private:
  enum class Io { kDone, kWantRead, kWantWrite, kEof, kError };
  Io handshake();
  Io read_some();
  // SSL_get_error()'s verdict on a failed call, remembering fatal errors:
  // after one, no SSL_shutdown may be tried (OpenSSL's rule).
  Io tls_result(int result);

  UniqueFd fd_;
  UniqueSsl ssl_;
  bool handshake_done_ = false;
  bool tls_failed_ = false;
  bool close_notify_sent_ = false;
  PeerAddress remote_;
  PeerAddress local_;
  std::string buffer_;
  HeadScanner scanner_;
  HeadScan scan_;
  OutgoingBytes outgoing_;
};

}  // namespace mmx
