#pragma once
// --web.external-url and --web.route-prefix, with Prometheus's meaning: the
// external URL is where users reach the exporter (a reverse proxy's URL);
// the route prefix is the path the exporter serves under, by default the
// external URL's path. Both processes check them, so a bad value fails
// mm-exporter at start-up rather than every frontend it starts.

#include <string>
#include <string_view>

#include "expected.h"

namespace mmx {

struct WebRoute {
  // scheme://host[:port][/path] without a trailing "/"; "" when not given.
  std::string external_url;
  // "" for the root, else "/a/b": starts with "/", never ends with one, so
  // route_prefix + "/metrics" is the path of the metrics.
  std::string route_prefix;
};

// Validates and normalises both flags (either may be empty). The error is
// "--web.<flag>: <problem>".
[[nodiscard]] Expected<WebRoute> resolve_web_route(std::string_view external_url,
                                                   std::string_view route_prefix);

}  // namespace mmx
