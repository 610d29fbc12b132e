#include <crypt.h>
#include <doctest/doctest.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "basic_auth.h"
#include "seccomp_filter.h"
#include "test_certs.h"
#include "test_support.h"
#include "tls_context.h"
#include "unique_fd.h"
#include "web_config.h"

namespace {

using mmx::ClientAuth;
using mmx::TlsServerConfig;
using mmx::test::ClientOptions;
using mmx::test::KeyPair;

struct Pki {
  KeyPair ca = mmx::test::make_ca("test CA");
  KeyPair server = mmx::test::make_cert("localhost", ca);
  KeyPair client = mmx::test::make_cert("scraper", ca);
  KeyPair other_ca = mmx::test::make_ca("other CA");
  KeyPair other_client = mmx::test::make_cert("stranger", other_ca);
};

const Pki& pki() {
  static const Pki instance;
  return instance;
}

TlsServerConfig server_config(const KeyPair& pair = pki().server) {
  TlsServerConfig config;
  config.enabled = true;
  config.cert_pem = pair.cert_pem;
  config.key_pem = mmx::SecretBytes(pair.key_pem);
  config.cert_origin = "cert_file (server.crt)";
  config.key_origin = "key_file (server.key)";
  return config;
}

mmx::SslCtxPtr build(const TlsServerConfig& config) {
  auto ctx = mmx::make_tls_context(config);
  REQUIRE_MESSAGE(ctx, (ctx ? "" : ctx.error()));
  return std::move(*ctx);
}

std::string build_error(const TlsServerConfig& config) {
  auto ctx = mmx::make_tls_context(config);
  CHECK_FALSE(ctx);
  return ctx ? "" : ctx.error();
}

ClientOptions trusting_ca() {
  ClientOptions options;
  options.trusted_ca_pem = pki().ca.cert_pem;
  return options;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("tls context: a client that trusts the CA completes the handshake, TLS 1.3, http/1.1") {
  auto ctx = build(server_config());
  auto result = mmx::test::handshake(ctx.get(), trusting_ca());
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.version == "TLSv1.3");
  CHECK(result.alpn == "http/1.1");
  CHECK_FALSE(result.client_verified);

  ClientOptions no_alpn = trusting_ca();
  no_alpn.offer_alpn = false;
  result = mmx::test::handshake(ctx.get(), no_alpn);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.alpn.empty());
}

TEST_CASE("tls context: a client that trusts another CA fails") {
  auto ctx = build(server_config());
  ClientOptions options;
  options.trusted_ca_pem = pki().other_ca.cert_pem;
  auto result = mmx::test::handshake(ctx.get(), options);
  CHECK_FALSE(result.ok);
  CHECK(contains(result.error, "client"));
}

TEST_CASE("tls context: the chain after the leaf is sent") {
  KeyPair intermediate = mmx::test::make_cert("intermediate", pki().ca, true);
  KeyPair leaf = mmx::test::make_cert("localhost", intermediate);
  KeyPair chained{leaf.cert_pem + intermediate.cert_pem, leaf.key_pem};
  auto ctx = build(server_config(chained));
  auto result = mmx::test::handshake(ctx.get(), trusting_ca());
  CHECK_MESSAGE(result.ok, result.error);

  // Without the intermediate the client cannot build the path.
  auto bare = build(server_config(leaf));
  CHECK_FALSE(mmx::test::handshake(bare.get(), trusting_ca()).ok);
}

TEST_CASE("tls context: TLS 1.1 is refused by default, TLS 1.2 accepted") {
  auto ctx = build(server_config());
  ClientOptions old = trusting_ca();
  old.min_version = TLS1_1_VERSION;
  old.max_version = TLS1_1_VERSION;
  CHECK_FALSE(mmx::test::handshake(ctx.get(), old).ok);

  ClientOptions tls12 = trusting_ca();
  tls12.max_version = TLS1_2_VERSION;
  auto result = mmx::test::handshake(ctx.get(), tls12);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.version == "TLSv1.2");
}

