#include "basic_auth.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <memory>

namespace mmx {
namespace {

constexpr std::string_view kBcryptAlphabet =
    "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
// "$2b$10$" and 53 characters of salt (22) and hash (31).
constexpr std::size_t kBcryptLength = 60;
constexpr int kMinBcryptCost = 4;
// libxcrypt refuses longer passphrases; refusing them here costs no slot.
constexpr std::size_t kMaxPasswordBytes = CRYPT_MAX_PASSPHRASE_SIZE;

int bcrypt_cost(std::string_view hash) {
  return (hash[4] - '0') * 10 + (hash[5] - '0');
}

// Strict RFC 4648 base64 with padding, as Go's base64.StdEncoding that
// exporter-toolkit decodes the credentials with.
bool decode_base64(std::string_view in, std::string& out) {
  if (in.empty() || in.size() % 4 != 0) return false;
  out.clear();
  out.reserve(in.size() / 4 * 3);
  std::uint32_t bits = 0;
  int count = 0;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=' && i + 2 >= in.size()) {
      ++padding;
      value = 0;
    }
    if (value < 0 || (padding > 0 && c != '=')) return false;
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    if (++count == 4) {
      out += static_cast<char>((bits >> 16) & 0xff);
      out += static_cast<char>((bits >> 8) & 0xff);
      out += static_cast<char>(bits & 0xff);
      bits = 0;
      count = 0;
    }
  }
  out.resize(out.size() - padding);
  return true;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);
         });
}

// Wipes a string holding a password when it goes out of scope.
struct Wiped {
  std::string& text;
  ~Wiped() { OPENSSL_cleanse(text.data(), text.size()); }
};

}  // namespace

Expected<> check_bcrypt_hash(std::string_view hash) {
  const std::string_view prefix = hash.substr(0, 4);
  if (prefix != "$2a$" && prefix != "$2b$" && prefix != "$2y$") {
    return fail(
        "not a bcrypt hash (want $2a$, $2b$ or $2y$ followed by the cost, such as "
        "htpasswd -nBC 10 prints)");
  }
  if (hash.size() != kBcryptLength || hash[6] != '$' || hash[4] < '0' || hash[4] > '9' ||
      hash[5] < '0' || hash[5] > '9' ||
      hash.find_first_not_of(kBcryptAlphabet, 7) != std::string_view::npos) {
    return fail(
        "not a valid bcrypt hash (want 60 characters: $2y$, two digits of cost, $, then 53 of "
        "[./A-Za-z0-9])");
  }
  const int cost = bcrypt_cost(hash);
  if (cost < kMinBcryptCost) return fail("bcrypt cost " + std::to_string(cost) + " is below 4");
  if (cost > kMaxBcryptCost) {
    return fail("bcrypt cost " + std::to_string(cost) + " is above " +
                std::to_string(kMaxBcryptCost) +
                ", the most mm-exporter accepts: every check would take seconds of CPU; hash "
                "the password again with a lower cost (htpasswd -nBC 10)");
  }
  return {};
}

BasicAuth::BasicAuth(std::vector<std::pair<std::string, std::string>> users, Limits limits)
    : users_(std::move(users)), limits_(limits) {
  std::sort(users_.begin(), users_.end());
  if (limits_.max_concurrent_checks == 0) limits_.max_concurrent_checks = 1;
  int cost = kMinBcryptCost;
  for (const auto& [name, hash] : users_) {
    if (check_bcrypt_hash(hash)) cost = std::max(cost, bcrypt_cost(hash));
  }
  // Any salt makes a valid setting; the hash part never matches what
  // crypt returns for it, so no password opens it.
  const std::string digits = (cost < 10 ? "0" : "") + std::to_string(cost);
  dummy_hash_ = "$2b$" + digits + "$" + std::string(kBcryptLength - 7, '.');
  if (RAND_bytes(cache_key_.data(), static_cast<int>(cache_key_.size())) != 1) {
    // Without a random key the cache would still work, only its digests
    // would be predictable: keep it off instead.
    limits_.cache_ttl = std::chrono::seconds(0);
  }
}

std::uint64_t BasicAuth::checks_run() const {
  std::lock_guard lock(mutex_);
  return checks_run_;
}

