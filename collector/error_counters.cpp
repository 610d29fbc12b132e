#include "error_counters.h"

namespace mmx {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kUnauthorized:
      return "unauthorized";
    case ErrorKind::kUnsupported:
      return "unsupported";
    case ErrorKind::kCallFailed:
      return "call_failed";
    case ErrorKind::kInvalidReply:
      return "invalid_reply";
    case ErrorKind::kInvalidValue:
      return "invalid_value";
  }
  return "call_failed";
}

ErrorKind classify_dbus_error(const std::string& name) {
  if (name == "org.freedesktop.DBus.Error.NoReply" ||
      name == "org.freedesktop.DBus.Error.Timeout" ||
      name == "org.freedesktop.DBus.Error.TimedOut") {
    return ErrorKind::kTimeout;
  }
  if (name == "org.freedesktop.ModemManager1.Error.Core.Unauthorized" ||
      name == "org.freedesktop.DBus.Error.AccessDenied" ||
      name == "org.freedesktop.DBus.Error.AuthFailed") {
    return ErrorKind::kUnauthorized;
  }
  if (name == "org.freedesktop.ModemManager1.Error.Core.Unsupported" ||
      name == "org.freedesktop.DBus.Error.UnknownMethod" ||
      name == "org.freedesktop.DBus.Error.UnknownInterface" ||
      name == "org.freedesktop.DBus.Error.NotSupported") {
    return ErrorKind::kUnsupported;
  }
  if (name == "org.freedesktop.DBus.Error.InvalidArgs" ||
      name == "org.freedesktop.DBus.Error.InvalidSignature") {
    return ErrorKind::kInvalidReply;
  }
  return ErrorKind::kCallFailed;
}

std::uint64_t ErrorCounters::total() const {
  std::uint64_t sum = 0;
  for (const auto& [kind, n] : counts_) sum += n;
  return sum;
}

}  // namespace mmx
