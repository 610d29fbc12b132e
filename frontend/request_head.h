#pragma once
// Screening of an HTTP request head before the frontend parses it
// (http_message.h).
//
// The rules began as the answer to cpp-httplib 0.11.4 (Debian 12's), which
// grew a line without bound before it checked its length, read chunked and
// compressed bodies, percent-decoded header values and let a client's
// REMOTE_ADDR header shadow the real one. They stay as the frontend's own
// contract: a parsed head is never more than kMaxHeadBytes, never has a
// body, and never a value that decodes to a line break.

#include <cstddef>
#include <string>
#include <string_view>

namespace mmx {

// httplib's own limit for the request line (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH).
inline constexpr std::size_t kMaxRequestLineBytes = 8192;
inline constexpr std::size_t kMaxHeaderLineBytes = 8192;
// The whole head, request line and empty line included. A browser's head is
// well under 2 KiB; Prometheus's under 300 bytes.
inline constexpr std::size_t kMaxHeadBytes = 16384;
inline constexpr std::size_t kMaxHeaderFields = 64;

struct HeadScan {
  enum class State {
    kIncomplete,  // no end of head yet, and nothing over a limit
    kComplete,    // `length` bytes are a whole head that passed every check
    kRejected,    // answer `status` with `reason`, then close
  };
  State state = State::kIncomplete;
  std::size_t length = 0;
  int status = 0;
  std::string_view reason;
};

// Follows the bytes received so far on a connection (the head may be
// followed by the start of a pipelined request). Checks each line's length
// as soon as it is seen, so a line that is too long is rejected before it
// ends; a complete head is then checked as a whole (check_request_head).
// Lines already seen are not looked at again, so a head that arrives a
// byte at a time costs linear time.
class HeadScanner {
 public:
  // `received` is everything since the start of this request: what the
  // previous call saw, plus what has arrived since.
  HeadScan scan(std::string_view received);
  // For the next request on the connection.
  void reset() { *this = HeadScanner(); }

 private:
  std::size_t line_start_ = 0;
  bool first_line_ = true;
};

// One whole buffer at once.
HeadScan scan_request_head(std::string_view received);

// The checks on a complete head (ending in an empty line). Status 0 when it
// may be served, else the status to answer with and why.
struct HeadVerdict {
  int status = 0;
  std::string_view reason;
};
HeadVerdict check_request_head(std::string_view head);

// "431 Request Header Fields Too Large" and friends.
std::string_view status_text(int status);

}  // namespace mmx
