#include "connection_stream.h"

#include <algorithm>
#include <cstring>

namespace mmx {

ssize_t ConnectionStream::read(char* ptr, size_t size) {
  const std::size_t n = std::min(size, unread_.size());
  std::memcpy(ptr, unread_.data(), n);
  unread_.remove_prefix(n);
  return static_cast<ssize_t>(n);
}

ssize_t ConnectionStream::write(const char* ptr, size_t size) {
  if (failed_ || !connection_.write_all(std::string_view(ptr, size), deadline_)) {
    failed_ = true;
    return -1;
  }
  return static_cast<ssize_t>(size);
}

void ConnectionStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = connection_.remote().ip;
  port = connection_.remote().port;
}

void ConnectionStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = connection_.local().ip;
  port = connection_.local().port;
}

}  // namespace mmx
