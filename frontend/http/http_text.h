#pragma once
// The text operations every part of the frontend's HTTP needs: names,
// tokens and schemes compare without regard to ASCII case, field values
// and list elements lose the optional whitespace (spaces and tabs, RFC 9110
// OWS) around them, and lists split at their commas.

#include <algorithm>
#include <string_view>

namespace mmx {

inline char ascii_lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ascii_lower(x) == ascii_lower(y);
         });
}

inline std::string_view trim_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls `visit(element)` for each non-empty element of a comma-separated
// list (RFC 9110 5.6.1), without the whitespace around it.
template <typename Visit>
void for_each_list_element(std::string_view list, Visit visit) {
  while (!list.empty()) {
    const auto comma = list.find(',');
    const std::string_view element = trim_blanks(list.substr(0, comma));
    if (!element.empty()) visit(element);
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace mmx
