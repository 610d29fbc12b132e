// mm-exporter: the collector, and the one-command entry point that starts
// the sandboxed frontend.

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "build_info.h"
#include "collector_app.h"
#include "collector_flags.h"
#include "log.h"

int main(int argc, char** argv) {
  mmx::CollectorConfig config;
  std::string usage;
  if (auto parsed = mmx::parse_collector_flags(argc, argv, config, &usage); !parsed) {
    std::fprintf(stderr, "mm-exporter: %s (see --help)\n", parsed.error().c_str());
    return 2;
  }
  if (config.show_help) {
    std::cout << usage;
    return 0;
  }
  if (config.show_version) {
    std::cout << mmx::version_text("mm-exporter");
    return 0;
  }
  if (!config.web_config_file.empty()) {
    // Absolute, so the frontend and every reload read the same file.
    std::error_code ec;
    auto absolute = std::filesystem::absolute(config.web_config_file, ec);
    if (!ec) config.web_config_file = absolute.string();
    if (const auto checked = mmx::check_web_config_file(config); !checked) {
      std::fprintf(stderr, "mm-exporter: %s\n", checked.error().c_str());
      return 2;
    }
  }
  mmx::set_log_component("collector");
  mmx::set_log_level(config.log_level);
  mmx::log_info("Starting mm-exporter",
                {{"version", mmx::build_info().version}, {"revision", mmx::build_info().revision}});
  mmx::CollectorApp app(std::move(config));
  return app.run();
}
