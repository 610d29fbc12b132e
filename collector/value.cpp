#include "value.h"

#include <algorithm>
#include <limits>

namespace mmx {

Value::Value(const Value& other) {
  *this = other;
}

Value& Value::operator=(const Value& other) {
  if (this == &other) return *this;
  std::visit(
      [this](const auto& v) {
        using U = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<U, Boxed>) {
          data_ = v ? std::make_unique<const StringPair>(*v) : Boxed();
        } else {
          data_.template emplace<U>(v);
        }
      },
      other.data_);
  return *this;
}

namespace {

template <typename T>
struct Signature;
// clang-format off
template <> struct Signature<Value::Other> { static constexpr std::string_view value = ""; };
template <> struct Signature<bool> { static constexpr std::string_view value = "b"; };
template <> struct Signature<std::uint8_t> { static constexpr std::string_view value = "y"; };
template <> struct Signature<std::int16_t> { static constexpr std::string_view value = "n"; };
template <> struct Signature<std::uint16_t> { static constexpr std::string_view value = "q"; };
template <> struct Signature<std::int32_t> { static constexpr std::string_view value = "i"; };
template <> struct Signature<std::uint32_t> { static constexpr std::string_view value = "u"; };
template <> struct Signature<std::int64_t> { static constexpr std::string_view value = "x"; };
template <> struct Signature<std::uint64_t> { static constexpr std::string_view value = "t"; };
template <> struct Signature<double> { static constexpr std::string_view value = "d"; };
template <> struct Signature<std::string> { static constexpr std::string_view value = "s"; };
template <> struct Signature<ObjectPath> { static constexpr std::string_view value = "o"; };
template <> struct Signature<std::vector<std::string>> { static constexpr std::string_view value = "as"; };
template <> struct Signature<std::vector<ObjectPath>> { static constexpr std::string_view value = "ao"; };
template <> struct Signature<std::vector<std::uint32_t>> { static constexpr std::string_view value = "au"; };
template <> struct Signature<Value::Ports> { static constexpr std::string_view value = "a(su)"; };
template <> struct Signature<Value::UintMap> { static constexpr std::string_view value = "a{uu}"; };
template <> struct Signature<Value::UintBool> { static constexpr std::string_view value = "(ub)"; };
template <> struct Signature<Value::UintPair> { static constexpr std::string_view value = "(uu)"; };
template <> struct Signature<std::unique_ptr<const StringPair>> { static constexpr std::string_view value = "(ss)"; };
template <> struct Signature<Value::Dict> { static constexpr std::string_view value = "a{sv}"; };
template <> struct Signature<Value::UintDict> { static constexpr std::string_view value = "a{uv}"; };
// clang-format on

}  // namespace

std::string_view Value::signature() const {
  return std::visit([](const auto& v) { return Signature<std::decay_t<decltype(v)>>::value; },
                    data_);
}

double Value::number() const {
  return std::visit(
      [](const auto& v) -> double {
        using U = std::decay_t<decltype(v)>;
        if constexpr (std::is_arithmetic_v<U> && !std::is_same_v<U, bool>) {
          return static_cast<double>(v);
        } else {
          return std::numeric_limits<double>::quiet_NaN();
        }
      },
      data_);
}

const Value* Value::find(const Dict& dict, std::string_view key) {
  for (const auto& [k, v] : dict) {
    if (k == key) return &v;
  }
  return nullptr;
}

const Value* Value::find(const UintDict& dict, std::uint32_t key) {
  for (const auto& [k, v] : dict) {
    if (k == key) return &v;
  }
  return nullptr;
}

bool Value::operator==(const Value& other) const {
  if (data_.index() != other.data_.index()) return false;
  return std::visit(
      [&other](const auto& v) {
        using U = std::decay_t<decltype(v)>;
        const U& w = std::get<U>(other.data_);
        if constexpr (std::is_same_v<U, Boxed>) {
          return v && w ? *v == *w : v == w;
        } else {
          return v == w;
        }
      },
      data_);
}

Value::UintMap Value::sorted_unique(UintMap map) {
  // Stable, so that of repeated keys the first stays, as in a std::map.
  std::stable_sort(map.begin(), map.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  map.erase(std::unique(map.begin(), map.end(),
                        [](const auto& a, const auto& b) { return a.first == b.first; }),
            map.end());
  return map;
}

}  // namespace mmx
