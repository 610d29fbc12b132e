#include "gzip_splice.h"

#include <zlib.h>

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

// Raw deflate of `text` appended to `out`, ended with `flush` (Z_SYNC_FLUSH
// or Z_FINISH).
void deflate_into(std::string& out, std::string_view text, int window_bits, int mem_level,
                  int flush) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -window_bits, mem_level,
                   Z_DEFAULT_STRATEGY) != Z_OK) {
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

}  // namespace

GzipPrefix::GzipPrefix(std::string_view text) : crc_(crc_of(text)), size_(text.size()) {
  // RFC 1952 header: magic, deflate, no flags, no mtime, no extra flags, Unix.
  static constexpr char kHeader[] = {'\x1f', '\x8b', '\x08', 0, 0, 0, 0, 0, 0, '\x03'};
  head_.append(kHeader, sizeof kHeader);
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

std::string GzipPrefix::with_tail(std::string_view tail) const {
  std::string out(head_);
  out += end(tail);
  return out;
}

}  // namespace mmx
