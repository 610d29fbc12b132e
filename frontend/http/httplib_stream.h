#pragma once
// The httplib::Stream that cpp-httplib's request processing reads from and
// writes to: reads come from a request head the gate has received and
// screened (and end there: no request here has a body), writes are queued
// on the connection (connection.h sends them when its socket is writable),
// and the remote and local addresses are the accepted socket's, never a
// header's.
//
// A write of bytes that lie inside a body shared(), on the thread that is
// processing the request, is queued as a reference to it, not copied: the
// content providers of http_server.cpp write the cached exposition that
// way, so a response costs the bytes of its head and tail only.
//
// A stream may also carry the gate's refusal of a request: httplib then
// processes a stand-in head, and the handler answers with the refusal.

#include <httplib.h>

#include <memory>
#include <string_view>
#include <vector>

#include "connection.h"

namespace mmx {

class QueueingStream final : public httplib::Stream {
 public:
  struct Refusal {
    int status = 0;
    std::string_view body;
  };

  // `head`: what httplib reads (connection.head() or library_head()'s
  // rewrite of it), which must outlive the stream, as must `refusal`.
  QueueingStream(Connection& connection, std::string_view head, const Refusal* refusal = nullptr);
  ~QueueingStream() override;
  QueueingStream(const QueueingStream&) = delete;
  QueueingStream& operator=(const QueueingStream&) = delete;

  // Lets this thread's stream, if any, queue writes within `bytes` as
  // references kept alive by `owner`.
  static void share(std::shared_ptr<const void> owner, std::string_view bytes);
  // The refusal this thread's stream carries; null when it carries a
  // client's request.
  static const Refusal* refusal();

  bool is_readable() const override { return !unread_.empty(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return connection_.fd(); }

 private:
  struct SharedBody {
    std::shared_ptr<const void> owner;
    std::string_view bytes;
  };

  Connection& connection_;
  std::string_view unread_;
  std::vector<SharedBody> shared_;
  const Refusal* refusal_;
  QueueingStream* outer_;  // a stream this thread was using before, if any
};

}  // namespace mmx
