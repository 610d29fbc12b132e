#include "web_config.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>

#include "basic_auth.h"
#include "errno_text.h"
#include "unique_fd.h"

namespace mmx {

SecretBytes::SecretBytes(std::string_view bytes) : bytes_(bytes.begin(), bytes.end()) {}

SecretBytes::~SecretBytes() {
  wipe();
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept : bytes_(std::move(other.bytes_)) {
  other.bytes_.clear();
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    wipe();
    bytes_ = std::move(other.bytes_);
    other.bytes_.clear();
  }
  return *this;
}

void SecretBytes::wipe() {
  // OPENSSL_cleanse, not memset: the compiler may not drop it as a dead store.
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  bytes_.clear();
}

const char* client_auth_name(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNoClientCert:
      return "NoClientCert";
    case ClientAuth::kRequestClientCert:
      return "RequestClientCert";
    case ClientAuth::kRequireAnyClientCert:
      return "RequireAnyClientCert";
    case ClientAuth::kVerifyClientCertIfGiven:
      return "VerifyClientCertIfGiven";
    case ClientAuth::kRequireAndVerifyClientCert:
      return "RequireAndVerifyClientCert";
  }
  return "?";
}

const char* tls_version_name(TlsVersion version) {
  switch (version) {
    case TlsVersion::kTls10:
      return "TLS10";
    case TlsVersion::kTls11:
      return "TLS11";
    case TlsVersion::kTls12:
      return "TLS12";
    case TlsVersion::kTls13:
      return "TLS13";
  }
  return "?";
}

Expected<std::string> read_bounded_file(const std::filesystem::path& path, std::size_t max_bytes) {
  // O_NONBLOCK: a FIFO in place of the file must not hang start-up.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return fail(errno_text());
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail(errno_text());
  if (!S_ISREG(st.st_mode)) return fail("not a regular file");
  std::string data;
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(errno_text());
    if (n == 0) break;
    if (data.size() + static_cast<std::size_t>(n) > max_bytes) {
      return fail("larger than " + std::to_string(max_bytes) + " bytes");
    }
    data.append(buffer, static_cast<std::size_t>(n));
  }
  return data;
}