BasicAuth::Digest BasicAuth::credential_digest(std::string_view user,
                                               std::string_view password) const {
  std::string message;
  Wiped wipe{message};
  message.reserve(user.size() + 1 + password.size());
  message.append(user).push_back('\0');
  message.append(password);
  Digest digest{};
  unsigned length = 0;
  HMAC(EVP_sha256(), cache_key_.data(), static_cast<int>(cache_key_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest.data(),
       &length);
  return digest;
}

bool BasicAuth::cached(const Digest& digest) const {
  if (limits_.cache_ttl.count() <= 0) return false;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  for (CacheEntry& entry : cache_) {
    if (entry.expires > now && CRYPTO_memcmp(entry.digest.data(), digest.data(), 32) == 0) {
      entry.expires = now + limits_.cache_ttl;
      return true;
    }
  }
  return false;
}

void BasicAuth::remember(const Digest& digest) const {
  if (limits_.cache_ttl.count() <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(mutex_);
  std::erase_if(cache_, [&](const CacheEntry& e) { return e.expires <= now; });
  for (CacheEntry& entry : cache_) {
    if (CRYPTO_memcmp(entry.digest.data(), digest.data(), 32) == 0) {
      entry.expires = now + limits_.cache_ttl;
      return;
    }
  }
  if (cache_.size() >= kCacheEntries) {
    cache_.erase(std::min_element(
        cache_.begin(), cache_.end(),
        [](const CacheEntry& a, const CacheEntry& b) { return a.expires < b.expires; }));
  }
  cache_.push_back({digest, now + limits_.cache_ttl});
}

bool BasicAuth::acquire_slot() const {
  std::unique_lock lock(mutex_);
  if (!slot_freed_.wait_for(lock, limits_.max_wait,
                            [&] { return running_ < limits_.max_concurrent_checks; })) {
    return false;
  }
  ++running_;
  ++checks_run_;
  return true;
}

void BasicAuth::release_slot() const {
  {
    std::lock_guard lock(mutex_);
    --running_;
  }
  slot_freed_.notify_one();
}

AuthResult BasicAuth::check(std::string_view authorization) const {
  if (authorization.size() > kMaxHeaderBytes) return AuthResult::kUnauthorized;
  while (!authorization.empty() && (authorization.back() == ' ' || authorization.back() == '\t')) {
    authorization.remove_suffix(1);
  }
  constexpr std::string_view kScheme = "Basic";
  if (authorization.size() <= kScheme.size() ||
      !equals_ignoring_case(authorization.substr(0, kScheme.size()), kScheme) ||
      authorization[kScheme.size()] != ' ') {
    return AuthResult::kUnauthorized;
  }
  std::string_view token = authorization.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);

  std::string credentials;
  Wiped wipe{credentials};
  if (!decode_base64(token, credentials)) return AuthResult::kUnauthorized;
  const std::size_t colon = credentials.find(':');
  if (colon == std::string::npos) return AuthResult::kUnauthorized;
  const std::string_view user = std::string_view(credentials).substr(0, colon);
  const std::string_view password = std::string_view(credentials).substr(colon + 1);
  // crypt() reads a C string: a NUL would cut the password short.
  if (password.size() > kMaxPasswordBytes || password.find('\0') != std::string_view::npos) {
    return AuthResult::kUnauthorized;
  }

  const Digest digest = credential_digest(user, password);
  if (cached(digest)) return AuthResult::kOk;

  const auto it = std::lower_bound(users_.begin(), users_.end(), user,
                                   [](const std::pair<std::string, std::string>& entry,
                                      std::string_view name) { return entry.first < name; });
  const bool known = it != users_.end() && it->first == user;
  const std::string& hash = known ? it->second : dummy_hash_;

  if (!acquire_slot()) return AuthResult::kBusy;
  bool match = false;
  {
    struct SlotGuard {
      const BasicAuth& auth;
      ~SlotGuard() { auth.release_slot(); }
    } slot{*this};
    // crypt_data is some 32 KiB: on the heap, zeroed as crypt_rn wants it.
    auto data = std::make_unique<crypt_data>();
    std::string phrase(password);
    Wiped wipe_phrase{phrase};
    const char* result =
        crypt_rn(phrase.c_str(), hash.c_str(), data.get(), static_cast<int>(sizeof(crypt_data)));
    if (result != nullptr && std::char_traits<char>::length(result) == hash.size()) {
      match = CRYPTO_memcmp(result, hash.data(), hash.size()) == 0;
    }
    OPENSSL_cleanse(data.get(), sizeof(crypt_data));
  }

  if (!known || !match) return AuthResult::kUnauthorized;
  remember(digest);
  return AuthResult::kOk;
}

}  // namespace mmx
