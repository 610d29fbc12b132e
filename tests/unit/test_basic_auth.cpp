#include <crypt.h>
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "basic_auth.h"

namespace {

using mmx::AuthResult;
using mmx::BasicAuth;

std::string bcrypt(const std::string& password, unsigned long cost) {
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  REQUIRE(crypt_gensalt_rn("$2b$", cost, nullptr, 0, setting, sizeof setting) != nullptr);
  crypt_data data{};
  const char* hash = crypt_rn(password.c_str(), setting, &data, sizeof data);
  REQUIRE(hash != nullptr);
  return hash;
}

std::string base64(const std::string& in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16 |
                       static_cast<unsigned char>(in[i + 1]) << 8 |
                       static_cast<unsigned char>(in[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
  }
  if (in.size() - i == 1) {
    const unsigned v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (in.size() - i == 2) {
    const unsigned v =
        static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + base64(user + ":" + password);
}

const std::string& alice_hash() {
  static const std::string hash = bcrypt("wonder:land", 4);
  return hash;
}

}  // namespace

namespace {

// The problem check_bcrypt_hash() finds with `hash`; "" when it finds none.
std::string hash_problem(std::string_view hash) {
  auto valid = mmx::check_bcrypt_hash(hash);
  return valid ? "" : valid.error();
}

}  // namespace

TEST_CASE("basic auth: bcrypt hashes are checked at load") {
  CHECK(mmx::check_bcrypt_hash(alice_hash()));
  CHECK(mmx::check_bcrypt_hash("$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
  CHECK(mmx::check_bcrypt_hash("$2a$14$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG"));
  CHECK(hash_problem("$2y$15$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG")
            .find("above 14") != std::string::npos);
  CHECK(hash_problem("$2y$03$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG")
            .find("below 4") != std::string::npos);
  CHECK(hash_problem("$1$abc$def").find("not a bcrypt hash") != std::string::npos);
  CHECK(hash_problem("plain").find("not a bcrypt hash") != std::string::npos);
  CHECK(hash_problem("$2y$1x$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7zG")
            .find("not a valid") != std::string::npos);
  CHECK(hash_problem("$2y$10$X0h1gDsPszWURQaxFh.zoubFi6DXncSjhoQNJgRrnGs7EsimhC7z!")
            .find("not a valid") != std::string::npos);
}

TEST_CASE("basic auth: the right password passes, anything else is unauthorized") {
  const BasicAuth auth({{"alice", alice_hash()}});
  CHECK(auth.check(basic("alice", "wonder:land")) == AuthResult::kOk);
  CHECK(auth.check("basic " + base64("alice:wonder:land")) == AuthResult::kOk);
  CHECK(auth.check("Basic   " + base64("alice:wonder:land") + " ") == AuthResult::kOk);
  CHECK(auth.check(basic("alice", "wonder")) == AuthResult::kUnauthorized);
  CHECK(auth.check(basic("Alice", "wonder:land")) == AuthResult::kUnauthorized);
  CHECK(auth.check(basic("bob", "wonder:land")) == AuthResult::kUnauthorized);
  CHECK(auth.check(basic("alice", std::string("wonder:land\0x", 13))) == AuthResult::kUnauthorized);
  for (const std::string& bad :
       {std::string(), std::string("Basic"), std::string("Basic "), std::string("Bearer abc"),
        std::string("Basic !!!!"), std::string("Basic YWxpY2U"), "Basic " + base64("alice"),
        "Digest " + base64("alice:wonder:land"), std::string("Basic=") + base64("a:b"),
        "Basic " + std::string(5000, 'A')}) {
    CHECK_MESSAGE(auth.check(bad) == AuthResult::kUnauthorized, bad.substr(0, 40));
  }
  CHECK(BasicAuth::kChallenge == "Basic realm=\"mm-exporter\", charset=\"UTF-8\"");
}

TEST_CASE("basic auth: an unknown user costs a bcrypt check too") {
  const BasicAuth auth({{"alice", alice_hash()}});
  const auto before = auth.checks_run();
  CHECK(auth.check(basic("mallory", "x")) == AuthResult::kUnauthorized);
  CHECK(auth.checks_run() == before + 1);
  CHECK(auth.check(basic("alice", "x")) == AuthResult::kUnauthorized);
  CHECK(auth.checks_run() == before + 2);
}

TEST_CASE("basic auth: a good login is cached, a bad one is not") {
  const BasicAuth auth({{"alice", alice_hash()}});
  CHECK(auth.check(basic("alice", "wonder:land")) == AuthResult::kOk);
  const auto after_first = auth.checks_run();
  for (int i = 0; i < 5; ++i) CHECK(auth.check(basic("alice", "wonder:land")) == AuthResult::kOk);
  CHECK(auth.checks_run() == after_first);
  for (int i = 0; i < 2; ++i)
    CHECK(auth.check(basic("alice", "nope")) == AuthResult::kUnauthorized);
  CHECK(auth.checks_run() == after_first + 2);

  // A zero TTL turns the cache off.
  const BasicAuth uncached({{"alice", alice_hash()}},
                           {2, std::chrono::milliseconds(500), std::chrono::seconds(0)});
  CHECK(uncached.check(basic("alice", "wonder:land")) == AuthResult::kOk);
  CHECK(uncached.check(basic("alice", "wonder:land")) == AuthResult::kOk);
  CHECK(uncached.checks_run() == 2);
}

TEST_CASE("basic auth: checks beyond the limit wait briefly, then are busy") {
  // Cost 12 keeps one check busy long enough (some 200 ms) to be seen.
  const BasicAuth auth({{"alice", bcrypt("pw", 12)}},
                       {1, std::chrono::milliseconds(1), std::chrono::seconds(300)});
  std::atomic<int> first{-1};
  std::thread busy([&] { first = static_cast<int>(auth.check(basic("alice", "wrong"))); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (auth.checks_run() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(auth.check(basic("alice", "pw")) == AuthResult::kBusy);
  busy.join();
  CHECK(first == static_cast<int>(AuthResult::kUnauthorized));
  CHECK(auth.check(basic("alice", "pw")) == AuthResult::kOk);
}

TEST_CASE("basic auth: a flood of wrong passwords does not starve a cached scraper") {
  const BasicAuth auth({{"prometheus", bcrypt("scrape", 8)}});
  REQUIRE(auth.check(basic("prometheus", "scrape")) == AuthResult::kOk);
  std::atomic<bool> stop{false};
  std::vector<std::thread> flood;
  for (int i = 0; i < 8; ++i) {
    flood.emplace_back([&, i] {
      for (int n = 0; !stop; ++n) {
        auth.check(basic(n % 2 ? "prometheus" : "nobody", "guess" + std::to_string(i * 1000 + n)));
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto slowest = std::chrono::steady_clock::duration::zero();
  for (int i = 0; i < 20; ++i) {
    const auto start = std::chrono::steady_clock::now();
    CHECK(auth.check(basic("prometheus", "scrape")) == AuthResult::kOk);
    slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
  }
  stop = true;
  for (auto& t : flood) t.join();
  MESSAGE("slowest cached check during the flood: "
          << std::chrono::duration_cast<std::chrono::microseconds>(slowest).count() << " us");
  CHECK(slowest < std::chrono::milliseconds(50));
}
