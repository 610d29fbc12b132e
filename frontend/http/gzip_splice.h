#pragma once
// A gzip body made of a large part that stays the same for many responses and
// a small part that changes with each one, without compressing the large part
// every time: it is deflated once, ended by a sync flush (which aligns the
// stream to a byte and closes no block as final), and each response appends
// its own small part, deflated on its own and finished, then the trailer with
// the CRC of the whole (crc32_combine). The result is one ordinary gzip
// member, which every decoder reads, unlike a concatenation of members.
//
// The small part itself mostly repeats from one response to the next, a few
// values apart. end() with ranges deflates only what changed: the text
// between the ranges is deflated once into a GzipTailCache (again when it
// differs from the cached one) and the ranges' bytes go in stored blocks,
// which cost no compression. Each piece of text may refer to the piece before
// it, across the range between them whose bytes it never copies, so its
// deflated form depends on that range's length only.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mmx {

// The deflated text between the ranges of the last tail that GzipPrefix::end
// made with it, and that text, compared at each call: for each piece of text,
// its deflated forms for the last few lengths of the range before it. It
// holds nothing of earlier tails: at most about five times the text of the
// last one. Not thread-safe: one per thread and per kind of tail, as texts
// of different kinds would replace each other at every call.
class GzipTailCache {
 public:
  // Bytes held, text and deflated.
  std::size_t size() const;

 private:
  friend class GzipPrefix;
  struct Deflated {
    // The bytes between this piece and the one before it; kNoDictionary if
    // its blocks refer to nothing before it.
    std::size_t gap = 0;
    // Raw deflate blocks, none final, ended by the header of a stored block
    // whose LEN and NLEN come next; or, for the tail's last piece, ending
    // with its final block.
    std::string bytes;
  };
  struct Piece {
    std::string text;
    bool last = false;
    // Made with the text of the piece before as it is now held; the most
    // recent first.
    std::vector<Deflated> deflated;
  };
  std::vector<Piece> pieces_;
};

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
  // The same member's end, the bytes of `tail` inside `changing` (ranges
  // [first, second), in order) in stored blocks and the rest deflated once
  // and kept in `cache` while it stays the same: work in proportion to what
  // changed since the last call with `cache`. Any ranges give the same text:
  // they are clamped to `tail`, and a range before the end of the previous
  // one is cut to what follows it.
  std::string end(std::string_view tail,
                  std::span<const std::pair<std::size_t, std::size_t>> changing,
                  GzipTailCache& cache) const;

 private:
  std::string head_;  // gzip header, raw deflate blocks, none final, byte-aligned
  std::uint32_t crc_ = 0;
  std::uint64_t size_ = 0;
};

}  // namespace mmx
