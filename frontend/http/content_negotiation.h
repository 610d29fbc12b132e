#pragma once
// Choosing the exposition format and the content coding of a /metrics answer
// from the scraper's Accept and Accept-Encoding headers (RFC 9110 12.5).

#include <string_view>

#include "exposition_writer.h"

namespace mmx {

// OpenMetrics 1.0.0 when the scraper names application/openmetrics-text
// (without a version or with version=1.0.0) with a q-value above 0 and not
// lower than the one text/plain 0.0.4 gets; text 0.0.4 otherwise, also when
// the header is missing, malformed or accepts neither. Wildcards never choose
// OpenMetrics: `*/*` is what curl and browsers send. Each type's q-value comes
// from the most specific range that matches it, as RFC 9110 says.
Format negotiate_format(std::string_view accept);

// True when Accept-Encoding allows gzip: "gzip" (or "x-gzip") with q > 0, or
// no mention of gzip and "*" with q > 0.
bool accepts_gzip(std::string_view accept_encoding);

}  // namespace mmx
