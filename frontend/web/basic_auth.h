#pragma once
// HTTP basic authentication against bcrypt hashes (basic_auth_users of the
// web config), checked with libxcrypt.
//
// bcrypt is slow on purpose, which makes it a lever for a denial of service:
// - at most kMaxConcurrentChecks bcrypt checks run at once; a request that
//   finds them all busy waits up to kMaxWait, then gets kBusy (the server
//   answers 503 with Retry-After, as it does for --web.max-requests);
// - a successful login is cached for kCacheTtl after its last use, so a
//   scraper that authenticates every 15 s pays for bcrypt once and never
//   queues behind a flood of wrong passwords. The cache holds a keyed digest
//   of (user, password), never the password;
// - an unknown user costs one bcrypt check too, against a dummy hash of the
//   highest cost configured, and hashes are compared in constant time, so
//   timing does not tell which users exist.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "expected.h"

namespace mmx {

// A bcrypt hash this cost or cheaper is accepted in the config. bcrypt's
// time doubles with each step: cost 10 takes some 50-80 ms on a PC, several
// times that on a router's CPU; 14 is 16 times cost 10.
inline constexpr int kMaxBcryptCost = 14;

// Whether `hash` is a bcrypt hash ($2a$, $2b$ or $2y$, cost 4 to
// kMaxBcryptCost, 53 characters of salt and hash); the error says what is
// wrong with it.
[[nodiscard]] Expected<> check_bcrypt_hash(std::string_view hash);

enum class AuthResult {
  kOk,
  kUnauthorized,  // answer 401 with WWW-Authenticate: BasicAuth::kChallenge
  kBusy,          // too many checks already running: answer 503
};

class BasicAuth {
 public:
  static constexpr std::string_view kChallenge = "Basic realm=\"mm-exporter\", charset=\"UTF-8\"";
  static constexpr unsigned kMaxConcurrentChecks = 2;
  static constexpr std::chrono::milliseconds kMaxWait{500};
  static constexpr std::chrono::seconds kCacheTtl{300};
  static constexpr std::size_t kCacheEntries = 64;
  // Longer Authorization values are refused without a check.
  static constexpr std::size_t kMaxHeaderBytes = 4096;

  struct Limits {
    unsigned max_concurrent_checks;
    std::chrono::milliseconds max_wait;
    std::chrono::seconds cache_ttl;
  };
  static constexpr Limits kDefaultLimits{kMaxConcurrentChecks, kMaxWait, kCacheTtl};

  // `users`: name and bcrypt hash, each checked by check_bcrypt_hash().
  // Draws the cache's key from OpenSSL's random generator: construct before
  // the sandbox.
  explicit BasicAuth(std::vector<std::pair<std::string, std::string>> users,
                     Limits limits = kDefaultLimits);
  BasicAuth(const BasicAuth&) = delete;
  BasicAuth& operator=(const BasicAuth&) = delete;

  // `authorization`: the value of the request's Authorization header ("" if
  // it had none). Thread-safe.
  AuthResult check(std::string_view authorization) const;

  std::size_t user_count() const { return users_.size(); }
  // bcrypt checks run so far (for tests: a cached login runs none).
  std::uint64_t checks_run() const;

 private:
  using Digest = std::array<unsigned char, 32>;
  struct CacheEntry {
    Digest digest;
    std::chrono::steady_clock::time_point expires;
  };

  Digest credential_digest(std::string_view user, std::string_view password) const;
  bool cached(const Digest& digest) const;
  void remember(const Digest& digest) const;
  bool acquire_slot() const;
  void release_slot() const;

  std::vector<std::pair<std::string, std::string>> users_;  // sorted by name
  std::string dummy_hash_;
  Limits limits_;
  std::array<unsigned char, 32> cache_key_{};

  mutable std::mutex mutex_;
  mutable std::condition_variable slot_freed_;
  mutable unsigned running_ = 0;
  mutable std::uint64_t checks_run_ = 0;
  mutable std::vector<CacheEntry> cache_;
};

}  // namespace mmx
