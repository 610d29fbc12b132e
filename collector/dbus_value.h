#pragma once
// D-Bus -> Value: where a property value leaves sd-bus. Each value is read
// straight out of the message it arrived in, so no sd-bus message outlives
// the handler that received it.

#include <sdbus-c++/Message.h>
#include <sdbus-c++/TypeTraits.h>

#include "value.h"

namespace sdbus {
// Lets sdbus-c++'s own readers of maps and vectors hold Values: std::map<
// std::string, mmx::Value> reads as "a{sv}".
template <>
struct signature_of<mmx::Value> {
  static constexpr bool is_valid = true;
  static const std::string str() { return "v"; }
};
}  // namespace sdbus

namespace mmx {

// Reads one variant ("v"), where the message's signature has one (as in the
// "a{sv}" that sdbus-c++'s map reader has entered). A type the exporter has
// no use for becomes Value::Other. Something else than a variant throws
// sdbus::Error, as sdbus-c++'s own readers do (this one is called from
// theirs): the handler reading the message catches it at the library's
// boundary (mm_client.cpp), like every other malformed reply.
sdbus::Message& operator>>(sdbus::Message& message, Value& value);

// Reads an "a{uv}" (Location.GetLocation's reply).
Value::UintDict read_uint_dict(sdbus::Message& message);

}  // namespace mmx