namespace {

// Go names of the suites crypto/tls.CipherSuites() lists (exporter-toolkit
// accepts exactly these), with OpenSSL's names. The TLS 1.3 ones are
// accepted and have no effect, as in Go.
struct CipherName {
  std::string_view go;
  std::string_view openssl;  // "" for TLS 1.3
};
constexpr CipherName kCipherSuites[] = {
    {"TLS_AES_128_GCM_SHA256", ""},
    {"TLS_AES_256_GCM_SHA384", ""},
    {"TLS_CHACHA20_POLY1305_SHA256", ""},
    {"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA"},
    {"TLS_RSA_WITH_AES_256_CBC_SHA", "AES256-SHA"},
    {"TLS_RSA_WITH_AES_128_GCM_SHA256", "AES128-GCM-SHA256"},
    {"TLS_RSA_WITH_AES_256_GCM_SHA384", "AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "ECDHE-ECDSA-AES256-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA"},
    {"TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "ECDHE-RSA-AES256-SHA"},
    {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"},
    {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "ECDHE-RSA-AES256-GCM-SHA384"},
    {"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"},
    {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "ECDHE-RSA-CHACHA20-POLY1305"},
};

// exporter-toolkit's curve names, with OpenSSL's group names.
constexpr std::pair<std::string_view, std::string_view> kCurves[] = {
    {"CurveP256", "P-256"},
    {"CurveP384", "P-384"},
    {"CurveP521", "P-521"},
    {"X25519", "X25519"},
};

constexpr std::pair<std::string_view, TlsVersion> kVersions[] = {
    {"TLS10", TlsVersion::kTls10},
    {"TLS11", TlsVersion::kTls11},
    {"TLS12", TlsVersion::kTls12},
    {"TLS13", TlsVersion::kTls13},
};

constexpr std::pair<std::string_view, ClientAuth> kClientAuths[] = {
    {"NoClientCert", ClientAuth::kNoClientCert},
    {"RequestClientCert", ClientAuth::kRequestClientCert},
    {"RequireAnyClientCert", ClientAuth::kRequireAnyClientCert},
    // exporter-toolkit keeps this older name working.
    {"RequireClientCert", ClientAuth::kRequireAnyClientCert},
    {"VerifyClientCertIfGiven", ClientAuth::kVerifyClientCertIfGiven},
    {"RequireAndVerifyClientCert", ClientAuth::kRequireAndVerifyClientCert},
};

// The headers exporter-toolkit lets a config set, and the values allowed
// where it restricts them (web/handler.go, extraHTTPHeaders).
struct AllowedHeader {
  std::string_view name;
  std::vector<std::string_view> values;  // empty: any
};
const std::vector<AllowedHeader>& allowed_headers() {
  static const std::vector<AllowedHeader> headers = {
      {"Strict-Transport-Security", {}},
      {"X-Content-Type-Options", {"nosniff"}},
      {"X-Frame-Options", {"deny", "sameorigin"}},
      {"X-XSS-Protection", {}},
      {"Content-Security-Policy", {}},
  };
  return headers;
}

// Thrown inside the parser only, never out of this file: parse_web_config()
// turns it into its error. Throwing keeps the field-by-field parser as plain
// as the YAML it reads, and yaml-cpp throws from the same calls anyway.
struct ConfigError {
  std::string message;
};

[[noreturn]] void reject(const std::string& field, const std::string& problem) {
  throw ConfigError{field.empty() ? problem : field + ": " + problem};
}

std::string show(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text.substr(0, 200)) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 200) out += "...";
  return out + "\"";
}

const char* kind_of(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "nothing";
  }
}

template <typename Value, std::size_t N>
std::string choices(const std::pair<std::string_view, Value> (&table)[N]) {
  std::string out;
  for (std::size_t i = 0; i < N; ++i) {
    out += (i == 0 ? "" : i + 1 == N ? " or " : ", ") + std::string(table[i].first);
  }
  return out;
}

std::string join(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

// The entries of a map node, in file order, refusing duplicate keys (Go's
// strict unmarshalling does) and keys that are not plain strings.
std::vector<std::pair<std::string, YAML::Node>> entries(const YAML::Node& node,
                                                        const std::string& field) {
  std::vector<std::pair<std::string, YAML::Node>> out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) reject(field, std::string("want a map, got ") + kind_of(node));
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) reject(field, "keys must be strings");
    std::string key = it->first.Scalar();
    if (!seen.insert(key).second) reject(join(field, key), "given more than once");
    out.emplace_back(std::move(key), it->second);
  }
  return out;
}

std::string scalar(const YAML::Node& node, const std::string& field) {
  if (node.IsNull()) return "";
  if (!node.IsScalar()) reject(field, std::string("want a string, got ") + kind_of(node));
  return node.Scalar();
}

bool boolean(const YAML::Node& node, const std::string& field) {
  static const std::map<std::string, bool, std::less<>> kValues = {
      {"true", true}, {"True", true}, {"TRUE", true},   {"yes", true},    {"Yes", true},
      {"on", true},   {"On", true},   {"false", false}, {"False", false}, {"FALSE", false},
      {"no", false},  {"No", false},  {"off", false},   {"Off", false}};
  const std::string text = scalar(node, field);
  auto it = kValues.find(text);
  if (it == kValues.end()) reject(field, "want true or false, got " + show(text));
  return it->second;
}

std::vector<std::string> strings(const YAML::Node& node, const std::string& field) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) reject(field, std::string("want a list, got ") + kind_of(node));
  for (std::size_t i = 0; i < node.size(); ++i) {
    out.push_back(scalar(node[i], field + "[" + std::to_string(i) + "]"));
  }
  return out;
}

