#include "dbus_value.h"

#include <sdbus-c++/Error.h>
#include <sdbus-c++/Types.h>

#include <algorithm>
#include <map>
#include <numeric>

namespace mmx {
namespace {

template <typename T>
T read(sdbus::Message& message) {
  T value{};
  message >> value;
  return value;
}

// Kept for as long as the property does: without what growing reserved.
template <typename T>
T fitted(T list) {
  list.shrink_to_fit();
  return list;
}

// Of repeated keys the first stays, as in the std::map the values used to
// be read into; sorted indices keep a hostile dictionary from costing n².
template <typename Dict>
void drop_repeated_keys(Dict& dict) {
  if (dict.size() < 2) return;
  std::vector<std::size_t> order(dict.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&dict](std::size_t a, std::size_t b) { return dict[a].first < dict[b].first; });
  std::vector<bool> repeated(dict.size(), false);
  bool any = false;
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (dict[order[i]].first == dict[order[i - 1]].first) {
      repeated[order[i]] = true;
      any = true;
    }
  }
  if (!any) return;
  Dict kept;
  for (std::size_t i = 0; i < dict.size(); ++i) {
    if (!repeated[i]) kept.push_back(std::move(dict[i]));
  }
  dict = std::move(kept);
}

template <typename Dict>
Dict read_dict(sdbus::Message& message, const char* entry_signature) {
  using Key = typename Dict::value_type::first_type;
  Dict dict;
  if (!message.enterContainer(std::string("{") + entry_signature + "}")) return dict;
  while (message.enterDictEntry(entry_signature)) {
    Key key{};
    Value value;
    message >> key >> value;
    dict.emplace_back(std::move(key), std::move(value));
    message.exitDictEntry();
  }
  message.clearFlags();
  message.exitContainer();
  drop_repeated_keys(dict);
  return fitted(std::move(dict));
}

// The contents of a variant entered with `signature`, one readable() accepts.
Value read_contents(sdbus::Message& message, const std::string& signature) {
  if (signature.size() == 1) {
    switch (signature[0]) {
      case 'b':
        return read<bool>(message);
      case 'y':
        return read<std::uint8_t>(message);
      case 'n':
        return read<std::int16_t>(message);
      case 'q':
        return read<std::uint16_t>(message);
      case 'i':
        return read<std::int32_t>(message);
      case 'u':
        return read<std::uint32_t>(message);
      case 'x':
        return read<std::int64_t>(message);
      case 't':
        return read<std::uint64_t>(message);
      case 'd':
        return read<double>(message);
      case 's':
        return read<std::string>(message);
      case 'o':
        return ObjectPath(read<sdbus::ObjectPath>(message));
    }
  }
  if (signature == "as") return fitted(read<std::vector<std::string>>(message));
  if (signature == "au") return fitted(read<std::vector<std::uint32_t>>(message));
  if (signature == "ao") {
    auto paths = read<std::vector<sdbus::ObjectPath>>(message);
    return std::vector<ObjectPath>(std::make_move_iterator(paths.begin()),
                                   std::make_move_iterator(paths.end()));
  }
  if (signature == "a(su)") {
    Value::Ports ports;
    for (auto& port : read<std::vector<sdbus::Struct<std::string, std::uint32_t>>>(message)) {
      ports.emplace_back(std::move(std::get<0>(port)), std::get<1>(port));
    }
    return fitted(std::move(ports));
  }
  if (signature == "a{uu}") {
    auto map = read<std::map<std::uint32_t, std::uint32_t>>(message);
    return Value::UintMap(map.begin(), map.end());
  }
  if (signature == "(ub)") {
    auto pair = read<sdbus::Struct<std::uint32_t, bool>>(message);
    return Value::UintBool{std::get<0>(pair), std::get<1>(pair)};
  }
  if (signature == "(uu)") {
    auto pair = read<sdbus::Struct<std::uint32_t, std::uint32_t>>(message);
    return Value::UintPair{std::get<0>(pair), std::get<1>(pair)};
  }
  if (signature == "(ss)") {
    auto pair = read<sdbus::Struct<std::string, std::string>>(message);
    return StringPair{std::move(std::get<0>(pair)), std::move(std::get<1>(pair))};
  }
  if (signature == "a{sv}") return read_dict<Value::Dict>(message, "sv");
  return read_dict<Value::UintDict>(message, "uv");
}

bool readable(const std::string& signature) {
  static constexpr std::string_view kReadable[] = {
      "b",  "y",  "n",  "q",     "i",     "u",    "x",    "t",    "d",     "s",    "o",
      "as", "au", "ao", "a(su)", "a{uu}", "(ub)", "(uu)", "(ss)", "a{sv}", "a{uv}"};
  return std::find(std::begin(kReadable), std::end(kReadable), signature) != std::end(kReadable);
}

}  // namespace

sdbus::Message& operator>>(sdbus::Message& message, Value& value) {
  std::string type;
  std::string contents;
  message.peekType(type, contents);
  if (type != "v") {
    throw sdbus::Error("org.freedesktop.DBus.Error.InvalidSignature",
                       "expected a variant, found '" + type + "'");
  }
  if (!readable(contents)) {
    // Consumed whole, and then dropped: nothing here reads it.
    sdbus::Variant skipped;
    message >> skipped;
    value = Value();
    return message;
  }
  message.enterVariant(contents);
  value = read_contents(message, contents);
  message.exitVariant();
  return message;
}

Value::UintDict read_uint_dict(sdbus::Message& message) {
  return read_dict<Value::UintDict>(message, "uv");
}

}  // namespace mmx