TEST_CASE("tls context: min_version TLS13 refuses TLS 1.2; max_version TLS12 caps") {
  auto config = server_config();
  config.min_version = mmx::TlsVersion::kTls13;
  auto ctx = build(config);
  ClientOptions tls12 = trusting_ca();
  tls12.max_version = TLS1_2_VERSION;
  CHECK_FALSE(mmx::test::handshake(ctx.get(), tls12).ok);

  auto capped_config = server_config();
  capped_config.max_version = mmx::TlsVersion::kTls12;
  auto capped = build(capped_config);
  auto result = mmx::test::handshake(capped.get(), trusting_ca());
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.version == "TLSv1.2");
}

TEST_CASE("tls context: cipher_suites limit TLS 1.2 and the server's order wins") {
  auto config = server_config();
  config.max_version = mmx::TlsVersion::kTls12;
  config.cipher_suites = {"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256"};
  auto ctx = build(config);
  ClientOptions client = trusting_ca();
  client.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
  auto result = mmx::test::handshake(ctx.get(), client);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.cipher == "ECDHE-ECDSA-CHACHA20-POLY1305");

  client.cipher_list = "ECDHE-ECDSA-AES256-GCM-SHA384";
  CHECK_FALSE(mmx::test::handshake(ctx.get(), client).ok);

  config = server_config();
  config.max_version = mmx::TlsVersion::kTls12;
  config.cipher_suites = {"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-GCM-SHA256"};
  config.prefer_server_cipher_suites = false;
  auto client_order = build(config);
  client.cipher_list = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305";
  result = mmx::test::handshake(client_order.get(), client);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.cipher == "ECDHE-ECDSA-AES128-GCM-SHA256");
}

TEST_CASE("tls context: curve_preferences that leave no common group fail the handshake") {
  auto config = server_config();
  config.curves = {"X25519", "P-256"};
  auto ctx = build(config);
  CHECK(mmx::test::handshake(ctx.get(), trusting_ca()).ok);
}

TEST_CASE("tls context: RequireAndVerifyClientCert takes only certificates of the client CA") {
  auto config = server_config();
  config.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  config.client_ca_pem = pki().ca.cert_pem;
  config.client_ca_origin = "client_ca_file (ca.crt)";
  auto ctx = build(config);

  ClientOptions with_cert = trusting_ca();
  with_cert.certificate = &pki().client;
  auto result = mmx::test::handshake(ctx.get(), with_cert);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK(result.client_verified);

  CHECK_FALSE(mmx::test::handshake(ctx.get(), trusting_ca()).ok);
  ClientOptions stranger = trusting_ca();
  stranger.certificate = &pki().other_client;
  CHECK_FALSE(mmx::test::handshake(ctx.get(), stranger).ok);
  // TLS 1.2 fails inside the handshake rather than after it.
  stranger.max_version = TLS1_2_VERSION;
  CHECK_FALSE(mmx::test::handshake(ctx.get(), stranger).ok);
}

TEST_CASE("tls context: the other client auth types") {
  ClientOptions none = trusting_ca();
  ClientOptions good = trusting_ca();
  good.certificate = &pki().client;
  ClientOptions stranger = trusting_ca();
  stranger.certificate = &pki().other_client;

  auto config = server_config();
  config.client_auth = ClientAuth::kVerifyClientCertIfGiven;
  config.client_ca_pem = pki().ca.cert_pem;
  auto verify_if_given = build(config);
  CHECK(mmx::test::handshake(verify_if_given.get(), none).ok);
  CHECK(mmx::test::handshake(verify_if_given.get(), good).client_verified);
  CHECK_FALSE(mmx::test::handshake(verify_if_given.get(), stranger).ok);

  config = server_config();
  config.client_auth = ClientAuth::kRequireAnyClientCert;
  auto require_any = build(config);
  CHECK_FALSE(mmx::test::handshake(require_any.get(), none).ok);
  auto result = mmx::test::handshake(require_any.get(), stranger);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK_FALSE(result.client_verified);

  config = server_config();
  config.client_auth = ClientAuth::kRequestClientCert;
  auto request = build(config);
  CHECK(mmx::test::handshake(request.get(), none).ok);
  result = mmx::test::handshake(request.get(), stranger);
  REQUIRE_MESSAGE(result.ok, result.error);
  CHECK_FALSE(result.client_verified);
}

