#pragma once
// A ModemManager property value as the model keeps it. An sdbus::Variant
// owns a whole sd-bus message (the model took some 80 KiB of heap per modem
// that way); this holds only the value, in the shapes ModemManager's
// properties have.
// The C++ type of the value is its D-Bus signature: a uint32 is "u", an
// int32 "i", so a property of the wrong type is still told apart.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace mmx {

// "o": a distinct type, so "o" and "s" (and "ao" and "as") stay apart.
struct ObjectPath : std::string {
  using std::string::string;
  explicit ObjectPath(std::string path) : std::string(std::move(path)) {}
};

// "(ss)", Bearer.ConnectionError: boxed, as two strings inline would make
// every value twice as large for a property that is rarely set.
struct StringPair {
  std::string first;
  std::string second;
  bool operator==(const StringPair&) const = default;
};

class Value {
 public:
  // A type the exporter never reads (say "ai" or "a{sa{sv}}"): kept as
  // "present, of some other type" so a dictionary keeps its keys and a
  // property of the wrong type is still seen as one.
  struct Other {
    bool operator==(const Other&) const = default;
  };
  // "a{sv}" and "a{uv}" in the order they arrived, looked up by a scan (they
  // hold a handful of entries); a repeated key keeps its first value, as
  // sdbus-c++'s own std::map reader does.
  using Dict = std::vector<std::pair<std::string, Value>>;
  using UintDict = std::vector<std::pair<std::uint32_t, Value>>;
  using Ports = std::vector<std::pair<std::string, std::uint32_t>>;      // a(su)
  using UintMap = std::vector<std::pair<std::uint32_t, std::uint32_t>>;  // a{uu}, sorted by key
  using UintBool = std::pair<std::uint32_t, bool>;                       // (ub)
  using UintPair = std::pair<std::uint32_t, std::uint32_t>;              // (uu)

  Value() = default;
  // Implicit, so that a value is written as the literal it holds.
  template <typename T, typename = std::enable_if_t<!std::is_same_v<std::decay_t<T>, Value>>>
  Value(T&& value) {
    set(std::forward<T>(value));
  }
  Value(const Value& other);
  Value& operator=(const Value& other);
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;
  ~Value() = default;

  // The D-Bus signature of the value; "" for Other.
  std::string_view signature() const;

  // The value when it has exactly the type T (its signature), else nullptr.
  template <typename T>
  const T* get_if() const {
    if constexpr (std::is_same_v<T, StringPair>) {
      auto* box = std::get_if<Boxed>(&data_);
      return box != nullptr ? box->get() : nullptr;
    } else {
      return std::get_if<T>(&data_);
    }
  }
  template <typename T>
  bool holds() const {
    return get_if<T>() != nullptr;
  }

  // A number of any integer or floating type as double; NaN otherwise.
  double number() const;

  // Dictionary lookups: the first entry with the key, or nullptr.
  static const Value* find(const Dict& dict, std::string_view key);
  static const Value* find(const UintDict& dict, std::uint32_t key);

  bool operator==(const Value& other) const;

 private:
  using Boxed = std::unique_ptr<const StringPair>;
  using Data =
      std::variant<Other, bool, std::uint8_t, std::int16_t, std::uint16_t, std::int32_t,
                   std::uint32_t, std::int64_t, std::uint64_t, double, std::string, ObjectPath,
                   std::vector<std::string>, std::vector<ObjectPath>, std::vector<std::uint32_t>,
                   Ports, UintMap, UintBool, UintPair, Boxed, Dict, UintDict>;

  template <typename T>
  void set(T&& value) {
    using U = std::decay_t<T>;
    if constexpr (std::is_same_v<U, StringPair>) {
      data_ = std::make_unique<const StringPair>(std::forward<T>(value));
    } else if constexpr (std::is_same_v<U, const char*> || std::is_same_v<U, char*>) {
      data_ = std::string(value);
    } else if constexpr (std::is_same_v<U, UintMap>) {
      data_ = sorted_unique(std::forward<T>(value));
    } else {
      data_ = std::forward<T>(value);
    }
  }
  static UintMap sorted_unique(UintMap map);

  Data data_;
};

}  // namespace mmx