template <typename Value, std::size_t N>
Value lookup(const std::pair<std::string_view, Value> (&table)[N], const std::string& text,
             const std::string& field) {
  for (const auto& [name, value] : table) {
    if (name == text) return value;
  }
  reject(field, "unknown value " + show(text) + " (want " + choices(table) + ")");
}

// config_util.JoinDir: a relative path is relative to the config's directory.
std::filesystem::path resolve(const std::string& path, const std::filesystem::path& base_dir) {
  const std::filesystem::path p(path);
  return p.is_absolute() ? p : base_dir / p;
}

struct Source {
  std::string inline_text;
  std::string path;
};

// Reads the PEM of a (inline, file) pair such as cert / cert_file.
std::string pem_of(const Source& source, std::string_view inline_key, std::string_view file_key,
                   const std::filesystem::path& base_dir, const WebConfigFileReader& read,
                   std::string& origin) {
  const std::string field_inline = join("tls_server_config", inline_key);
  const std::string field_file = join("tls_server_config", file_key);
  if (!source.inline_text.empty() && !source.path.empty()) {
    reject("tls_server_config", std::string(inline_key) + " and " + std::string(file_key) +
                                    " are both given; give one of them");
  }
  if (!source.inline_text.empty()) {
    origin = std::string(inline_key);
    return source.inline_text;
  }
  const std::filesystem::path path = resolve(source.path, base_dir);
  origin = std::string(file_key) + " (" + path.string() + ")";
  auto data = read(path);
  if (!data) reject(field_file, path.string() + ": " + data.error());
  if (data->empty()) reject(field_file, path.string() + ": the file is empty");
  return std::move(*data);
}

