#pragma once
// A gzip body made of a large part that stays the same for many responses and
// a small part that changes with each one, without compressing the large part
// every time: it is deflated once, ended by a sync flush (which aligns the
// stream to a byte and closes no block as final), and each response appends
// its own small part, deflated on its own and finished, then the trailer with
// the CRC of the whole (crc32_combine). The result is one ordinary gzip
// member, which every decoder reads, unlike a concatenation of members.

#include <cstdint>
#include <string>
#include <string_view>

namespace mmx {

class GzipPrefix {
 public:
  GzipPrefix() : GzipPrefix(std::string_view()) {}
  explicit GzipPrefix(std::string_view text);

  // A complete gzip member holding the prefix's text followed by `tail`.
  std::string with_tail(std::string_view tail) const;

  std::size_t deflated_size() const { return deflated_.size(); }

 private:
  std::string deflated_;  // raw deflate blocks, none final, byte-aligned
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
};

}  // namespace mmx
