#pragma once
// The OpenSSL server context of a web config's tls_server_config: built once,
// before the sandbox, from the PEM bytes the config loaded. The HTTP server
// makes an SSL per connection from it (SSL_new, SSL_set_fd, SSL_accept).

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "expected.h"
#include "web_config.h"

namespace mmx {

struct SslCtxFree {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxFree>;

// Certificate chain and key (checked to match), client CA and verify mode
// per client_auth_type, protocol versions, TLS 1.2 suites, curves, ALPN
// "http/1.1". The error is "<field>: <problem>".
[[nodiscard]] Expected<SslCtxPtr> make_tls_context(const TlsServerConfig& config);

// For a connection whose handshake finished: whether the client presented a
// certificate that verified against the client CA. False for
// RequestClientCert and RequireAnyClientCert, which take any certificate.
bool client_certificate_verified(const SSL* ssl);

}  // namespace mmx
