#pragma once
// Command-line flags in both spellings users of Prometheus exporters know:
// Go's flag package (-listen-address :9539, -signal-rate=5s) and kingpin as
// used by the exporter-toolkit (--web.listen-address=:9539). A flag may have
// several names; one or two leading dashes are accepted for every name.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "duration.h"
#include "expected.h"

namespace mmx {

class FlagSet {
 public:
  // Stores the value, or says what is wrong with it.
  using Setter = std::function<Expected<>(std::string_view value)>;

  FlagSet(std::string program, std::string summary);

  void add_string(std::vector<std::string> names, std::string* target, std::string help);
  // Repeatable: the first use replaces the default, later uses append.
  void add_strings(std::vector<std::string> names, std::vector<std::string>* target,
                   std::string help);
  void add_bool(std::vector<std::string> names, bool* target, std::string help);
  // Non-negative Go duration.
  void add_duration(std::vector<std::string> names, Duration* target, std::string help);
  void add_uint(std::vector<std::string> names, unsigned* target, unsigned min, unsigned max,
                std::string help);
  // Anything else: `setter` validates and stores.
  void add_custom(std::vector<std::string> names, std::string default_text, Setter setter,
                  std::string help);

  // Parses argv[1..argc). The error is the message for the first bad flag or
  // value (unknown flag, missing value, bad value, stray argument).
  [[nodiscard]] Expected<> parse(int argc, const char* const* argv);

  std::string usage() const;
  const std::string& program() const { return program_; }

 private:
  struct Flag {
    std::vector<std::string> names;
    std::string default_text;
    std::string help;
    bool is_bool = false;
    Setter set;
    bool* bool_target = nullptr;
  };
  Flag* find(std::string_view name, bool& negated);

  std::string program_;
  std::string summary_;
  std::vector<Flag> flags_;
};

}  // namespace mmx
