#pragma once
// Certificates made in memory for the TLS tests (EC P-256, valid from an
// hour ago for a day), and a TLS handshake over a socketpair in one thread.

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <utility>

namespace mmx::test {

struct KeyPair {
  std::string cert_pem;
  std::string key_pem;
};

// A self-signed CA.
KeyPair make_ca(const std::string& name);
// A certificate for `name` (also its DNS subjectAltName) signed by `issuer`;
// `is_ca` makes an intermediate.
KeyPair make_cert(const std::string& name, const KeyPair& issuer, bool is_ca = false);

struct HandshakeResult {
  bool ok = false;
  std::string error;             // the side that failed, and OpenSSL's reason
  std::string alpn;              // protocol the server selected, if any
  std::string cipher;            // negotiated suite (OpenSSL name)
  std::string version;           // "TLSv1.3"
  bool client_verified = false;  // client_certificate_verified() on the server side
};

struct ClientOptions {
  std::string trusted_ca_pem;  // "" : the client does not verify the server
  const KeyPair* certificate = nullptr;
  int max_version = 0;  // 0: OpenSSL's default
  int min_version = 0;
  std::string cipher_list;  // TLS 1.2 suites, "" default
  bool offer_alpn = true;   // offers h2 and http/1.1
};

// Runs both ends of a handshake against `server_ctx` over a socketpair, then
// one byte each way, so a client certificate rejected after the TLS 1.3
// handshake shows too.
HandshakeResult handshake(SSL_CTX* server_ctx, const ClientOptions& client);
// The same over a connected, non-blocking pair of sockets made beforehand.
HandshakeResult handshake_on(SSL_CTX* server_ctx, const ClientOptions& client, int server_fd,
                             int client_fd);

}  // namespace mmx::test
