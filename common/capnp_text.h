#pragma once
// Reading the snapshot's text fields without copying them.

#include <capnp/blob.h>

#include <string_view>

namespace mmx {

// A Cap'n Proto text field as a view of the message's own bytes: valid as
// long as the message is. Its size is the field's, NULs included.
inline std::string_view text(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

}  // namespace mmx
