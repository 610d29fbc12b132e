#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "web_config.h"

namespace {

// bcrypt of "secret", cost 10 (htpasswd -nbBC 10 "" secret).
constexpr const char* kHash = "$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG";

// Files by path; every read is recorded.
struct FakeFiles {
  std::map<std::string, std::string> files;
  std::vector<std::string> reads;
  mmx::WebConfigFileReader reader() {
    return [this](const std::filesystem::path& path) -> mmx::Expected<std::string> {
      reads.push_back(path.string());
      auto it = files.find(path.string());
      if (it == files.end()) return mmx::fail("No such file or directory");
      return it->second;
    };
  }
};

mmx::Expected<mmx::WebConfig> parse(const std::string& text, FakeFiles& files) {
  return mmx::parse_web_config(text, "/etc/mm", files.reader());
}

// For a failed check's message: the error, or nothing when there is none.
std::string why_not(const mmx::Expected<mmx::WebConfig>& config) {
  return config ? std::string() : config.error();
}

// The error of a config that must fail.
std::string error_of(const std::string& text) {
  FakeFiles files;
  files.files = {
      {"/etc/mm/server.crt", "CERT"}, {"/etc/mm/server.key", "KEY"}, {"/etc/mm/ca.crt", "CA"}};
  auto config = parse(text, files);
  CHECK_FALSE(config);
  return why_not(config);
}

const char* const kTls = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";

}  // namespace

TEST_CASE("web config: an empty file is plain HTTP without auth") {
  for (const char* text : {"", "# nothing\n", "---\n"}) {
    FakeFiles files;
    auto config = parse(text, files);
    REQUIRE_MESSAGE(config, why_not(config));
    CHECK_FALSE(config->tls.enabled);
    CHECK(config->basic_auth_users.empty());
    CHECK(config->headers.empty());
    CHECK(files.reads.empty());
  }
}

TEST_CASE("web config: every field, files read relative to the config's directory") {
  FakeFiles files;
  files.files = {
      {"/etc/mm/tls/server.crt", "CERT"}, {"/etc/mm/tls/server.key", "KEY"}, {"/srv/ca.crt", "CA"}};
  auto config = parse(R"(
tls_server_config:
  cert_file: tls/server.crt
  key_file: tls/server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: /srv/ca.crt
  min_version: TLS13
  max_version: TLS13
  cipher_suites:
    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    - TLS_AES_128_GCM_SHA256
    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: true
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000
    Content-Security-Policy: ""
basic_auth_users:
  prometheus: )" + std::string(kHash) +
                          R"(
  alice: ')" + kHash + R"('
)",
                      files);
  REQUIRE_MESSAGE(config, why_not(config));
  const auto& tls = config->tls;
  CHECK(tls.enabled);
  CHECK(tls.cert_pem == "CERT");
  CHECK(std::string(tls.key_pem.data(), tls.key_pem.size()) == "KEY");
  CHECK(tls.client_ca_pem == "CA");
  CHECK(tls.cert_origin == "cert_file (/etc/mm/tls/server.crt)");
  CHECK(tls.key_origin == "key_file (/etc/mm/tls/server.key)");
  CHECK(tls.client_ca_origin == "client_ca_file (/srv/ca.crt)");
  CHECK(tls.client_auth == mmx::ClientAuth::kRequireAndVerifyClientCert);
  CHECK(tls.min_version == mmx::TlsVersion::kTls13);
  CHECK(tls.max_version == mmx::TlsVersion::kTls13);
  CHECK(tls.cipher_suites ==
        std::vector<std::string>{"ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"});
  CHECK_FALSE(tls.prefer_server_cipher_suites);
  CHECK(tls.curves == std::vector<std::string>{"X25519", "P-256"});
  using Header = std::pair<std::string, std::string>;
  CHECK(config->headers == std::vector<Header>{{"Strict-Transport-Security", "max-age=31536000"},
                                               {"X-Content-Type-Options", "nosniff"},
                                               {"X-Frame-Options", "deny"}});
  CHECK(config->basic_auth_users == std::vector<Header>{{"alice", kHash}, {"prometheus", kHash}});
  REQUIRE(config->notes.size() == 2);
  CHECK(config->notes[0].find("TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite") != std::string::npos);
  CHECK(config->notes[1].find("http_server_config.http2") != std::string::npos);
}

