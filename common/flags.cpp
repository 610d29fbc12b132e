#include "flags.h"

#include <charconv>
#include <memory>
#include <optional>

namespace mmx {

FlagSet::FlagSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void FlagSet::add_string(std::vector<std::string> names, std::string* target, std::string help) {
  add_custom(
      std::move(names), *target,
      [target](std::string_view v) -> Expected<> {
        *target = std::string(v);
        return {};
      },
      std::move(help));
}

void FlagSet::add_strings(std::vector<std::string> names, std::vector<std::string>* target,
                          std::string help) {
  std::string default_text;
  for (const auto& v : *target) default_text += (default_text.empty() ? "" : ",") + v;
  auto replaced = std::make_shared<bool>(false);
  add_custom(
      std::move(names), default_text,
      [target, replaced](std::string_view v) -> Expected<> {
        if (!*replaced) target->clear();
        *replaced = true;
        target->emplace_back(v);
        return {};
      },
      std::move(help));
}

void FlagSet::add_bool(std::vector<std::string> names, bool* target, std::string help) {
  Flag flag;
  flag.names = std::move(names);
  flag.default_text = *target ? "true" : "false";
  flag.help = std::move(help);
  flag.is_bool = true;
  flag.bool_target = target;
  flag.set = [target](std::string_view v) -> Expected<> {
    if (v == "true" || v == "1") {
      *target = true;
    } else if (v == "false" || v == "0") {
      *target = false;
    } else {
      return fail("expected true or false, got \"" + std::string(v) + "\"");
    }
    return {};
  };
  flags_.push_back(std::move(flag));
}

void FlagSet::add_duration(std::vector<std::string> names, Duration* target, std::string help) {
  add_custom(
      std::move(names), format_duration(*target),
      [target](std::string_view v) -> Expected<> {
        auto d = parse_duration(v);
        if (!d) {
          return fail("invalid duration \"" + std::string(v) +
                      "\" (want Go syntax such as 500ms, 5s, 1m)");
        }
        *target = *d;
        return {};
      },
      std::move(help));
}

void FlagSet::add_uint(std::vector<std::string> names, unsigned* target, unsigned min, unsigned max,
                       std::string help) {
  add_custom(
      std::move(names), std::to_string(*target),
      [=](std::string_view v) -> Expected<> {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), value);
        if (ec != std::errc() || end != v.data() + v.size() || value < min || value > max) {
          return fail("invalid value \"" + std::string(v) + "\" (want an integer from " +
                      std::to_string(min) + " to " + std::to_string(max) + ")");
        }
        *target = value;
        return {};
      },
      std::move(help));
}

void FlagSet::add_custom(std::vector<std::string> names, std::string default_text, Setter setter,
                         std::string help) {
  Flag flag;
  flag.names = std::move(names);
  flag.default_text = std::move(default_text);
  flag.help = std::move(help);
  flag.set = std::move(setter);
  flags_.push_back(std::move(flag));
}

FlagSet::Flag* FlagSet::find(std::string_view name, bool& negated) {
  negated = false;
  for (auto& flag : flags_) {
    for (const auto& n : flag.names) {
      if (n == name) return &flag;
    }
  }
  // kingpin's negation of boolean flags: --no-foo.
  if (name.substr(0, 3) == "no-") {
    for (auto& flag : flags_) {
      if (!flag.is_bool) continue;
      for (const auto& n : flag.names) {
        if (n == name.substr(3)) {
          negated = true;
          return &flag;
        }
      }
    }
  }
  return nullptr;
}

Expected<> FlagSet::parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      return fail("unexpected argument \"" + std::string(arg) + "\"");
    }
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    bool negated = false;
    Flag* flag = find(name, negated);
    if (flag == nullptr) return fail("unknown flag -" + std::string(name.empty() ? arg : name));
    const std::string shown = std::string(argv[i]).substr(0, std::string(argv[i]).find('='));
    if (flag->is_bool) {
      if (negated) {
        if (value) return fail("flag " + shown + " takes no value");
        *flag->bool_target = false;
        continue;
      }
      if (!value) value = "true";
    } else if (!value) {
      if (i + 1 >= argc) return fail("flag " + shown + " needs a value");
      value = argv[++i];
    }
    if (auto set = flag->set(*value); !set) return fail("flag " + shown + ": " + set.error());
  }
  return {};
}

std::string FlagSet::usage() const {
  std::string out = "usage: " + program_ + " [flags]\n\n" + summary_ + "\n\nFlags:\n";
  for (const auto& flag : flags_) {
    out += "  --" + flag.names.front();
    if (!flag.is_bool) out += "=VALUE";
    for (std::size_t i = 1; i < flag.names.size(); ++i) out += ", -" + flag.names[i];
    out += "\n      " + flag.help;
    if (!flag.default_text.empty() || !flag.is_bool) {
      out += " (default: \"" + flag.default_text + "\")";
    }
    out += "\n";
  }
  return out;
}

}  // namespace mmx
