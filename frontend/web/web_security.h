#pragma once
// What --web.config.file, --web.route-prefix and --web.external-url add to
// the HTTP server, loaded whole before the sandbox: the TLS context (keys in
// memory), the basic auth checker, the extra response headers and the path
// prefix. The server only reads it; one instance is shared by all threads.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "basic_auth.h"
#include "expected.h"
#include "tls_context.h"
#include "web_route.h"

namespace mmx {

struct WebSecurity {
  SslCtxPtr tls;                                // null: plain HTTP
  std::unique_ptr<const BasicAuth> basic_auth;  // null: no authentication
  // http_server_config.headers: added to every response, sorted by name.
  std::vector<std::pair<std::string, std::string>> headers;
  // "" for the root, else "/mm": starts with "/", no trailing "/".
  std::string route_prefix;
  // --web.external-url, normalised; "" when not given.
  std::string external_url;
  // Settings accepted without effect (http2), for the log.
  std::vector<std::string> notes;
};

// Loads `config_file` ("" for none: plain HTTP, no auth), reading every file
// it names, and builds the TLS context. The error is
// "<file>: <field>: <problem>".
[[nodiscard]] Expected<std::shared_ptr<const WebSecurity>> load_web_security(
    const std::string& config_file, const WebRoute& route);

}  // namespace mmx