TEST_CASE("web config: defaults and inline PEM") {
  FakeFiles files;
  auto config = parse("tls_server_config:\n  cert: |\n    CERT\n  key: KEY\n", files);
  REQUIRE_MESSAGE(config, why_not(config));
  CHECK(config->tls.cert_pem == "CERT\n");
  CHECK(config->tls.cert_origin == "cert");
  CHECK(config->tls.key_origin == "key");
  CHECK(config->tls.min_version == mmx::TlsVersion::kTls12);
  CHECK(config->tls.max_version == mmx::TlsVersion::kTls13);
  CHECK(config->tls.client_auth == mmx::ClientAuth::kNoClientCert);
  CHECK(config->tls.prefer_server_cipher_suites);
  CHECK(config->tls.cipher_suites.empty());
  CHECK(files.reads.empty());

  // Only basic auth: no TLS, nothing read.
  config = parse("basic_auth_users:\n  bob: " + std::string(kHash) + "\n", files);
  REQUIRE_MESSAGE(config, why_not(config));
  CHECK_FALSE(config->tls.enabled);
  CHECK(config->basic_auth_users.size() == 1);
}

TEST_CASE("web config: every error names its field") {
  const std::string tls = kTls;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"foo: 1\n", "foo: unknown field"},
      {"rate_limit:\n  burst: 1\n", "rate_limit: not supported by mm-exporter"},
      {"- a\n- b\n", "want a map at the top level, got a list"},
      {"just text\n", "want a map at the top level, got a string"},
      {tls + "  client_auth_type: Foo\n",
       "tls_server_config.client_auth_type: unknown value \"Foo\" (want NoClientCert, "
       "RequestClientCert, RequireAnyClientCert, RequireClientCert, VerifyClientCertIfGiven or "
       "RequireAndVerifyClientCert)"},
      {tls + "  min_version: TLS14\n",
       "tls_server_config.min_version: unknown value \"TLS14\" (want TLS10, TLS11, TLS12 or "
       "TLS13)"},
      {tls + "  min_version: TLS13\n  max_version: TLS12\n",
       "tls_server_config: min_version TLS13 is above max_version TLS12"},
      {tls + "  cipher_suites: [TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_RC4_128_SHA]\n",
       "tls_server_config.cipher_suites[1]: unknown cipher suite \"TLS_RSA_WITH_RC4_128_SHA\""},
      {tls + "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
       "tls_server_config.cipher_suites: lists no TLS 1.2 suite"},
      {tls + "  cipher_suites: TLS_AES_128_GCM_SHA256\n",
       "tls_server_config.cipher_suites: want a list, got a string"},
      {tls + "  curve_preferences: [CurveP256, Curve25519]\n",
       "tls_server_config.curve_preferences[1]: unknown value \"Curve25519\""},
      {tls + "  prefer_server_cipher_suites: maybe\n",
       "tls_server_config.prefer_server_cipher_suites: want true or false, got \"maybe\""},
      {tls + "  key_file: other.key\n", "tls_server_config.key_file: given more than once"},
      {tls + "  cert_file_typo: x\n", "tls_server_config.cert_file_typo: unknown field"},
      {tls + "  client_allowed_sans: [a]\n",
       "tls_server_config.client_allowed_sans: not supported by mm-exporter"},
      {"tls_server_config:\n  cert_file: [a]\n",
       "tls_server_config.cert_file: want a string, got a list"},
      {"tls_server_config:\n  key_file: server.key\n",
       "tls_server_config: missing one of cert or cert_file"},
      {"tls_server_config:\n  cert_file: server.crt\n",
       "tls_server_config: missing one of key or key_file"},
      {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
       "tls_server_config: missing one of cert or cert_file"},
      {tls + "  cert: CERT\n",
       "tls_server_config: cert and cert_file are both given; give one of them"},
      {"tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n",
       "tls_server_config.cert_file: /etc/mm/missing.crt: No such file or directory"},
      {tls + "  client_ca_file: ca.crt\n",
       "tls_server_config.client_ca_file: a client CA is given, but client_auth_type is "
       "NoClientCert"},
      {tls + "  client_auth_type: RequireAndVerifyClientCert\n",
       "tls_server_config.client_ca_file: needed by client_auth_type RequireAndVerifyClientCert"},
      {tls + "  client_auth_type: VerifyClientCertIfGiven\n",
       "tls_server_config.client_ca_file: needed by client_auth_type VerifyClientCertIfGiven"},
      {"tls_server_config: [1]\n", "tls_server_config: want a map, got a list"},
      {"http_server_config:\n  headers:\n    Server: x\n",
       "http_server_config.headers.Server: this header can not be configured (allowed: "
       "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
       "Content-Security-Policy)"},
      {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
       "http_server_config.headers.X-Frame-Options: invalid value \"allow\" (want \"deny\" or "
       "\"sameorigin\")"},
      {"http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n",
       "http_server_config.headers.X-Content-Type-Options: invalid value \"sniff\" (want "
       "\"nosniff\")"},
      {"http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n",
       "http_server_config.headers.Content-Security-Policy: control characters are not allowed"},
      {"http_server_config:\n  http2: 3\n",
       "http_server_config.http2: want true or false, got \"3\""},
      {"http_server_config:\n  gzip: true\n", "http_server_config.gzip: unknown field"},
      {"basic_auth_users:\n  alice: secret\n", "basic_auth_users.alice: not a bcrypt hash"},
      {"basic_auth_users:\n  alice: $2y$10$short\n",
       "basic_auth_users.alice: not a valid bcrypt hash"},
      {"basic_auth_users:\n  alice: $2y$15$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG\n",
       "basic_auth_users.alice: bcrypt cost 15 is above 14"},
      {"basic_auth_users:\n  \"a:b\": " + std::string(kHash) + "\n",
       "basic_auth_users.a:b: a user name can not contain \":\""},
      {"basic_auth_users:\n  \"\": " + std::string(kHash) + "\n",
       "basic_auth_users: a user name is empty"},
      {"basic_auth_users:\n  a: 1\n  a: 2\n", "basic_auth_users.a: given more than once"},
      {"basic_auth_users: [a]\n", "basic_auth_users: want a map, got a list"},
      {"tls_server_config:\n  cert_file: a\n   key_file: b\n", "line 3, column"},
      {"a: [\n", "line "},
  };
  for (const auto& [text, expected] : cases) {
    const std::string error = error_of(text);
    CHECK_MESSAGE(error.rfind(expected, 0) == 0, text << "\n-> " << error);
  }
}

