#pragma once
// The HTTP/1.1 of the frontend's own: a request parsed from a head that
// request_head.h already screened (so it is complete, within limits, with
// no body and no line break hidden in it), and the head of the response.
//
// Everything else a general server needs is refused before it gets here:
// bodies, Transfer-Encoding, Expect, Range. What is left is small enough to
// own, and owning it keeps cpp-httplib (and the OpenSSL initialisation it
// runs when it is loaded) out of the process that faces the network.

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmx {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string_view method;
  std::string_view target;   // as sent: path and query
  std::string path;          // the target's path, percent-decoded
  std::string_view version;  // "HTTP/1.1" or "HTTP/1.0"
  // The header fields, values without the whitespace around them.
  std::vector<std::pair<std::string_view, std::string_view>> fields;

  // The first field of this name (any case); "" when there is none.
  std::string_view header(std::string_view name) const;
  // Whether the client lets the connection carry another request: HTTP/1.1
  // unless "Connection: close", HTTP/1.0 only with "Connection: keep-alive".
  bool keep_alive() const;
};

// Views into `head`, which must outlive the request. Null when the head does
// not parse, which a head that passed check_request_head() always does.
std::optional<HttpRequest> parse_request(std::string_view head);

struct HttpResponse {
  int status = 200;
  // Besides Content-Type, Content-Length and Connection, which
  // response_head() writes.
  HeaderList headers;
  std::string content_type;
  // The body: `shared` (kept alive by `owner`, a cache's), then `body`.
  std::shared_ptr<const void> owner;
  std::string_view shared;
  std::string body;

  std::size_t body_size() const { return shared.size() + body.size(); }
  void set_text(int code, std::string text, std::string_view type);
};

// What a connection that stays open is told ("Keep-Alive: timeout=...,
// max=...").
struct KeepAlive {
  long idle_seconds = 0;
  std::size_t max_requests = 0;
};

// The status line and the header fields: `common` (every response's), the
// response's own, Content-Type, Content-Length, and whether the connection
// stays open (with `keep_alive`) or closes (without).
std::string response_head(const HttpResponse& response, const HeaderList& common,
                          std::optional<KeepAlive> keep_alive);

}  // namespace mmx
