#include "request_head.h"

#include <array>
#include <cctype>

#include "http_text.h"

namespace mmx {
namespace {

bool is_token_char(unsigned char c) {
  // RFC 9110 tchar.
  if (std::isalnum(c) != 0) return true;
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
}

// A line without its terminator: "\n", or "\r\n" as httplib also accepts.
std::string_view without_cr(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

HeadVerdict reject(int status, std::string_view reason) {
  return {status, reason};
}

HeadVerdict check_request_line(std::string_view line) {
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (first == 0 || second == std::string_view::npos || second == first + 1 ||
      line.find(' ', second + 1) != std::string_view::npos) {
    return reject(400, "malformed request line");
  }
  for (char c : line.substr(0, first)) {
    if (!is_token_char(static_cast<unsigned char>(c))) return reject(400, "malformed method");
  }
  for (char c : line.substr(first + 1, second - first - 1)) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return reject(400, "control character in the request target");
  }
  const std::string_view version = line.substr(second + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return reject(505, "only HTTP/1.0 and HTTP/1.1 are served");
  }
  return {};
}

// httplib decodes %XX in header values (up to 0.11.4 at least): a value that
// would decode to a line break or NUL is refused before it can.
bool has_encoded_control(std::string_view value) {
  for (std::size_t i = 0; i + 2 < value.size(); ++i) {
    if (value[i] != '%') continue;
    const char hi = value[i + 1];
    const char lo = static_cast<char>(std::tolower(static_cast<unsigned char>(value[i + 2])));
    if (hi == '0' && (lo == '0' || lo == 'a' || lo == 'd')) return true;
  }
  return false;
}

// Header names httplib sets itself after parsing; a client's copy would
// come first in the multimap and shadow the server's value.
constexpr std::array<std::string_view, 4> kServerSetNames = {"REMOTE_ADDR", "REMOTE_PORT",
                                                             "LOCAL_ADDR", "LOCAL_PORT"};

HeadVerdict check_header_line(std::string_view line, unsigned& content_lengths) {
  if (line.front() == ' ' || line.front() == '\t') {
    return reject(400, "obsolete line folding in a header");
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return reject(400, "malformed header");
  const std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!is_token_char(static_cast<unsigned char>(c))) {
      return reject(400, "malformed header name");
    }
  }
  const std::string_view value = trim_blanks(line.substr(colon + 1));
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && u != '\t') || u == 0x7f) return reject(400, "control character in a header");
  }
  if (has_encoded_control(value)) return reject(400, "encoded control character in a header");
  for (std::string_view reserved : kServerSetNames) {
    if (equals_ignoring_case(name, reserved)) return reject(400, "reserved header name");
  }
  // Requests carry no body here; refusing every way of announcing one also
  // refuses every way of smuggling one past a proxy.
  if (equals_ignoring_case(name, "Transfer-Encoding"))
    return reject(400, "request bodies are not accepted");
  if (equals_ignoring_case(name, "Content-Encoding"))
    return reject(400, "request bodies are not accepted");
  if (equals_ignoring_case(name, "Content-Length")) {
    if (++content_lengths > 1) return reject(400, "more than one Content-Length");
    if (value != "0") return reject(400, "request bodies are not accepted");
  }
  if (equals_ignoring_case(name, "Expect")) return reject(417, "no request body is expected");
  return {};
}

}  // namespace

HeadVerdict check_request_head(std::string_view head) {
  std::size_t line_end = head.find('\n');
  if (line_end == std::string_view::npos) return reject(400, "malformed request line");
  if (HeadVerdict v = check_request_line(without_cr(head.substr(0, line_end))); v.status != 0) {
    return v;
  }
  unsigned content_lengths = 0;
  std::size_t fields = 0;
  std::size_t start = line_end + 1;
  while (start < head.size()) {
    line_end = head.find('\n', start);
    if (line_end == std::string_view::npos) return reject(400, "malformed header");
    const std::string_view line = without_cr(head.substr(start, line_end - start));
    start = line_end + 1;
    if (line.empty()) return start == head.size() ? HeadVerdict{} : reject(400, "malformed head");
    if (++fields > kMaxHeaderFields) return reject(431, "too many header fields");
    if (HeadVerdict v = check_header_line(line, content_lengths); v.status != 0) return v;
  }
  return reject(400, "malformed head");
}

HeadScan scan_request_head(std::string_view received) {
  return HeadScanner().scan(received);
}

HeadScan HeadScanner::scan(std::string_view received) {
  HeadScan scan;
  std::size_t& start = line_start_;
  bool& first = first_line_;
  while (true) {
    const std::size_t limit = first ? kMaxRequestLineBytes : kMaxHeaderLineBytes;
    const std::size_t end = received.find('\n', start);
    const std::size_t length = (end == std::string_view::npos ? received.size() : end) - start;
    // The terminator is not counted: a line of exactly the limit passes.
    if (without_cr(received.substr(start, length)).size() > limit) {
      scan.state = HeadScan::State::kRejected;
      scan.status = first ? 414 : 431;
      scan.reason = first ? "request line too long" : "header line too long";
      return scan;
    }
    if (end == std::string_view::npos) break;
    if (end + 1 > kMaxHeadBytes) break;
    const bool empty = without_cr(received.substr(start, length)).empty();
    start = end + 1;
    if (empty && !first) {
      const HeadVerdict verdict = check_request_head(received.substr(0, start));
      if (verdict.status != 0) {
        scan.state = HeadScan::State::kRejected;
        scan.status = verdict.status;
        scan.reason = verdict.reason;
      } else {
        scan.state = HeadScan::State::kComplete;
        scan.length = start;
      }
      return scan;
    }
    if (empty) {
      // An empty first line: RFC 9112 lets a server ignore CRLFs sent
      // before a request, but nothing needs them; refuse rather than guess.
      scan.state = HeadScan::State::kRejected;
      scan.status = 400;
      scan.reason = "empty request line";
      return scan;
    }
    first = false;
  }
  if (received.size() >= kMaxHeadBytes) {
    scan.state = HeadScan::State::kRejected;
    scan.status = 431;
    scan.reason = "request head too large";
  }
  return scan;
}

std::string_view status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 414:
      return "URI Too Long";
    case 417:
      return "Expectation Failed";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

}  // namespace mmx
