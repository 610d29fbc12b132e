#include "gzip_splice.h"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace mmx {
namespace {

// The prefix is compressed once per snapshot, so it gets zlib's default
// effort and window. Tails are a few KiB compressed at every scrape: a small
// window and hash keep their zlib state (about 20 KiB) off mmap.
constexpr int kPrefixWindowBits = 15;
constexpr int kPrefixMemLevel = 8;
constexpr int kTailWindowBits = 12;
constexpr int kTailMemLevel = 5;

// The text between the ranges of a tail is deflated once for many responses,
// so with zlib's best effort, in the tail's window while it fits.
constexpr int kPieceLevel = Z_BEST_COMPRESSION;
constexpr std::size_t kPieceSmall = std::size_t{1} << kTailWindowBits;
constexpr std::size_t kLargestWindow = std::size_t{1} << kPrefixWindowBits;

// Stored blocks hold at most this many bytes each (LEN is 16 bits).
constexpr std::size_t kStoredMax = 0xffff;

// What ends a sync flush, after the three header bits of an empty stored
// block and the filler to the byte: its LEN and NLEN (zlib.h).
constexpr std::string_view kSyncFlushLen("\x00\x00\xff\xff", 4);

// An empty final block: BFINAL 1, BTYPE 01 (fixed codes), end-of-block code.
constexpr std::string_view kEmptyFinalBlock("\x03\x00", 2);

// Raw deflate of `text` appended to `out`, ended with `flush` (Z_SYNC_FLUSH
// or Z_FINISH).
void deflate_into(std::string& out, std::string_view text, int window_bits, int mem_level,
                  int flush, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -window_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  std::array<unsigned char, 16384> chunk;
  int rc = Z_OK;
  do {
    z.next_out = chunk.data();
    z.avail_out = static_cast<uInt>(chunk.size());
    rc = deflate(&z, flush);
    out.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - z.avail_out);
    // A sync flush is complete when deflate leaves room in the output; a
    // finish when it says so.
  } while (flush == Z_FINISH ? rc != Z_STREAM_END : z.avail_out == 0);
  // Ending a stream that was flushed but not finished reports Z_DATA_ERROR;
  // that is the point of the prefix.
  deflateEnd(&z);
}

