#pragma once
// modemmanager_scrape_errors_total{kind}: D-Bus failures since start. Kinds
// form a small fixed set so the label stays bounded.

#include <cstdint>
#include <map>
#include <string>

namespace mmx {

enum class ErrorKind {
  kTimeout,       // a call got no reply in time
  kUnauthorized,  // polkit said no (Signal.Setup, GetLocation)
  kUnsupported,   // the modem does not implement the method
  kCallFailed,    // any other D-Bus error reply
  kInvalidReply,  // a reply or signal whose arguments have the wrong types
  kInvalidValue,  // a property whose value has the wrong type
};

const char* error_kind_name(ErrorKind kind);

// Maps a D-Bus error name to a kind.
ErrorKind classify_dbus_error(const std::string& error_name);

class ErrorCounters {
 public:
  void add(ErrorKind kind) { ++counts_[kind]; }
  std::uint64_t get(ErrorKind kind) const {
    auto it = counts_.find(kind);
    return it == counts_.end() ? 0 : it->second;
  }
  std::uint64_t total() const;
  const std::map<ErrorKind, std::uint64_t>& counts() const { return counts_; }

 private:
  std::map<ErrorKind, std::uint64_t> counts_;
};

}  // namespace mmx
