#include <doctest/doctest.h>

#include "content_negotiation.h"

using mmx::Format;
using mmx::negotiate_format;

TEST_CASE("content negotiation: text 0.0.4 without an Accept header or with wildcards") {
  CHECK(negotiate_format("") == Format::kText);
  CHECK(negotiate_format("*/*") == Format::kText);  // curl
  CHECK(negotiate_format("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") ==
        Format::kText);  // a browser
  CHECK(negotiate_format("application/*") == Format::kText);
  CHECK(negotiate_format("text/plain") == Format::kText);
  CHECK(negotiate_format("text/plain;version=0.0.4") == Format::kText);
}

TEST_CASE("content negotiation: OpenMetrics when the scraper prefers it") {
  // Prometheus 2.x with OpenMetrics enabled, as it sends it.
  CHECK(negotiate_format("application/openmetrics-text;version=1.0.0,application/"
                         "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,"
                         "*/*;q=0.1") == Format::kOpenMetrics);
  CHECK(negotiate_format("application/openmetrics-text; version=1.0.0; charset=utf-8") ==
        Format::kOpenMetrics);
  CHECK(negotiate_format("application/openmetrics-text") == Format::kOpenMetrics);
  CHECK(negotiate_format("Application/OpenMetrics-Text; Version=\"1.0.0\"") ==
        Format::kOpenMetrics);
}

TEST_CASE("content negotiation: q-values decide, a tie goes to OpenMetrics") {
  CHECK(negotiate_format("text/plain;version=0.0.4;q=1,application/openmetrics-text;q=0.5") ==
        Format::kText);
  CHECK(negotiate_format("text/plain;q=0.5,application/openmetrics-text;q=0.5") ==
        Format::kOpenMetrics);
  CHECK(negotiate_format("application/openmetrics-text;q=0.2,*/*;q=0.1") == Format::kOpenMetrics);
  CHECK(negotiate_format("application/openmetrics-text;q=0.2,*/*;q=0.3") == Format::kText);
  // q=0 means "not acceptable".
  CHECK(negotiate_format("application/openmetrics-text;q=0") == Format::kText);
  CHECK(negotiate_format("application/openmetrics-text;q=0.000, text/plain;q=0.001") ==
        Format::kText);
}

TEST_CASE("content negotiation: the most specific range sets a type's q-value") {
  // text/plain;version=0.0.4 at 0.3 outranks text/* at 1.
  CHECK(negotiate_format("text/*,text/plain;version=0.0.4;q=0.3,"
                         "application/openmetrics-text;q=0.4") == Format::kOpenMetrics);
  // An explicit q=0 for text does not make OpenMetrics unacceptable.
  CHECK(negotiate_format("text/plain;q=0,application/openmetrics-text;q=0.1") ==
        Format::kOpenMetrics);
}

TEST_CASE("content negotiation: versions we do not serve are not chosen") {
  CHECK(negotiate_format("application/openmetrics-text;version=0.0.1") == Format::kText);
  CHECK(negotiate_format("application/openmetrics-text;version=2.0.0") == Format::kText);
  // A text version we do not serve matches nothing we offer.
  CHECK(negotiate_format("text/plain;version=1.0.0,application/openmetrics-text;q=0.5") ==
        Format::kOpenMetrics);
}

TEST_CASE("content negotiation: malformed headers fall back to text") {
  CHECK(negotiate_format("application/openmetrics-text;q=banana") == Format::kText);
  CHECK(negotiate_format("application/openmetrics-text;q=1.5") == Format::kText);
  CHECK(negotiate_format(",,;;==") == Format::kText);
  CHECK(negotiate_format("openmetrics") == Format::kText);
  CHECK(negotiate_format(";q=1,application/openmetrics-text;;;q=0.9") == Format::kOpenMetrics);
}

TEST_CASE("content negotiation: gzip when Accept-Encoding allows it") {
  CHECK(mmx::accepts_gzip("gzip"));
  CHECK(mmx::accepts_gzip("gzip, deflate, br"));
  CHECK(mmx::accepts_gzip("deflate, GZIP;q=0.5"));
  CHECK(mmx::accepts_gzip("x-gzip"));
  CHECK(mmx::accepts_gzip("*"));
  CHECK(mmx::accepts_gzip("br;q=1, *;q=0.1"));
  CHECK_FALSE(mmx::accepts_gzip(""));
  CHECK_FALSE(mmx::accepts_gzip("identity"));
  CHECK_FALSE(mmx::accepts_gzip("br"));
  CHECK_FALSE(mmx::accepts_gzip("gzip;q=0"));
  CHECK_FALSE(mmx::accepts_gzip("gzip;q=0, *"));  // the explicit refusal wins over *
  CHECK_FALSE(mmx::accepts_gzip("*;q=0"));
  CHECK_FALSE(mmx::accepts_gzip("gzipped"));
}
