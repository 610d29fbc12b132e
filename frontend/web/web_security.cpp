#include "web_security.h"

#include "web_config.h"

namespace mmx {

Expected<std::shared_ptr<const WebSecurity>> load_web_security(const std::string& config_file,
                                                               const WebRoute& route) {
  auto security = std::make_shared<WebSecurity>();
  security->route_prefix = route.route_prefix;
  security->external_url = route.external_url;
  if (config_file.empty()) return security;

  auto config = load_web_config(config_file);
  if (!config) return fail(std::move(config.error()));
  if (config->tls.enabled) {
    auto tls = make_tls_context(config->tls);
    if (!tls) return fail(config_file + ": " + tls.error());
    security->tls = std::move(*tls);
  }
  if (!config->basic_auth_users.empty()) {
    security->basic_auth = std::make_unique<const BasicAuth>(std::move(config->basic_auth_users));
  }
  security->headers = std::move(config->headers);
  security->notes = std::move(config->notes);
  return security;
}

}  // namespace mmx
