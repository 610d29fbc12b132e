// Arbitrary bytes as a --web.config.file: every input must end in a config
// or an error message, never a crash, a hang or unbounded memory. Files the
// config names are "read" from a fixed in-memory set, so the TLS fields get
// past the reading step too.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "web_config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const mmx::WebConfigFileReader reader =
      [](const std::filesystem::path& path) -> mmx::Expected<std::string> {
    if (path.filename() == "missing.pem") return mmx::fail("No such file or directory");
    return std::string("-----BEGIN CERTIFICATE-----\n") + path.string() + "\n";
  };
  auto config = mmx::parse_web_config(text, "/etc/mm", reader);
  if (!config && config.error().empty()) __builtin_trap();  // every failure says why
  return 0;
}
