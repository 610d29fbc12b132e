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

// The methods of RFC 9110 and RFC 5789 (PATCH): 405 on our paths. Any
// other is not implemented (501), rather than the 400 httplib would give.
constexpr std::array<std::string_view, 9> kKnownMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

bool is_known_method(std::string_view method) {
  for (std::string_view known : kKnownMethods) {
    if (method == known) return true;
  }
  return false;
}

// "HTTP/" DIGIT "." DIGIT (RFC 9112 2.3).
bool is_well_formed_version(std::string_view version) {
  return version.size() == 8 && version.substr(0, 5) == "HTTP/" &&
         std::isdigit(static_cast<unsigned char>(version[5])) != 0 && version[6] == '.' &&
         std::isdigit(static_cast<unsigned char>(version[7])) != 0;
}

// "http://" or "https://" in any case: the length of the scheme and "://",
// 0 when the target is not in absolute-form.
std::size_t absolute_form_prefix(std::string_view target) {
  for (std::string_view scheme : {std::string_view("http://"), std::string_view("https://")}) {
    if (target.size() >= scheme.size() &&
        equals_ignoring_case(target.substr(0, scheme.size()), scheme)) {
      return scheme.size();
    }
  }
  return 0;
}

// The target without an absolute-form's scheme and authority (RFC 9112
// 3.2.2: the authority is the target's; what routes is the rest): "/x?q",
// "?q" or "" for "http://host?q" and "http://host".
std::string_view without_authority(std::string_view target) {
  const std::size_t prefix = absolute_form_prefix(target);
  if (prefix == 0) return target;
  const std::size_t rest = target.find_first_of("/?", prefix);
  return rest == std::string_view::npos ? std::string_view() : target.substr(rest);
}

// The request-target forms of RFC 9112 3.2 this server can route: origin
// ("/metrics"), absolute ("http://host/metrics"), asterisk ("*", OPTIONS'),
// and authority ("host:443", CONNECT's, answered 405 or 404).
bool is_routable_target(std::string_view method, std::string_view target) {
  if (target.front() == '/') return true;
  if (const std::size_t prefix = absolute_form_prefix(target); prefix != 0) {
    // An authority, then nothing or a path or query.
    const std::size_t end = target.find_first_of("/?", prefix);
    return end != prefix;
  }
  return target == "*" || method == "CONNECT";
}

struct RequestLine {
  std::string_view method;
  std::string_view target;
  std::string_view version;
};