void parse_tls(const YAML::Node& node, const std::filesystem::path& base_dir,
               const WebConfigFileReader& read, WebConfig& config) {
  const std::string field = "tls_server_config";
  TlsServerConfig& tls = config.tls;
  Source cert;
  Source client_ca;
  std::string key_inline;
  std::string key_path;
  std::string client_auth_text;
  for (const auto& [key, value] : entries(node, field)) {
    const std::string f = join(field, key);
    if (key == "cert") {
      cert.inline_text = scalar(value, f);
    } else if (key == "cert_file") {
      cert.path = scalar(value, f);
    } else if (key == "key") {
      key_inline = scalar(value, f);
    } else if (key == "key_file") {
      key_path = scalar(value, f);
    } else if (key == "client_ca") {
      client_ca.inline_text = scalar(value, f);
    } else if (key == "client_ca_file") {
      client_ca.path = scalar(value, f);
    } else if (key == "client_auth_type") {
      client_auth_text = scalar(value, f);
      if (!client_auth_text.empty()) tls.client_auth = lookup(kClientAuths, client_auth_text, f);
    } else if (key == "min_version") {
      tls.min_version = lookup(kVersions, scalar(value, f), f);
    } else if (key == "max_version") {
      tls.max_version = lookup(kVersions, scalar(value, f), f);
    } else if (key == "cipher_suites") {
      const auto names = strings(value, f);
      for (std::size_t i = 0; i < names.size(); ++i) {
        const auto* entry = std::find_if(std::begin(kCipherSuites), std::end(kCipherSuites),
                                         [&](const CipherName& c) { return c.go == names[i]; });
        if (entry == std::end(kCipherSuites)) {
          reject(f + "[" + std::to_string(i) + "]",
                 "unknown cipher suite " + show(names[i]) +
                     " (want one of Go's crypto/tls.CipherSuites(), such as "
                     "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
        }
        if (entry->openssl.empty()) {
          config.notes.push_back(f + ": " + names[i] +
                                 " is a TLS 1.3 suite; TLS 1.3 suites are not configurable");
        } else if (std::find(tls.cipher_suites.begin(), tls.cipher_suites.end(), entry->openssl) ==
                   tls.cipher_suites.end()) {
          tls.cipher_suites.emplace_back(entry->openssl);
        }
      }
      if (!names.empty() && tls.cipher_suites.empty()) {
        reject(f, "lists no TLS 1.2 suite; leave it out to use the defaults");
      }
    } else if (key == "prefer_server_cipher_suites") {
      tls.prefer_server_cipher_suites = boolean(value, f);
    } else if (key == "curve_preferences") {
      const auto names = strings(value, f);
      for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string fi = f + "[" + std::to_string(i) + "]";
        std::string group(lookup(kCurves, names[i], fi));
        if (std::find(tls.curves.begin(), tls.curves.end(), group) != tls.curves.end()) {
          reject(fi, show(names[i]) + " is listed twice");
        }
        tls.curves.push_back(std::move(group));
      }
    } else if (key == "client_allowed_sans") {
      reject(f,
             "not supported by mm-exporter; use a client CA that issues only the allowed "
             "clients' certificates");
    } else {
      reject(f, "unknown field");
    }
  }

  tls.enabled = !cert.inline_text.empty() || !cert.path.empty() || !key_inline.empty() ||
                !key_path.empty() || !client_ca.inline_text.empty() || !client_ca.path.empty() ||
                !client_auth_text.empty();
  if (!tls.enabled) return;
  if (cert.inline_text.empty() && cert.path.empty())
    reject(field, "missing one of cert or cert_file");
  if (key_inline.empty() && key_path.empty()) reject(field, "missing one of key or key_file");
  if (tls.min_version > tls.max_version) {
    reject(field, std::string("min_version ") + tls_version_name(tls.min_version) +
                      " is above max_version " + tls_version_name(tls.max_version));
  }

  tls.cert_pem = pem_of(cert, "cert", "cert_file", base_dir, read, tls.cert_origin);
  {
    // The key goes straight into wiped memory; the copy read is wiped too.
    std::string key_data =
        pem_of(Source{key_inline, key_path}, "key", "key_file", base_dir, read, tls.key_origin);
    tls.key_pem = SecretBytes(key_data);
    OPENSSL_cleanse(key_data.data(), key_data.size());
  }
  const bool has_ca = !client_ca.inline_text.empty() || !client_ca.path.empty();
  const bool verifies = tls.client_auth == ClientAuth::kVerifyClientCertIfGiven ||
                        tls.client_auth == ClientAuth::kRequireAndVerifyClientCert;
  if (has_ca && tls.client_auth == ClientAuth::kNoClientCert) {
    reject(join(field, client_ca.path.empty() ? "client_ca" : "client_ca_file"),
           "a client CA is given, but client_auth_type is NoClientCert (want "
           "RequireAndVerifyClientCert)");
  }
  if (verifies && !has_ca) {
    // Go would fall back to the system's roots: almost never what a client
    // certificate check means, and unreadable once sandboxed.
    reject(join(field, "client_ca_file"),
           std::string("needed by client_auth_type ") + client_auth_name(tls.client_auth));
  }
  if (has_ca) {
    tls.client_ca_pem =
        pem_of(client_ca, "client_ca", "client_ca_file", base_dir, read, tls.client_ca_origin);
  }
}

void parse_http(const YAML::Node& node, WebConfig& config) {
  const std::string field = "http_server_config";
  for (const auto& [key, value] : entries(node, field)) {
    const std::string f = join(field, key);
    if (key == "http2") {
      if (boolean(value, f)) {
        config.notes.push_back(f + ": HTTP/2 is not served; clients use HTTP/1.1");
      }
    } else if (key == "headers") {
      for (const auto& [name, header_value] : entries(value, f)) {
        const std::string fh = join(f, name);
        const auto& allowed = allowed_headers();
        // Not `name` in the lambda: clang 14 cannot capture a structured binding.
        const std::string& wanted = name;
        auto header = std::find_if(allowed.begin(), allowed.end(),
                                   [&](const AllowedHeader& h) { return h.name == wanted; });
        if (header == allowed.end()) {
          std::string names;
          for (const auto& h : allowed) names += (names.empty() ? "" : ", ") + std::string(h.name);
          reject(fh, "this header can not be configured (allowed: " + names + ")");
        }
        const std::string text = scalar(header_value, fh);
        if (text.empty()) continue;  // "Unset if blank"
        for (unsigned char c : text) {
          // A line break would let the config inject headers of its own.
          if (c < 0x20 || c == 0x7f) reject(fh, "control characters are not allowed");
        }
        if (!header->values.empty() &&
            std::find(header->values.begin(), header->values.end(), text) == header->values.end()) {
          std::string want;
          for (const auto& v : header->values) want += (want.empty() ? "" : " or ") + show(v);
          reject(fh, "invalid value " + show(text) + " (want " + want + ")");
        }
        config.headers.emplace_back(name, text);
      }
      std::sort(config.headers.begin(), config.headers.end());
    } else {
      reject(f, "unknown field");
    }
  }
}

