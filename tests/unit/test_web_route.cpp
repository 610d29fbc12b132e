#include <doctest/doctest.h>

#include <string>

#include "web_route.h"

namespace {

mmx::WebRoute route(const std::string& external, const std::string& prefix) {
  auto r = mmx::resolve_web_route(external, prefix);
  REQUIRE_MESSAGE(r, r.error());
  return *r;
}

std::string error_of(const std::string& external, const std::string& prefix) {
  auto r = mmx::resolve_web_route(external, prefix);
  REQUIRE_FALSE(r);
  return r.error();
}

}  // namespace

TEST_CASE("web route: the prefix defaults to the external URL's path") {
  CHECK(route("", "").route_prefix.empty());
  CHECK(route("", "").external_url.empty());
  CHECK(route("https://proxy.example/mm/", "").route_prefix == "/mm");
  CHECK(route("https://proxy.example/mm/", "").external_url == "https://proxy.example/mm");
  CHECK(route("HTTP://proxy.example:8443", "").external_url == "http://proxy.example:8443");
  CHECK(route("http://[::1]:9539/a/b", "").route_prefix == "/a/b");
  CHECK(route("https://proxy.example/", "").route_prefix.empty());
}

TEST_CASE("web route: a given prefix wins and is normalised") {
  CHECK(route("https://proxy.example/mm/", "/").route_prefix.empty());
  CHECK(route("https://proxy.example/mm/", "/other").route_prefix == "/other");
  CHECK(route("", "mm").route_prefix == "/mm");
  CHECK(route("", "/mm/").route_prefix == "/mm");
  CHECK(route("", "/a-b_c.d~e/%41").route_prefix == "/a-b_c.d~e/%41");
}

TEST_CASE("web route: bad values name their flag") {
  CHECK(error_of("proxy.example/mm", "") ==
        "--web.external-url: \"proxy.example/mm\" is not an absolute http:// or https:// URL");
  CHECK(error_of("ftp://x/", "") ==
        "--web.external-url: \"ftp://x/\" is not an absolute http:// or https:// URL");
  CHECK(error_of("https:///mm", "") == "--web.external-url: \"https:///mm\" has no host");
  CHECK(error_of("https://user:pw@host/", "") ==
        "--web.external-url: \"https://user:pw@host/\" has credentials in it");
  CHECK(error_of("https://host/mm?x=1", "").find("query or fragment") != std::string::npos);
  CHECK(error_of("https://host/a b", "").find("not allowed") != std::string::npos);
  CHECK(error_of("", "/a/../b") == "--web.route-prefix: \"/a/../b\" has a \".\" or \"..\" segment");
  CHECK(error_of("", "/a//b") == "--web.route-prefix: \"/a//b\" has an empty segment (\"//\")");
  CHECK(error_of("", "/a\"b").find("not allowed") != std::string::npos);
  CHECK(error_of("", "/a%zz").find("two hex digits") != std::string::npos);
  CHECK(error_of("", "/a#b").find("query or fragment") != std::string::npos);
}
