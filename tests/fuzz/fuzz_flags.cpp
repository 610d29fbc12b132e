// Command lines for both binaries: NUL-separated arguments. Every input must
// parse or give an error message, never crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "collector_flags.h"
#include "duration.h"
#include "frontend_flags.h"
#include "sockets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args = {"prog"};
  std::string current;
  for (char c : input) {
    if (c == '\0') {
      args.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  args.push_back(current);
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());

  mmx::CollectorConfig config;
  std::string usage;
  (void)mmx::parse_collector_flags(static_cast<int>(argv.size()), argv.data(), config, &usage);
  (void)mmx::parse_frontend_flags(static_cast<int>(argv.size()), argv.data());
  (void)mmx::parse_duration(input);
  (void)mmx::parse_listen_address(input);
  return 0;
}
