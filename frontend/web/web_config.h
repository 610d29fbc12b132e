#pragma once
// The --web.config.file of the Prometheus exporter-toolkit
// (docs/web-configuration.md there): TLS, extra response headers and basic
// auth users, so a file written for any Go exporter works here unchanged.
//
// Loading reads the file and every file it names (certificate, key, client
// CA) into memory: the frontend opens no file once it is sandboxed. Unknown
// keys are errors, as exporter-toolkit unmarshals strictly, and every error
// names the field ("tls_server_config.client_auth_type: unknown value ...").

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expected.h"

namespace mmx {

// Bounds on what is read: a config, a certificate chain or a CA bundle
// larger than this is a mistake, not an input to allocate for.
inline constexpr std::size_t kMaxWebConfigFileBytes = 1 << 20;

// Bytes that must not outlive their use (a private key): wiped on
// destruction. Move-only, so no copy is left behind.
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::string_view bytes);
  ~SecretBytes();
  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;

  const char* data() const { return bytes_.data(); }
  std::size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }

 private:
  void wipe();
  std::vector<char> bytes_;
};

// Go's crypto/tls.ClientAuthType.
enum class ClientAuth {
  kNoClientCert,
  kRequestClientCert,
  kRequireAnyClientCert,
  kVerifyClientCertIfGiven,
  kRequireAndVerifyClientCert,
};
const char* client_auth_name(ClientAuth auth);

// Values are OpenSSL's protocol numbers (TLS1_2_VERSION and so on).
enum class TlsVersion : int { kTls10 = 0x301, kTls11 = 0x302, kTls12 = 0x303, kTls13 = 0x304 };
const char* tls_version_name(TlsVersion version);

struct TlsServerConfig {
  // Any of cert, key, client CA or client_auth_type given turns TLS on, as
  // in exporter-toolkit; then a certificate and a key are required.
  bool enabled = false;
  std::string cert_pem;  // leaf first, then the chain
  SecretBytes key_pem;
  std::string client_ca_pem;  // empty: no client CA
  // Where each came from, for messages: "cert_file (/etc/x.pem)" or "cert".
  std::string cert_origin;
  std::string key_origin;
  std::string client_ca_origin;
  ClientAuth client_auth = ClientAuth::kNoClientCert;
  TlsVersion min_version = TlsVersion::kTls12;
  TlsVersion max_version = TlsVersion::kTls13;
  // OpenSSL names of the TLS 1.2 suites asked for, in order; empty: the
  // defaults. TLS 1.3 suites are not configurable, as in Go.
  std::vector<std::string> cipher_suites;
  bool prefer_server_cipher_suites = true;
  std::vector<std::string> curves;  // OpenSSL group names, in order; empty: the defaults
};

struct WebConfig {
  TlsServerConfig tls;
  // http_server_config.headers that are set, by name; added to every response.
  std::vector<std::pair<std::string, std::string>> headers;
  // basic_auth_users: name and bcrypt hash, sorted by name.
  std::vector<std::pair<std::string, std::string>> basic_auth_users;
  // Settings accepted but without effect here, to be logged.
  std::vector<std::string> notes;
};

// Reads a file the config names, at most kMaxWebConfigFileBytes; the error
// does not name the path.
using WebConfigFileReader = std::function<Expected<std::string>(const std::filesystem::path& path)>;

// Reads a regular file whole, refusing one over `max_bytes`. The error does
// not name the path.
[[nodiscard]] Expected<std::string> read_bounded_file(const std::filesystem::path& path,
                                                      std::size_t max_bytes);

// Parses `text`, a config whose relative paths are relative to `base_dir`,
// reading the files it names with `read`. The error is "<field>: <problem>".
[[nodiscard]] Expected<WebConfig> parse_web_config(std::string_view text,
                                                   const std::filesystem::path& base_dir,
                                                   const WebConfigFileReader& read);

// Reads and parses the file at `path`. The error is
// "<path>: <field>: <problem>".
[[nodiscard]] Expected<WebConfig> load_web_config(const std::filesystem::path& path);

}  // namespace mmx
