#include "content_negotiation.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <string>

#include "http_text.h"

namespace mmx {
namespace {

// RFC 9110's qvalue: "0" ["." 0*3DIGIT] or "1" ["." 0*3"0"], in thousandths.
std::optional<int> parse_qvalue(std::string_view text) {
  if (text.empty() || text.size() > 5 || (text[0] != '0' && text[0] != '1')) return std::nullopt;
  int thousandths = (text[0] - '0') * 1000;
  if (text.size() > 1) {
    if (text[1] != '.') return std::nullopt;
    int scale = 100;
    for (char c : text.substr(2)) {
      if (c < '0' || c > '9') return std::nullopt;
      thousandths += (c - '0') * scale;
      scale /= 10;
    }
  }
  if (thousandths > 1000) return std::nullopt;
  return thousandths;
}

// One element of a header: "token[/token] *(; name=value)".
struct Element {
  std::string_view value;
  std::string_view version;  // the "version" parameter, unquoted; empty when absent
  int q = 1000;              // thousandths
  bool valid = true;
};

Element parse_element(std::string_view text) {
  Element element;
  const auto semicolon = text.find(';');
  element.value = trim_blanks(text.substr(0, semicolon));
  if (semicolon == std::string_view::npos) return element;
  std::string_view params = text.substr(semicolon + 1);
  while (!params.empty()) {
    const auto next = params.find(';');
    std::string_view param = trim_blanks(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    const auto eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = trim_blanks(param.substr(0, eq));
    std::string_view value = trim_blanks(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    if (equals_ignoring_case(name, "q")) {
      auto q = parse_qvalue(value);
      if (!q) element.valid = false;
      element.q = q.value_or(0);
    } else if (equals_ignoring_case(name, "version")) {
      element.version = value;
    }
  }
  return element;
}

// How well a media range matches one of the types we offer: -1 no match,
// 0 "*/*", 1 "type/*", 2 the type, 3 the type with our version named.
struct Offer {
  std::string_view type;
  std::string_view subtype;
  std::string_view version;
};

int specificity(const Element& range, const Offer& offer) {
  const auto slash = range.value.find('/');
  if (slash == std::string_view::npos) return -1;
  const std::string_view type = trim_blanks(range.value.substr(0, slash));
  const std::string_view subtype = trim_blanks(range.value.substr(slash + 1));
  if (type == "*" && subtype == "*") return 0;
  if (!equals_ignoring_case(type, offer.type)) return -1;
  if (subtype == "*") return 1;
  if (!equals_ignoring_case(subtype, offer.subtype)) return -1;
  if (range.version.empty()) return 2;
  return range.version == offer.version ? 3 : -1;
}

// The q-value (thousandths) `accept` gives `offer`, and whether it came from
// a range that names the type itself rather than a wildcard.
struct Quality {
  int q = 0;
  bool explicit_type = false;
};

Quality quality(std::string_view accept, const Offer& offer) {
  int best_specificity = -1;
  Quality result;
  for_each_list_element(accept, [&](std::string_view text) {
    const Element range = parse_element(text);
    if (!range.valid) return;
    const int s = specificity(range, offer);
    if (s < 0 || s < best_specificity) return;
    if (s > best_specificity) {
      best_specificity = s;
      result.q = range.q;
    } else {
      result.q = std::max(result.q, range.q);
    }
    result.explicit_type = s >= 2;
  });
  return result;
}

constexpr Offer kOpenMetrics{"application", "openmetrics-text", "1.0.0"};
constexpr Offer kText{"text", "plain", "0.0.4"};

}  // namespace

Format negotiate_format(std::string_view accept) {
  const Quality open_metrics = quality(accept, kOpenMetrics);
  if (!open_metrics.explicit_type || open_metrics.q == 0) return Format::kText;
  return open_metrics.q >= quality(accept, kText).q ? Format::kOpenMetrics : Format::kText;
}

bool accepts_gzip(std::string_view accept_encoding) {
  std::optional<int> gzip;
  std::optional<int> any;
  for_each_list_element(accept_encoding, [&](std::string_view text) {
    const Element coding = parse_element(text);
    if (!coding.valid) return;
    if (equals_ignoring_case(coding.value, "gzip") ||
        equals_ignoring_case(coding.value, "x-gzip")) {
      gzip = std::max(gzip.value_or(0), coding.q);
    } else if (coding.value == "*") {
      any = std::max(any.value_or(0), coding.q);
    }
  });
  if (gzip) return *gzip > 0;
  return any.value_or(0) > 0;
}

}  // namespace mmx
