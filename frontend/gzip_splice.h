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

  // A complete gzip member holding the prefix's text followed by `tail`:
  // head() then end(tail), so the large part can be sent from here.
  std::string with_tail(std::string_view tail) const;
  // The member's header and the prefix's deflate blocks.
  std::string_view head() const { return head_; }
  // The tail's deflate blocks, the last one final, and the trailer.
  std::string end(std::string_view tail) const;

 private:
  std::string head_;  // gzip header, raw deflate blocks, none final, byte-aligned
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
};

}  // namespace mmx
