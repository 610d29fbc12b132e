#pragma once
// Checks --web.config.file before a frontend is started (or restarted on
// SIGHUP) with it, so a broken file is an error of mm-exporter's own, and a
// reload with one keeps the frontend that runs. The frontend binary does the
// check (--check-web-config): it is the one that reads the file, and the
// collector, which stays resident as root, then maps neither OpenSSL nor
// yaml-cpp.

#include <chrono>
#include <string>
#include <vector>

#include "expected.h"

namespace mmx {

struct WebConfigCheck {
  std::string frontend_binary;
  // The flags the frontend would be started with that the check reads:
  // --web.config.file, --web.external-url, --web.route-prefix.
  std::vector<std::string> args;
  std::chrono::milliseconds timeout{10'000};
};

// Whether the frontend accepts the configuration; the error says what is
// wrong: the frontend's own message, or why it could not be asked.
[[nodiscard]] Expected<> check_web_config(const WebConfigCheck& check);

}  // namespace mmx
