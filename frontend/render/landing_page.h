#pragma once
// The HTML page at "/": every modem at a glance (state, operator, technology,
// registration, signal quality and the technology's own measurements coloured
// good/fair/poor, bearers with their traffic, SIMs and locks) and the
// exporter's own health, with links to /metrics and /health.
//
// Self-contained because the sandboxed frontend serves only compiled-in
// bytes and a reverse proxy may serve it under any prefix: one <style>
// element (its hash is landing_page_style_hash()), no script, no style
// attribute, no external asset, every link relative. Every string from the
// snapshot is HTML-escaped and its UTF-8 repaired.

#include <cstdint>
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
  // Wall-clock time of the request, for the snapshot's age; unset reads the
  // system clock (tests set it so pages are reproducible).
  std::optional<std::int64_t> now_unix_nanos;
  // Why the collector counts as gone (what /health says), shown when
  // there is no snapshot; empty gives a generic sentence.
  std::string_view collector_problem;
};

// `snapshot` is the one served now; nullopt when the collector is not
// connected (the page then says so and shows no modem).
std::string render_landing_page(std::optional<schema::Snapshot::Reader> snapshot,
                                const LandingInfo& info);

// The CSP source expression that allows the page's one <style> element and
// nothing else: "'sha256-…'" (base64 of the SHA-256 computed at build time).
std::string_view landing_page_style_hash();

// The policy the page works under, for the Content-Security-Policy header:
// nothing may load, run or submit; only the page's own style applies.
std::string_view landing_page_content_security_policy();

// "'sha256-<base64>'" from 64 hex digits of a SHA-256; empty if `hex` is not
// that.
std::string csp_sha256_source(std::string_view sha256_hex);

// A relative reference from the page at `page_path` to the absolute path
// `target_path`: "/" -> "/metrics" gives "./metrics", "/a/b" -> "/metrics"
// gives "../metrics". Characters a URL path cannot hold are percent-encoded.
std::string relative_link(std::string_view page_path, std::string_view target_path);

}  // namespace mmx
