#include "test_certs.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tls_context.h"
#include "unique_fd.h"

namespace mmx::test {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using Bio = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using Ssl = std::unique_ptr<SSL, Deleter<SSL, SSL_free>>;
using Ctx = std::unique_ptr<SSL_CTX, Deleter<SSL_CTX, SSL_CTX_free>>;

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Pkey read_key(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
}

Cert read_cert(const std::string& pem) {
  Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  return Cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

KeyPair issue(const std::string& name, X509* issuer, EVP_PKEY* issuer_key, bool is_ca) {
  static long serial = 1;
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  REQUIRE(key);
  Cert cert(X509_new());
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(cert.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509* signer = issuer != nullptr ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  if (is_ca) {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    add_extension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(cert.get(), signer, NID_subject_alt_name, ("DNS:" + name).c_str());
  }
  REQUIRE(X509_sign(cert.get(), issuer_key != nullptr ? issuer_key : key.get(), EVP_sha256()) > 0);
  Bio cert_bio(BIO_new(BIO_s_mem()));
  Bio key_bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(cert_bio.get(), cert.get());
  PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  return {bio_text(cert_bio.get()), bio_text(key_bio.get())};
}

std::string ssl_error(const char* side, SSL* ssl, int rc) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char buffer[256] = "";
  if (code != 0) ERR_error_string_n(code, buffer, sizeof buffer);
  return std::string(side) + ": SSL_get_error " + std::to_string(SSL_get_error(ssl, rc)) + " " +
         buffer;
}

}  // namespace

KeyPair make_ca(const std::string& name) {
  return issue(name, nullptr, nullptr, true);
}

KeyPair make_cert(const std::string& name, const KeyPair& issuer, bool is_ca) {
  Cert issuer_cert = read_cert(issuer.cert_pem);
  Pkey issuer_key = read_key(issuer.key_pem);
  REQUIRE(issuer_cert);
  REQUIRE(issuer_key);
  return issue(name, issuer_cert.get(), issuer_key.get(), is_ca);
}

HandshakeResult handshake(SSL_CTX* server_ctx, const ClientOptions& options) {
  int fds[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
  UniqueFd server_fd(fds[0]);
  UniqueFd client_fd(fds[1]);
  return handshake_on(server_ctx, options, server_fd.get(), client_fd.get());
}

HandshakeResult handshake_on(SSL_CTX* server_ctx, const ClientOptions& options, int server_fd,
                             int client_fd) {
  HandshakeResult result;
  Ctx client_ctx(SSL_CTX_new(TLS_client_method()));
  REQUIRE(client_ctx);
  if (!options.trusted_ca_pem.empty()) {
    Cert ca = read_cert(options.trusted_ca_pem);
    X509_STORE_add_cert(SSL_CTX_get_cert_store(client_ctx.get()), ca.get());
    SSL_CTX_set_verify(client_ctx.get(), SSL_VERIFY_PEER, nullptr);
  }
  if (options.certificate != nullptr) {
    Cert cert = read_cert(options.certificate->cert_pem);
    Pkey key = read_key(options.certificate->key_pem);
    REQUIRE(SSL_CTX_use_certificate(client_ctx.get(), cert.get()) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(client_ctx.get(), key.get()) == 1);
  }
  if (options.min_version != 0)
    SSL_CTX_set_min_proto_version(client_ctx.get(), options.min_version);
  if (options.max_version != 0)
    SSL_CTX_set_max_proto_version(client_ctx.get(), options.max_version);
  if (options.max_version != 0 && options.max_version < TLS1_2_VERSION) {
    SSL_CTX_set_security_level(client_ctx.get(), 0);
  }
  if (!options.cipher_list.empty()) {
    REQUIRE(SSL_CTX_set_cipher_list(client_ctx.get(), options.cipher_list.c_str()) == 1);
  }
  if (options.offer_alpn) {
    static const unsigned char kProtos[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(client_ctx.get(), kProtos, sizeof kProtos);
  }

  Ssl server(SSL_new(server_ctx));
  Ssl client(SSL_new(client_ctx.get()));
  SSL_set_fd(server.get(), server_fd);
  SSL_set_fd(client.get(), client_fd);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());

  bool server_done = false;
  bool client_done = false;
  for (int round = 0; round < 100 && !(server_done && client_done); ++round) {
    if (!client_done) {
      const int rc = SSL_do_handshake(client.get());
      if (rc == 1) {
        client_done = true;
      } else if (SSL_get_error(client.get(), rc) != SSL_ERROR_WANT_READ) {
        result.error = ssl_error("client", client.get(), rc);
        return result;
      }
    }
    if (!server_done) {
      const int rc = SSL_do_handshake(server.get());
      if (rc == 1) {
        server_done = true;
      } else if (SSL_get_error(server.get(), rc) != SSL_ERROR_WANT_READ) {
        result.error = ssl_error("server", server.get(), rc);
        return result;
      }
    }
  }
  if (!(server_done && client_done)) {
    result.error = "handshake did not finish";
    return result;
  }
  // A byte each way: under TLS 1.3 the server judges the client's
  // certificate after the client considers the handshake done.
  char byte = 'x';
  if (SSL_write(client.get(), &byte, 1) != 1) {
    result.error = ssl_error("client write", client.get(), 0);
    return result;
  }
  bool got = false;
  for (int round = 0; round < 10 && !got; ++round) {
    const int rc = SSL_read(server.get(), &byte, 1);
    if (rc == 1) {
      got = true;
    } else if (SSL_get_error(server.get(), rc) != SSL_ERROR_WANT_READ) {
      result.error = ssl_error("server read", server.get(), rc);
      return result;
    }
  }
  if (SSL_write(server.get(), &byte, 1) != 1) {
    result.error = ssl_error("server write", server.get(), 0);
    return result;
  }
  got = false;
  for (int round = 0; round < 10 && !got; ++round) {
    const int rc = SSL_read(client.get(), &byte, 1);
    if (rc == 1) {
      got = true;
    } else if (SSL_get_error(client.get(), rc) != SSL_ERROR_WANT_READ) {
      result.error = ssl_error("client read", client.get(), rc);
      return result;
    }
  }
  if (!got) {
    result.error = "no byte from the server";
    return result;
  }
  result.ok = true;
  const unsigned char* alpn = nullptr;
  unsigned alpn_length = 0;
  SSL_get0_alpn_selected(server.get(), &alpn, &alpn_length);
  if (alpn != nullptr) result.alpn.assign(reinterpret_cast<const char*>(alpn), alpn_length);
  result.cipher = SSL_get_cipher_name(server.get());
  result.version = SSL_get_version(server.get());
  result.client_verified = client_certificate_verified(server.get());
  return result;
}

}  // namespace mmx::test
