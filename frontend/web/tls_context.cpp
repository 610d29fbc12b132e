#include "tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cstdint>
#include <string_view>
#include <vector>

namespace mmx {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

// OpenSSL's reason for the oldest error queued by this thread, and an empty
// queue for whoever comes next.
std::string openssl_error() {
  const unsigned long code = ERR_peek_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  if (const char* reason = ERR_reason_error_string(code)) return reason;
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

// Never prompt on a terminal for a passphrase: a protected key is an error.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

BioPtr memory_bio(std::string_view bytes) {
  return BioPtr(BIO_new_mem_buf(bytes.data(), static_cast<int>(bytes.size())));
}

// Every certificate of a PEM text: at least one, none broken.
Expected<std::vector<X509Ptr>> read_certificates(std::string_view pem) {
  BioPtr bio = memory_bio(pem);
  if (!bio) return fail(openssl_error());
  std::vector<X509Ptr> certificates;
  for (;;) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, no_passphrase, nullptr));
    if (!cert) break;
    certificates.push_back(std::move(cert));
  }
  // Running out of PEM blocks ends the loop with "no start line": the only
  // error that is not one.
  const unsigned long last = ERR_peek_last_error();
  if (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM &&
                     ERR_GET_REASON(last) == PEM_R_NO_START_LINE && !certificates.empty())) {
    if (!certificates.empty()) return fail(openssl_error());
    ERR_clear_error();
    return fail("no PEM certificate in it");
  }
  ERR_clear_error();
  return certificates;
}

int accept_any_certificate(int, X509_STORE_CTX*) {
  return 1;
}

int select_http11(SSL*, const unsigned char** out, unsigned char* out_length,
                  const unsigned char* offered, unsigned int offered_length, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_length, kHttp11, sizeof kHttp11, offered,
                            offered_length) != OPENSSL_NPN_NEGOTIATED) {
    // A client offering only h2 goes on without ALPN, and speaks HTTP/1.1.
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

std::string field(std::string_view origin) {
  return "tls_server_config." + std::string(origin);
}

// The leaf certificate, then the rest of the chain.
Expected<> use_certificate_chain(SSL_CTX* ctx, const TlsServerConfig& config) {
  auto chain = read_certificates(config.cert_pem);
  if (!chain) return fail(field(config.cert_origin) + ": " + chain.error());
  if (SSL_CTX_use_certificate(ctx, chain->front().get()) != 1) {
    return fail(field(config.cert_origin) + ": " + openssl_error());
  }
  for (std::size_t i = 1; i < chain->size(); ++i) {
    if (SSL_CTX_add1_chain_cert(ctx, (*chain)[i].get()) != 1) {
      return fail(field(config.cert_origin) + ": certificate " + std::to_string(i + 1) +
                  " of the chain: " + openssl_error());
    }
  }
  return {};
}

// The private key, checked to match the certificate already set.
Expected<> use_private_key(SSL_CTX* ctx, const TlsServerConfig& config) {
  BioPtr bio = memory_bio(std::string_view(config.key_pem.data(), config.key_pem.size()));
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr);
  if (!key) {
    return fail(field(config.key_origin) + ": no usable PEM private key in it (" + openssl_error() +
                "; a key with a passphrase is not supported)");
  }
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return fail(field(config.key_origin) + ": does not match the certificate of " +
                config.cert_origin);
  }
  return {};
}

// The CAs client certificates are verified against, if any.
Expected<> use_client_ca(SSL_CTX* ctx, const TlsServerConfig& config) {
  if (config.client_ca_pem.empty()) return {};
  auto cas = read_certificates(config.client_ca_pem);
  if (!cas) return fail(field(config.client_ca_origin) + ": " + cas.error());
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const X509Ptr& ca : *cas) {
    // The names go into the CertificateRequest, so clients pick the right
    // certificate.
    if (X509_STORE_add_cert(store, ca.get()) != 1 || SSL_CTX_add_client_CA(ctx, ca.get()) != 1) {
      return fail(field(config.client_ca_origin) + ": " + openssl_error());
    }
  }
  return {};
}

void set_client_auth(SSL_CTX* ctx, ClientAuth client_auth) {
  switch (client_auth) {
    case ClientAuth::kNoClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
      break;
    case ClientAuth::kRequestClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_certificate);
      break;
    case ClientAuth::kRequireAnyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                         accept_any_certificate);
      break;
    case ClientAuth::kVerifyClientCertIfGiven:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
      break;
    case ClientAuth::kRequireAndVerifyClientCert:
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
      break;
  }
  // Without a session id context, OpenSSL refuses to resume sessions of a
  // context that asks for client certificates.
  static constexpr unsigned char kSessionContext[] = "mm-exporter";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
}

std::string colon_list(const std::vector<std::string>& names) {
  std::string list;
  for (const auto& name : names) list += (list.empty() ? "" : ":") + name;
  return list;
}

// Protocol versions, TLS 1.2 suites and curves.
Expected<> set_protocols(SSL_CTX* ctx, const TlsServerConfig& config) {
  if (SSL_CTX_set_min_proto_version(ctx, static_cast<int>(config.min_version)) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, static_cast<int>(config.max_version)) != 1) {
    return fail("tls_server_config.min_version: " + openssl_error());
  }
  if (!config.cipher_suites.empty() &&
      SSL_CTX_set_cipher_list(ctx, colon_list(config.cipher_suites).c_str()) != 1) {
    return fail("tls_server_config.cipher_suites: this OpenSSL supports none of them (" +
                openssl_error() + ")");
  }
  if (!config.curves.empty() &&
      SSL_CTX_set1_groups_list(ctx, colon_list(config.curves).c_str()) != 1) {
    return fail("tls_server_config.curve_preferences: " + openssl_error());
  }
  return {};
}

}  // namespace

Expected<SslCtxPtr> make_tls_context(const TlsServerConfig& config) {
  ERR_clear_error();
  // Seeds OpenSSL's random generator now, while getrandom() and
  // /dev/urandom are within reach.
  unsigned char seed_probe = 0;
  if (RAND_bytes(&seed_probe, 1) != 1) {
    return fail("tls_server_config: OpenSSL's random generator: " + openssl_error());
  }
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) return fail("tls_server_config: " + openssl_error());
  // In this order: the key is checked against the certificate.
  for (auto step : {use_certificate_chain, use_private_key, use_client_ca}) {
    if (auto done = step(ctx.get(), config); !done) return fail(std::move(done.error()));
  }
  set_client_auth(ctx.get(), config.client_auth);
  if (auto done = set_protocols(ctx.get(), config); !done) return fail(std::move(done.error()));

  uint64_t options = SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION;
  if (config.prefer_server_cipher_suites) options |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  SSL_CTX_set_options(ctx.get(), options);
  SSL_CTX_set_alpn_select_cb(ctx.get(), select_http11, nullptr);
  ERR_clear_error();
  return ctx;
}

bool client_certificate_verified(const SSL* ssl) {
  return ssl != nullptr && SSL_get0_peer_certificate(ssl) != nullptr &&
         SSL_get_verify_result(ssl) == X509_V_OK;
}

}  // namespace mmx
