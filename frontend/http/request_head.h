#pragma once
// Screening of an HTTP request head before cpp-httplib parses it.
//
// cpp-httplib 0.11.4 (Debian 12's) grows a line without bound before it
// checks its length, reads chunked and compressed bodies, percent-decodes
// header values (%XX and %uXXXX), lets a client's REMOTE_ADDR header shadow
// the real one, parses Range with a recursive std::regex and answers an
// unknown method with 400. None of that is reached: httplib is handed only
// a head that passed these checks, at most kMaxHeadBytes, without a body,
// and rewritten by library_head() where it would otherwise misread it.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace mmx {

// httplib's own limit for the request line (CPPHTTPLIB_REQUEST_URI_MAX_LENGTH).
inline constexpr std::size_t kMaxRequestLineBytes = 8192;
inline constexpr std::size_t kMaxHeaderLineBytes = 8192;
// The whole head, request line, empty lines before it and the empty line
// after it included. A browser's head is well under 2 KiB; Prometheus's
// under 300 bytes.
inline constexpr std::size_t kMaxHeadBytes = 16384;
inline constexpr std::size_t kMaxHeaderFields = 64;

struct HeadScan {
  enum class State {
    kIncomplete,  // no end of head yet, and nothing over a limit
    kComplete,    // bytes [begin, length) are a whole head that passed every check
    kRejected,    // answer `status` with `reason`, then close
  };
  State state = State::kIncomplete;
  // Where the request line starts: empty lines before it are skipped, as
  // RFC 9112 2.2 asks of a server.
  std::size_t begin = 0;
  // Where the head ends (the next request's first byte).
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
  std::size_t begin_ = 0;
  std::size_t line_start_ = 0;
  bool first_line_ = true;
};

// One whole buffer at once.
HeadScan scan_request_head(std::string_view received);

// The checks on a complete head (request line to empty line). Status 0 when
// it may be served, else the status to answer with and why.
struct HeadVerdict {
  int status = 0;
  std::string_view reason;
};
HeadVerdict check_request_head(std::string_view head);

// The head as httplib is to read it, when that differs from `head` (one
// that passed check_request_head): without Range (whole bodies only, and
// httplib's regex never runs), without Expect on HTTP/1.0 (which has no
// 100-continue), with an absolute-form target ("http://host/metrics") in
// origin-form, which is all httplib routes, with CRLF line ends (httplib
// skips a field that ends in a bare LF), and with Connection's tokens as
// the one value httplib compares.
std::optional<std::string> library_head(std::string_view head);

// The path a head that passed check_request_head() is routed by, as sent
// (not percent-decoded): its target without an absolute-form's scheme and
// authority, and without the query.
std::string_view request_path(std::string_view head);

// The method of a head, or of the start of one: "HEAD", "GET", ... ("" when
// no space has arrived yet). A refusal of HEAD has no body.
std::string_view request_method(std::string_view received);

}  // namespace mmx
