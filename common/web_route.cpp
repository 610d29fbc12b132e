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

// "" when `path` (without its leading "/") is a clean path, else the problem.
std::string path_problem(std::string_view path) {
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c == '?' || c == '#') return "has a query or fragment";
    if (!is_path_char(c)) return "has a character not allowed in a URL path";
    if (c == '%' && (i + 2 >= path.size() || !is_hex(path[i + 1]) || !is_hex(path[i + 2]))) {
      return "has a \"%\" that is not followed by two hex digits";
    }
  }
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t end = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, end - start);
    if (segment.empty()) return "has an empty segment (\"//\")";
    if (segment == "." || segment == "..") return "has a \".\" or \"..\" segment";
    start = end + 1;
  }
  return "";
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

}  // namespace

std::optional<WebRoute> resolve_web_route(std::string_view external_url,
                                          std::string_view route_prefix, std::string& error) {
  WebRoute route;
  std::string external_path;
  if (!external_url.empty()) {
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
      error = where + " is not an absolute http:// or https:// URL";
      return std::nullopt;
    }
    const std::string_view rest = external_url.substr(scheme_end);
    const std::size_t slash = rest.find('/');
    const std::string_view host = rest.substr(0, slash);
    if (host.empty()) {
      error = where + " has no host";
      return std::nullopt;
    }
    for (char c : host) {
      if (c == '@') {
        error = where + " has credentials in it";
        return std::nullopt;
      }
      if (std::isalnum(static_cast<unsigned char>(c)) == 0 &&
          std::string_view("-._~:[]%").find(c) == std::string_view::npos) {
        error = where + " has a character not allowed in a host";
        return std::nullopt;
      }
    }
    const std::string_view path =
        slash == std::string_view::npos ? std::string_view() : rest.substr(slash);
    external_path = normalise_prefix(path);
    if (std::string problem =
            path_problem(std::string_view(external_path).substr(external_path.empty() ? 0 : 1));
        !external_path.empty() && !problem.empty()) {
      error = where + ": the path " + problem;
      return std::nullopt;
    }
    if (path.find_first_of("?#") != std::string_view::npos) {
      error = where + " has a query or fragment";
      return std::nullopt;
    }
    route.external_url = lower.substr(0, scheme_end) + std::string(host) + external_path;
  }
  if (!route_prefix.empty()) {
    route.route_prefix = normalise_prefix(route_prefix);
    if (!route.route_prefix.empty()) {
      if (std::string problem = path_problem(std::string_view(route.route_prefix).substr(1));
          !problem.empty()) {
        error = "--web.route-prefix: " + quoted(route_prefix) + " " + problem;
        return std::nullopt;
      }
    }
  } else {
    route.route_prefix = external_path;
  }
  return route;
}

}  // namespace mmx