void put_u32le(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint32_t crc_of(std::string_view text) {
  return static_cast<std::uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
}

void put_u16le(std::string& out, std::size_t v) {
  out.push_back(static_cast<char>(v & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
}

// `text` in stored blocks, none final. With `header_open`, `out` already ends
// with the header of a stored block, which the first one completes.
void append_stored(std::string& out, std::string_view text, bool header_open) {
  do {
    const std::size_t n = std::min(text.size(), kStoredMax);
    // BFINAL 0, BTYPE 00 and the filler to the byte: out is byte-aligned.
    if (!header_open) out.push_back('\0');
    header_open = false;
    put_u16le(out, n);
    put_u16le(out, ~n & 0xffff);
    out.append(text.substr(0, n));
    text.remove_prefix(n);
  } while (!text.empty());
}

// A piece of the tail's text may refer to the piece before it: the
// dictionary it is deflated with is that piece's text, then the bytes between
// them, each replaced by a byte the piece lacks so that no match copies them.
// 0xff is in no UTF-8 text. Farther pieces would make a piece depend on more
// ranges' lengths, for about 3 % less (measured on the exporter status).
constexpr char kMaskByte = '\xff';
constexpr std::size_t kNoDictionary = static_cast<std::size_t>(-1);
// Deflated forms kept per piece, for as many lengths of the range before it:
// a value's text changes length now and then, a snapshot's age often.
constexpr std::size_t kDeflatedPerPiece = 4;

// `text` deflated: with `last`, ended by its final block; otherwise by a sync
// flush whose empty stored block is left open, its LEN and NLEN cut off, for
// append_stored to fill. With a `dictionary`, the text's blocks may refer to
// it as the bytes just before them.
std::string deflate_piece(std::string_view text, std::string_view dictionary, bool last) {
  const bool small = text.size() + dictionary.size() <= kPieceSmall;
  z_stream z{};
  if (deflateInit2(&z, kPieceLevel, Z_DEFLATED, small ? -kTailWindowBits : -kPrefixWindowBits,
                   small ? kTailMemLevel : kPrefixMemLevel, Z_DEFAULT_STRATEGY) != Z_OK) {
    throw std::bad_alloc();
  }
  std::string out;
  try {
    if (!dictionary.empty() &&
        deflateSetDictionary(&z, reinterpret_cast<const Bytef*>(dictionary.data()),
                             static_cast<uInt>(dictionary.size())) != Z_OK) {
      throw std::runtime_error("deflateSetDictionary failed");
    }
    out.resize(deflateBound(&z, static_cast<uLong>(text.size())) + 16);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
    z.avail_in = static_cast<uInt>(text.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    // deflateBound covers a finish, and the 16 bytes more a sync flush's
    // empty stored block: either ends within this call, leaving room.
    const int rc = deflate(&z, last ? Z_FINISH : Z_SYNC_FLUSH);
    if (last ? rc != Z_STREAM_END : (rc != Z_OK || z.avail_out == 0)) {
      throw std::runtime_error("deflate of a tail piece failed");
    }
    out.resize(out.size() - z.avail_out);
  } catch (...) {
    deflateEnd(&z);
    throw;
  }
  deflateEnd(&z);
  if (last) return out;
  if (out.ends_with(kSyncFlushLen)) {
    out.resize(out.size() - kSyncFlushLen.size());
  } else {
    out.push_back('\0');  // never seen: a sync flush is byte-aligned, so open a block
  }
  return out;
}

}  // namespace

std::size_t GzipTailCache::size() const {
  std::size_t bytes = 0;
  for (const Piece& piece : pieces_) {
    bytes += piece.text.size();
    for (const Deflated& deflated : piece.deflated) bytes += deflated.bytes.size();
  }
  return bytes;
}

GzipPrefix::GzipPrefix(std::string_view text) : crc_(crc_of(text)), size_(text.size()) {
  // RFC 1952 header: magic, deflate, no flags, no mtime, no extra flags, Unix.
  static constexpr char kHeader[] = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\x03'};
  head_.append(kHeader, sizeof kHeader);
  // The sync flush leaves the head byte-aligned, with no final block (even
  // for an empty text: it then holds one empty stored block), so that any
  // blocks can follow it.
  deflate_into(head_, text, kPrefixWindowBits, kPrefixMemLevel, Z_SYNC_FLUSH);
}

std::string GzipPrefix::end(std::string_view tail) const {
  std::string out;
  out.reserve(tail.size() / 2 + 64);
  deflate_into(out, tail, kTailWindowBits, kTailMemLevel, Z_FINISH);
  const auto crc = crc32_combine(crc_, crc_of(tail), static_cast<z_off_t>(tail.size()));
  put_u32le(out, static_cast<std::uint32_t>(crc));
  put_u32le(out, static_cast<std::uint32_t>((size_ + tail.size()) & 0xffffffffu));
  return out;
}

std::string GzipPrefix::end(std::string_view tail,
                            std::span<const std::pair<std::size_t, std::size_t>> changing,
                            GzipTailCache& cache) const {
  std::string out;
  out.reserve(tail.size() / 2 + 64);
  std::size_t pieces = 0;          // pieces of the cache used
  bool header_open = false;        // out ends with a stored block's header
  bool previous_remade = false;    // the previous piece's text was not the cached one
  std::size_t previous_begin = 0;  // the previous piece is tail[previous_begin, previous_end)
  std::size_t previous_end = 0;
  std::size_t done = 0;     // tail[0, done) is in out
  std::size_t run_end = 0;  // tail[done, run_end) goes in stored blocks

  // Each piece's blocks refer to nothing before the previous piece, so they
  // fit wherever the two come with the same bytes between them: deflated
  // anew only if its text, the previous one's, or the gap's length changed.
  const auto append_piece = [&](std::size_t to, bool last) {
    const std::string_view text = tail.substr(done, to - done);
    const std::string_view previous = tail.substr(previous_begin, previous_end - previous_begin);
    const std::size_t between = done - previous_end;
    const std::size_t gap =
        previous.empty() || between > kPieceSmall || text.find(kMaskByte) != text.npos
            ? kNoDictionary
            : between;
    if (pieces == cache.pieces_.size()) cache.pieces_.emplace_back();
    GzipTailCache::Piece& piece = cache.pieces_[pieces++];
    const bool remade = piece.last != last || piece.text != text || previous_remade;
    if (remade) {
      piece.deflated.clear();
      piece.last = last;
      piece.text.assign(text);
    }
    auto found = std::find_if(piece.deflated.begin(), piece.deflated.end(),
                              [&](const GzipTailCache::Deflated& d) { return d.gap == gap; });
    if (found == piece.deflated.end()) {
      std::string dictionary;
      if (gap != kNoDictionary) {
        // No match reaches farther back than the largest window.
        const std::string_view near =
            previous.substr(previous.size() - std::min(previous.size(), kLargestWindow));
        dictionary.reserve(near.size() + gap);
        dictionary.append(near).append(gap, kMaskByte);
      }
      std::string bytes = deflate_piece(text, dictionary, last);
      if (piece.deflated.size() == kDeflatedPerPiece) piece.deflated.pop_back();
      found = piece.deflated.insert(piece.deflated.begin(), {gap, std::move(bytes)});
    }
    out += found->bytes;
    header_open = !last;
    previous_remade = remade;
    previous_begin = done;
    previous_end = to;
    done = to;
  };
  const auto append_run = [&] {
    if (run_end == done) return;
    append_stored(out, tail.substr(done, run_end - done), header_open);
    header_open = false;
    done = run_end;
  };

  try {
    for (const auto& [first_in, second_in] : changing) {
      const std::size_t first = std::clamp(first_in, run_end, tail.size());
      const std::size_t second = std::min(second_in, tail.size());
      if (second <= first) continue;
      if (first > run_end) {
        append_run();
        append_piece(first, false);
      }
      run_end = second;  // adjacent ranges make one run
    }
    append_run();
    if (done < tail.size()) {
      append_piece(tail.size(), true);
    } else {
      out.append(kEmptyFinalBlock);
    }
    cache.pieces_.resize(pieces);  // the pieces of this tail, no more
  } catch (...) {
    // A piece remade and the next one not yet: its deflated forms refer to
    // a text no longer held.
    cache.pieces_.clear();
    throw;
  }

  const auto crc = crc32_combine(crc_, crc_of(tail), static_cast<z_off_t>(tail.size()));
  put_u32le(out, static_cast<std::uint32_t>(crc));
  put_u32le(out, static_cast<std::uint32_t>((size_ + tail.size()) & 0xffffffffu));
  return out;
}

std::string GzipPrefix::with_tail(std::string_view tail) const {
  std::string out(head_);
  out += end(tail);
  return out;
}

}  // namespace mmx
