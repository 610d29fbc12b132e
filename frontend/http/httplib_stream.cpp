#include "httplib_stream.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace mmx {
namespace {

// The stream whose request this thread is processing. httplib calls the
// handlers and content providers on the thread that called
// process_request, inside that call.
thread_local QueueingStream* current_stream = nullptr;

bool is_within(std::string_view outer, const char* data, std::size_t size) {
  const std::less_equal<const char*> not_after;
  return not_after(outer.data(), data) && not_after(data + size, outer.data() + outer.size());
}

}  // namespace

QueueingStream::QueueingStream(Connection& connection, std::string_view head,
                               const Refusal* refusal)
    : connection_(connection), unread_(head), refusal_(refusal), outer_(current_stream) {
  current_stream = this;
}

QueueingStream::~QueueingStream() {
  current_stream = outer_;
}

void QueueingStream::share(std::shared_ptr<const void> owner, std::string_view bytes) {
  if (current_stream != nullptr && !bytes.empty()) {
    current_stream->shared_.push_back({std::move(owner), bytes});
  }
}

const QueueingStream::Refusal* QueueingStream::refusal() {
  return current_stream != nullptr ? current_stream->refusal_ : nullptr;
}

ssize_t QueueingStream::read(char* ptr, size_t size) {
  const std::size_t n = std::min(size, unread_.size());
  std::memcpy(ptr, unread_.data(), n);
  unread_.remove_prefix(n);
  return static_cast<ssize_t>(n);
}

ssize_t QueueingStream::write(const char* ptr, size_t size) {
  for (const SharedBody& body : shared_) {
    if (is_within(body.bytes, ptr, size)) {
      connection_.outgoing().append_shared(body.owner, std::string_view(ptr, size));
      return static_cast<ssize_t>(size);
    }
  }
  connection_.outgoing().append_copy(std::string_view(ptr, size));
  return static_cast<ssize_t>(size);
}

void QueueingStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  ip = connection_.remote().ip;
  port = connection_.remote().port;
}

void QueueingStream::get_local_ip_and_port(std::string& ip, int& port) const {
  ip = connection_.local().ip;
  port = connection_.local().port;
}

}  // namespace mmx