void parse_users(const YAML::Node& node, WebConfig& config) {
  const std::string field = "basic_auth_users";
  for (const auto& [user, value] : entries(node, field)) {
    const std::string f = join(field, user);
    if (user.empty()) reject(field, "a user name is empty");
    for (unsigned char c : user) {
      // Basic auth splits "user:password" at the first colon.
      if (c == ':') reject(f, "a user name can not contain \":\"");
      if (c < 0x20 || c == 0x7f) reject(f, "control characters are not allowed in a user name");
    }
    const std::string hash = scalar(value, f);
    if (auto valid = check_bcrypt_hash(hash); !valid) reject(f, valid.error());
    config.basic_auth_users.emplace_back(user, hash);
  }
  std::sort(config.basic_auth_users.begin(), config.basic_auth_users.end());
}

}  // namespace

Expected<WebConfig> parse_web_config(std::string_view text, const std::filesystem::path& base_dir,
                                     const WebConfigFileReader& read) {
  if (text.size() > kMaxWebConfigFileBytes) {
    return fail("larger than " + std::to_string(kMaxWebConfigFileBytes) + " bytes");
  }
  WebConfig config;
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    if (!root.IsDefined() || root.IsNull()) return config;  // an empty file: plain HTTP
    if (!root.IsMap()) reject("", std::string("want a map at the top level, got ") + kind_of(root));
    // Optional, not YAML::Node: assigning to a bound Node rewrites the node
    // it refers to instead of rebinding.
    std::optional<YAML::Node> tls;
    std::optional<YAML::Node> http;
    std::optional<YAML::Node> users;
    for (const auto& [key, value] : entries(root, "")) {
      if (key == "tls_server_config") {
        tls.emplace(value);
      } else if (key == "http_server_config") {
        http.emplace(value);
      } else if (key == "basic_auth_users") {
        users.emplace(value);
      } else if (key == "rate_limit") {
        reject(key, "not supported by mm-exporter (--web.max-requests bounds parallel scrapes)");
      } else {
        reject(key, "unknown field");
      }
    }
    // Fixed order, so the first error is the same whatever the key order.
    if (tls) parse_tls(*tls, base_dir, read, config);
    if (http) parse_http(*http, config);
    if (users) parse_users(*users, config);
  } catch (const ConfigError& e) {
    return fail(e.message);
  } catch (const YAML::ParserException& e) {
    return fail("line " + std::to_string(e.mark.line + 1) + ", column " +
                std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return fail(e.msg.empty() ? std::string("invalid YAML") : e.msg);
  } catch (const std::exception& e) {
    return fail(std::string("invalid YAML: ") + e.what());
  }
  return config;
}

Expected<WebConfig> load_web_config(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  if (ec) absolute = path;
  auto text = read_bounded_file(absolute, kMaxWebConfigFileBytes);
  if (!text) return fail(path.string() + ": " + text.error());
  const WebConfigFileReader reader = [](const std::filesystem::path& p) {
    return read_bounded_file(p, kMaxWebConfigFileBytes);
  };
  auto config = parse_web_config(*text, absolute.parent_path(), reader);
  if (!config) return fail(path.string() + ": " + config.error());
  return config;
}

}  // namespace mmx
