#include "errno_text.h"

#include <cstring>

namespace mmx {

std::string errno_text(int error) {
  char buffer[256];
  // GNU strerror_r: returns the message, in `buffer` or a static string.
  return ::strerror_r(error, buffer, sizeof buffer);
}

std::string errno_text(std::string_view what, int error) {
  std::string text(what);
  text += ": ";
  text += errno_text(error);
  return text;
}

}  // namespace mmx