TEST_CASE("tls context: errors name the field and the file") {
  auto config = server_config();
  config.key_pem = mmx::SecretBytes(pki().client.key_pem);
  CHECK(build_error(config) ==
        "tls_server_config.key_file (server.key): does not match the certificate of cert_file "
        "(server.crt)");

  config = server_config();
  config.cert_pem = "not a certificate";
  CHECK(build_error(config) ==
        "tls_server_config.cert_file (server.crt): no PEM certificate in it");

  config = server_config();
  config.key_pem = mmx::SecretBytes(std::string_view("-----BEGIN PRIVATE KEY-----\nAAAA\n"));
  CHECK(contains(build_error(config),
                 "tls_server_config.key_file (server.key): no usable PEM "
                 "private key in it"));

  config = server_config();
  config.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  config.client_ca_pem = "nothing";
  config.client_ca_origin = "client_ca_file (ca.crt)";
  CHECK(build_error(config) ==
        "tls_server_config.client_ca_file (ca.crt): no PEM certificate in it");
}

TEST_CASE("tls context: a passphrase-protected key is an error, not a prompt") {
  // Encrypt the server key with a passphrase.
  BIO* in =
      BIO_new_mem_buf(pki().server.key_pem.data(), static_cast<int>(pki().server.key_pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(in, nullptr, nullptr, nullptr);
  BIO_free(in);
  REQUIRE(key != nullptr);
  BIO* out = BIO_new(BIO_s_mem());
  static char kPass[] = "secret";
  PEM_write_bio_PKCS8PrivateKey(out, key, EVP_aes_128_cbc(), kPass, 6, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(out, &data);
  std::string encrypted(data, static_cast<std::size_t>(size));
  BIO_free(out);
  EVP_PKEY_free(key);

  auto config = server_config();
  config.key_pem = mmx::SecretBytes(encrypted);
  CHECK(contains(build_error(config), "a key with a passphrase is not supported"));
}

TEST_CASE("tls context: handshakes and bcrypt run inside the frontend's syscall filter") {
  // What the HTTP server will do after enter_sandbox(): new connections,
  // TLS handshakes (client certificates included) and bcrypt checks. A
  // syscall outside the allowlist kills the child with SIGSYS.
  auto config = server_config();
  config.client_auth = ClientAuth::kRequireAndVerifyClientCert;
  config.client_ca_pem = pki().ca.cert_pem;
  auto ctx = build(config);
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", 4, nullptr, 0, setting, sizeof setting) != nullptr);
  crypt_data data{};
  const std::string hash = crypt_rn("pw", setting, &data, sizeof data);
  const mmx::BasicAuth auth({{"alice", hash}});

  // GCC says so with __SANITIZE_ADDRESS__, clang with __has_feature.
#if defined(__SANITIZE_ADDRESS__)
  MMX_SKIP_TEST("the sanitizer runtime's own syscalls are outside the filter");
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
  MMX_SKIP_TEST("the sanitizer runtime's own syscalls are outside the filter");
#endif
#endif
  // Connections arrive through accept(): made before the filter here.
  std::vector<mmx::UniqueFd> sockets;
  for (int i = 0; i < 6; i += 2) {
    int fds[2];
    REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) == 0);
    sockets.emplace_back(fds[0]);
    sockets.emplace_back(fds[1]);
  }
  ClientOptions good = trusting_ca();
  good.certificate = &pki().client;

  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // doctest's handlers would restore dispositions the filter forbids.
    for (int sig = 1; sig < SIGRTMIN; ++sig) ::signal(sig, SIG_DFL);
    if (!mmx::install_syscall_filter({})) ::_exit(10);
    for (std::size_t i = 0; i < sockets.size(); i += 2) {
      if (!mmx::test::handshake_on(ctx.get(), good, sockets[i].get(), sockets[i + 1].get()).ok) {
        ::_exit(11);
      }
    }
    if (auth.check("Basic YWxpY2U6cHc=") != mmx::AuthResult::kOk) ::_exit(12);        // alice:pw
    if (auth.check("Basic Ym9iOnB3") != mmx::AuthResult::kUnauthorized) ::_exit(13);  // bob:pw
    ::_exit(0);
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  INFO("wait status " << status
                      << ": a signal number below 128 (31 is SIGSYS, the filter), an "
                         "exit code shifted by 8");
  CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}
