#include "web_security.h"

#include "web_config.h"

namespace mmx {

std::shared_ptr<const WebSecurity> load_web_security(const std::string& config_file,
                                                     const WebRoute& route, std::string& error) {
  auto security = std::make_shared<WebSecurity>();
  security->route_prefix = route.route_prefix;
  security->external_url = route.external_url;
  if (config_file.empty()) return security;

  auto config = load_web_config(config_file, error);
  if (!config) return nullptr;
  if (config->tls.enabled) {
    std::string tls_error;
    security->tls = make_tls_context(config->tls, tls_error);
    if (!security->tls) {
      error = config_file + ": " + tls_error;
      return nullptr;
    }
  }
  if (!config->basic_auth_users.empty()) {
    security->basic_auth = std::make_unique<const BasicAuth>(std::move(config->basic_auth_users));
  }
  security->headers = std::move(config->headers);
  security->notes = std::move(config->notes);
  return security;
}

}  // namespace mmx
