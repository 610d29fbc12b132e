#include "web_route.h"

#include <cctype>

namespace mmx {
namespace {

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// RFC 3986 path characters, less the quote, so a prefix can go into HTML
// attributes and log lines as it is.
bool is_path_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) != 0) return true;
  return std::string_view("-._~!$&()*+,;=:@%/").find(c) != std::string_view::npos;
}

// Whether `path` (without its leading "/") is a clean path; the problem if not.
Expected<> check_path(std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '?' || c == '#') return fail("has a query or fragment");
    if (!is_path_char(c)) return fail("has a character not allowed in a URL path");
    if (c == '%' && (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))) {
      return fail("has a \"%\" that is not followed by two hex digits");
    }
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty()) return fail("has an empty segment (\"//\")");
    if (segment == "." || segment == "..") return fail("has a \".\" or \"..\" segment");
    start = end + 1;
  }
  return {};
}

// "/" + the path without leading and trailing slashes; "" for the root.
std::string normalise_prefix(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  return path.empty() ? std::string() : "/" + std::string(path);
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text.substr(0, 200)) + (text.size() > 200 ? "...\"" : "\"");
}

// The host of an external URL, with the reason when it is not one.
Expected<> check_host(std::string_view host) {
  if (host.empty()) return fail("has no host");
  for (char c : host) {
    if (c == '@') return fail("has credentials in it");
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
        std::string_view("-._~:[]%").find(c) == std::string_view::npos) {
      return fail("has a character not allowed in a host");
    }
  }
  return {};
}

struct ExternalUrl {
  std::string url;   // normalised: lower-case scheme, no trailing "/"
  std::string path;  // normalised as a route prefix
};

Expected<ExternalUrl> parse_external_url(std::string_view external_url) {
  const std::string where = "--web.external-url: " + quoted(external_url);
  std::string lower;
  for (char c : external_url.substr(0, 8)) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  std::size_t scheme_end = 0;
  if (lower.rfind("http://", 0) == 0) {
    scheme_end = 7;
  } else if (lower.rfind("https://", 0) == 0) {
    scheme_end = 8;
  } else {
    return fail(where + " is not an absolute http:// or https:// URL");
  }
  const std::string_view rest = external_url.substr(scheme_end);
  const std::size_t slash = rest.find('/');
  const std::string_view host = rest.substr(0, slash);
  if (auto checked = check_host(host); !checked) return fail(where + " " + checked.error());
  const std::string_view path =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
  ExternalUrl external;
  external.path = normalise_prefix(path);
  if (!external.path.empty()) {
    if (auto clean = check_path(std::string_view(external.path).substr(1)); !clean) {
      return fail(where + ": the path " + clean.error());
    }
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return fail(where + " has a query or fragment");
  }
  external.url = lower.substr(0, scheme_end) + std::string(host) + external.path;
  return external;
}

}  // namespace

Expected<WebRoute> resolve_web_route(std::string_view external_url, std::string_view route_prefix) {
  WebRoute route;
  std::string external_path;
  if (!external_url.empty()) {
    auto external = parse_external_url(external_url);
    if (!external) return fail(external.error());
    route.external_url = std::move(external->url);
    external_path = std::move(external->path);
  }
  if (route_prefix.empty()) {
    route.route_prefix = external_path;
    return route;
  }
  route.route_prefix = normalise_prefix(route_prefix);
  if (!route.route_prefix.empty()) {
    if (auto clean = check_path(std::string_view(route.route_prefix).substr(1)); !clean) {
      return fail("--web.route-prefix: " + quoted(route_prefix) + " " + clean.error());
    }
  }
  return route;
}

}  // namespace mmx
