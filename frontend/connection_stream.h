#pragma once
// The httplib::Stream a worker hands httplib for one request: reads come
// from the head the gate already received and screened (and end there, as
// no request here has a body), writes go to the connection by a deadline,
// and the remote address is the accepted socket's, never a header's.

#include <httplib.h>

#include <string_view>

#include "connection.h"

namespace mmx {

class ConnectionStream final : public httplib::Stream {
 public:
  // `head`: the request head to hand httplib (the connection's, or a
  // screened copy of it).
  ConnectionStream(Connection& connection, Connection::Clock::time_point write_deadline,
                   std::string_view head)
      : connection_(connection), unread_(head), deadline_(write_deadline) {}

  bool is_readable() const override { return !unread_.empty(); }
  bool is_writable() const override { return !failed_ && Connection::Clock::now() < deadline_; }
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return connection_.fd(); }

 private:
  Connection& connection_;
  std::string_view unread_;
  Connection::Clock::time_point deadline_;
  bool failed_ = false;
};

}  // namespace mmx