TEST_CASE("web config: deep nesting and aliases are bounded errors, not crashes") {
  CHECK_FALSE(error_of(std::string(10000, '[')).empty());
  CHECK_FALSE(error_of("a: &x [1]\nb: *x\n").empty());
  CHECK(error_of("http_server_config: &t\n  http2: false\nbasic_auth_users: *t\n") ==
        "basic_auth_users.http2: not a bcrypt hash (want $2a$, $2b$ or $2y$ followed by the "
        "cost, such as htpasswd -nBC 10 prints)");
}

TEST_CASE("web config: load_web_config reads the file and names it in errors") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mmx-web-config-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return dir / name;
  };
  write("server.crt", "CERT");
  write("server.key", "KEY");
  const auto good = write("web.yml", kTls);
  auto config = mmx::load_web_config(good);
  REQUIRE_MESSAGE(config, why_not(config));
  CHECK(config->tls.cert_pem == "CERT");

  // The error of loading `path`, which must fail.
  const auto load_error = [](const std::filesystem::path& path) {
    auto failed = mmx::load_web_config(path);
    CHECK_FALSE(failed);
    return why_not(failed);
  };
  const auto bad = write("bad.yml", "tls_server_config:\n  client_auth_type: Foo\n");
  CHECK(load_error(bad) ==
        bad.string() +
            ": tls_server_config.client_auth_type: unknown value \"Foo\" (want "
            "NoClientCert, RequestClientCert, RequireAnyClientCert, RequireClientCert, "
            "VerifyClientCertIfGiven or RequireAndVerifyClientCert)");
  CHECK(load_error(dir / "absent.yml") ==
        (dir / "absent.yml").string() + ": No such file or directory");
  CHECK(load_error(dir) == dir.string() + ": not a regular file");
  const auto huge = write("huge.yml", std::string(mmx::kMaxWebConfigFileBytes + 1, '#'));
  CHECK(load_error(huge) == huge.string() + ": larger than 1048576 bytes");

  std::filesystem::remove_all(dir);
}

TEST_CASE("web config: SecretBytes moves without copies") {
  mmx::SecretBytes a(std::string_view("key"));
  mmx::SecretBytes b(std::move(a));
  CHECK(a.empty());
  CHECK(std::string(b.data(), b.size()) == "key");
  mmx::SecretBytes c;
  c = std::move(b);
  CHECK(b.empty());
  CHECK(c.size() == 3);
}
