#pragma once
// The HTML page at "/": what this is, links to /metrics and /health, and the
// modems at a glance. Self-contained (inline CSS, no script, no external
// asset) because the sandboxed frontend serves only compiled-in bytes. Every
// string from the snapshot is HTML-escaped and its UTF-8 repaired.

#include <optional>
#include <string>
#include <string_view>

#include "snapshot.capnp.h"

namespace mmx {

struct LandingInfo {
  std::string_view program = "mm-exporter";
  std::string_view version;
  std::string_view revision;
  // The request path the page is served at; links are made relative to it,
  // so they keep working behind a reverse proxy that adds a path prefix.
  std::string_view page_path = "/";
  std::string_view metrics_path = "/metrics";
  std::string_view health_path = "/health";
};

// `snapshot` is the one served now; nullopt when the collector is not
// connected (the page then says so and shows no modem).
std::string render_landing_page(std::optional<schema::Snapshot::Reader> snapshot,
                                const LandingInfo& info);

// A relative reference from the page at `page_path` to the absolute path
// `target_path`: "/" -> "/metrics" gives "./metrics", "/a/b" -> "/metrics"
// gives "../metrics". Characters a URL path cannot hold are percent-encoded.
std::string relative_link(std::string_view page_path, std::string_view target_path);

}  // namespace mmx
