#include "http_message.h"

#include "http_text.h"
#include "request_head.h"

namespace mmx {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// %XX escapes decoded; a "%" not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
        hex_digit(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// "close" or "keep-alive" among the comma-separated tokens of Connection.
bool has_token(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    if (equals_ignoring_case(trim_blanks(list.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string_view HttpRequest::header(std::string_view name) const {
  for (const auto& field : fields) {
    if (equals_ignoring_case(field.first, name)) return field.second;
  }
  return {};
}

bool HttpRequest::keep_alive() const {
  const std::string_view connection = header("Connection");
  if (version == "HTTP/1.0") return has_token(connection, "keep-alive");
  return !has_token(connection, "close");
}

std::optional<HttpRequest> parse_request(std::string_view head) {
  HttpRequest request;
  auto next_line = [&head]() -> std::optional<std::string_view> {
    const auto end = head.find('\n');
    if (end == std::string_view::npos) return std::nullopt;
    std::string_view line = head.substr(0, end);
    head.remove_prefix(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return line;
  };
  const auto request_line = next_line();
  if (!request_line) return std::nullopt;
  const auto first_space = request_line->find(' ');
  const auto last_space = request_line->rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) return std::nullopt;
  request.method = request_line->substr(0, first_space);
  request.target = request_line->substr(first_space + 1, last_space - first_space - 1);
  request.version = request_line->substr(last_space + 1);
  if (request.method.empty() || request.target.empty() ||
      (request.version != "HTTP/1.1" && request.version != "HTTP/1.0")) {
    return std::nullopt;
  }
  request.path = percent_decode(request.target.substr(0, request.target.find('?')));
  while (const auto line = next_line()) {
    if (line->empty()) return request;  // the end of the head
    const auto colon = line->find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    request.fields.emplace_back(line->substr(0, colon), trim_blanks(line->substr(colon + 1)));
  }
  return std::nullopt;  // no empty line
}

void HttpResponse::set_text(int code, std::string text, std::string_view type) {
  status = code;
  content_type = std::string(type);
  owner.reset();
  shared = {};
  body = std::move(text);
}

std::string response_head(const HttpResponse& response, const HeaderList& common,
                          std::optional<KeepAlive> keep_alive) {
  std::string head;
  head.reserve(512);
  head += "HTTP/1.1 ";
  head += std::to_string(response.status);
  head += ' ';
  head += status_text(response.status);
  head += "\r\n";
  auto field = [&head](std::string_view name, std::string_view value) {
    head += name;
    head += ": ";
    head += value;
    head += "\r\n";
  };
  for (const auto& header : common) field(header.first, header.second);
  for (const auto& header : response.headers) field(header.first, header.second);
  if (!response.content_type.empty()) field("Content-Type", response.content_type);
  field("Content-Length", std::to_string(response.body_size()));
  if (keep_alive) {
    field("Connection", "keep-alive");
    field("Keep-Alive", "timeout=" + std::to_string(keep_alive->idle_seconds) +
                            ", max=" + std::to_string(keep_alive->max_requests));
  } else {
    field("Connection", "close");
  }
  head += "\r\n";
  return head;
}

}  // namespace mmx