HeadVerdict check_request_line(std::string_view line, RequestLine& parsed) {
  const std::size_t first = line.find(' ');
  const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (first == 0 || second == std::string_view::npos || second == first + 1 ||
      line.find(' ', second + 1) != std::string_view::npos) {
    return reject(400, "malformed request line");
  }
  parsed = {line.substr(0, first), line.substr(first + 1, second - first - 1),
            line.substr(second + 1)};
  for (char c : parsed.method) {
    if (!is_token_char(static_cast<unsigned char>(c))) return reject(400, "malformed method");
  }
  for (char c : parsed.target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return reject(400, "control character in the request target");
  }
  if (!is_well_formed_version(parsed.version)) return reject(400, "malformed HTTP version");
  if (parsed.version != "HTTP/1.1" && parsed.version != "HTTP/1.0") {
    return reject(505, "only HTTP/1.0 and HTTP/1.1 are served");
  }
  if (!is_known_method(parsed.method)) return reject(501, "method not implemented");
  if (!is_routable_target(parsed.method, parsed.target)) {
    return reject(400, "malformed request target");
  }
  return {};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The value of `digits` hex digits at `at`, or -1.
int hex_number(std::string_view text, std::size_t at, std::size_t digits) {
  if (at + digits > text.size()) return -1;
  int value = 0;
  for (std::size_t i = at; i < at + digits; ++i) {
    const int digit = hex_value(text[i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

bool is_control(int c) {
  return (c >= 0 && c < 0x20) || c == 0x7f;
}

// httplib decodes %XX and %uXXXX in header values (0.11.4's decode_url): a
// value that would decode to a control character (a line break, NUL) is
// refused before it can.
bool has_encoded_control(std::string_view value) {
  for (std::size_t i = 0; i + 1 < value.size(); ++i) {
    if (value[i] != '%') continue;
    const bool unicode = value[i + 1] == 'u';
    if (is_control(unicode ? hex_number(value, i + 2, 4) : hex_number(value, i + 1, 2))) {
      return true;
    }
  }
  return false;
}

// Header names httplib sets itself after parsing; a client's copy would
// come first in the multimap and shadow the server's value.
constexpr std::array<std::string_view, 4> kServerSetNames = {"REMOTE_ADDR", "REMOTE_PORT",
                                                             "LOCAL_ADDR", "LOCAL_PORT"};

struct FieldCounts {
  unsigned content_length = 0;
  unsigned host = 0;
};

HeadVerdict check_header_line(std::string_view line, const RequestLine& request,
                              FieldCounts& counts) {
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
    if (is_control(static_cast<unsigned char>(c)) && c != '\t') {
      return reject(400, "control character in a header");
    }
  }
  if (has_encoded_control(value)) return reject(400, "encoded control character in a header");
  for (std::string_view reserved : kServerSetNames) {
    if (equals_ignoring_case(name, reserved)) return reject(400, "reserved header name");
  }
  if (equals_ignoring_case(name, "Host") && ++counts.host > 1) {
    return reject(400, "more than one Host");
  }
  // Requests carry no body here; refusing every way of announcing one also
  // refuses every way of smuggling one past a proxy.
  if (equals_ignoring_case(name, "Transfer-Encoding"))
    return reject(400, "request bodies are not accepted");
  if (equals_ignoring_case(name, "Content-Encoding"))
    return reject(400, "request bodies are not accepted");
  if (equals_ignoring_case(name, "Content-Length")) {
    if (++counts.content_length > 1) return reject(400, "more than one Content-Length");
    if (value != "0") return reject(400, "request bodies are not accepted");
  }
  // HTTP/1.0 has no 100-continue: its Expect is ignored (RFC 9110 10.1.1),
  // and library_head() keeps it from httplib.
  if (equals_ignoring_case(name, "Expect") && request.version == "HTTP/1.1") {
    return reject(417, "no request body is expected");
  }
  return {};
}

// Calls `each(line, terminated_line)` for every header line of a checked
// head, without and with its terminator, up to the empty line.
template <typename Each>
void for_each_header_line(std::string_view head, Each each) {
  std::size_t start = head.find('\n') + 1;
  while (start < head.size()) {
    const std::size_t end = head.find('\n', start);
    const std::string_view line = without_cr(head.substr(start, end - start));
    if (line.empty()) return;
    each(line, head.substr(start, end + 1 - start));
    start = end + 1;
  }
}

std::string_view field_name(std::string_view line) {
  return line.substr(0, line.find(':'));
}

}  // namespace

HeadVerdict check_request_head(std::string_view head) {
  std::size_t line_end = head.find('\n');
  if (line_end == std::string_view::npos) return reject(400, "malformed request line");
  RequestLine request;
  if (HeadVerdict v = check_request_line(without_cr(head.substr(0, line_end)), request);
      v.status != 0) {
    return v;
  }
  FieldCounts counts;
  std::size_t fields = 0;
  std::size_t start = line_end + 1;
  while (start < head.size()) {
    line_end = head.find('\n', start);
    if (line_end == std::string_view::npos) return reject(400, "malformed header");
    const std::string_view line = without_cr(head.substr(start, line_end - start));
    start = line_end + 1;
    if (line.empty()) {
      if (start != head.size()) return reject(400, "malformed head");
      // RFC 9112 3.2: a server responds 400 to an HTTP/1.1 request
      // without Host.
      if (counts.host == 0 && request.version == "HTTP/1.1") return reject(400, "missing Host");
      return {};
    }
    if (++fields > kMaxHeaderFields) return reject(431, "too many header fields");
    if (HeadVerdict v = check_header_line(line, request, counts); v.status != 0) return v;
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
      scan.begin = begin_;
      return scan;
    }
    if (end == std::string_view::npos) break;
    if (end + 1 > kMaxHeadBytes) break;
    const bool empty = without_cr(received.substr(start, length)).empty();
    start = end + 1;
    if (empty && first) {
      // Before the request line (a client's CRLF after a previous body):
      // skipped, within the head's bound.
      begin_ = start;
      continue;
    }
    if (empty) {
      const HeadVerdict verdict = check_request_head(received.substr(begin_, start - begin_));
      if (verdict.status != 0) {
        scan.state = HeadScan::State::kRejected;
        scan.status = verdict.status;
        scan.reason = verdict.reason;
      } else {
        scan.state = HeadScan::State::kComplete;
        scan.length = start;
      }
      scan.begin = begin_;
      return scan;
    }
    first = false;
  }
  if (received.size() >= kMaxHeadBytes) {
    scan.state = HeadScan::State::kRejected;
    scan.status = 431;
    scan.reason = "request head too large";
  }
  scan.begin = begin_;
  return scan;
}

std::optional<std::string> library_head(std::string_view head) {
  const std::size_t line_end = head.find('\n');
  const std::string_view line = without_cr(head.substr(0, line_end));
  const std::size_t first = line.find(' ');
  const std::size_t second = line.find(' ', first + 1);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const bool http10 = line.substr(second + 1) == "HTTP/1.0";

  // httplib compares Connection's whole first value, with case: "close",
  // and on HTTP/1.0 "Keep-Alive". The tokens of every Connection field
  // (any case, RFC 9110 7.6.1) become that one value.
  bool close = false;
  bool keep_alive = false;
  unsigned connection_fields = 0;
  std::string_view connection_value;
  // httplib skips a header line that ends in a bare LF (and refuses such a
  // request line), where the screening saw a field: it gets CRLFs.
  bool rewrite = absolute_form_prefix(target) != 0 || line_end == 0 || head[line_end - 1] != '\r';
  for_each_header_line(head, [&](std::string_view field, std::string_view terminated) {
    rewrite = rewrite || terminated.size() < field.size() + 2;
    const std::string_view name = field_name(field);
    if (equals_ignoring_case(name, "Connection")) {
      ++connection_fields;
      connection_value = trim_blanks(field.substr(name.size() + 1));
      for_each_list_element(connection_value, [&](std::string_view token) {
        close = close || equals_ignoring_case(token, "close");
        keep_alive = keep_alive || equals_ignoring_case(token, "keep-alive");
      });
    }
    rewrite = rewrite || equals_ignoring_case(name, "Range") ||
              (http10 && equals_ignoring_case(name, "Expect"));
  });
  // HTTP/1.0 closes unless asked not to: said, so that httplib's answer
  // says "Connection: close" rather than offering a keep-alive it won't do.
  const std::string_view connection = close        ? "close"
                                      : keep_alive ? "Keep-Alive"
                                      : http10     ? "close"
                                                   : "";
  rewrite = rewrite || connection_fields > 1 ||
            (connection_fields == 1 && connection_value != connection) ||
            (connection_fields == 0 && !connection.empty());
  if (!rewrite) return std::nullopt;

  std::string out;
  out.reserve(head.size());
  out.append(line.substr(0, first + 1));
  const std::string_view origin = without_authority(target);
  if (origin.empty() || origin.front() == '?') out += '/';
  out.append(origin);
  out.append(line.substr(second));
  out += "\r\n";
  for_each_header_line(head, [&](std::string_view field, std::string_view) {
    const std::string_view name = field_name(field);
    if (equals_ignoring_case(name, "Range") || equals_ignoring_case(name, "Connection")) return;
    if (http10 && equals_ignoring_case(name, "Expect")) return;
    out.append(field).append("\r\n");
  });
  if (!connection.empty()) {
    out.append("Connection: ").append(connection).append("\r\n");
  }
  out += "\r\n";
  return out;
}

std::string_view request_path(std::string_view head) {
  std::string_view target = head.substr(head.find(' ') + 1);
  target = without_authority(target.substr(0, target.find(' ')));
  target = target.substr(0, target.find('?'));
  return target.empty() ? std::string_view("/") : target;
}

std::string_view request_method(std::string_view received) {
  const std::size_t space = received.find(' ');
  return space == std::string_view::npos ? std::string_view() : received.substr(0, space);
}

}  // namespace mmx
