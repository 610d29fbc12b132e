#include "framing.h"

#include <capnp/serialize.h>

#include <cstring>

namespace mmx {
namespace {

void put_u32le(std::byte* out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<std::byte>((v >> (8 * i)) & 0xff);
}

std::uint32_t get_u32le(const std::byte* in) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<std::uint32_t>(in[i]) << (8 * i);
  return v;
}

}  // namespace

std::vector<std::byte> encode_frame(capnp::MessageBuilder& message) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(message);
  kj::ArrayPtr<const kj::byte> bytes = words.asBytes();
  std::vector<std::byte> frame(kFrameHeaderBytes + bytes.size());
  put_u32le(frame.data(), kFrameMagic);
  put_u32le(frame.data() + 4, static_cast<std::uint32_t>(bytes.size()));
  std::memcpy(frame.data() + kFrameHeaderBytes, bytes.begin(), bytes.size());
  return frame;
}

void FrameDecoder::feed(std::span<const std::byte> bytes) {
  if (!error_.empty()) return;
  // Drop what was consumed before growing, so the buffer never holds more
  // than one frame plus one read's worth of bytes.
  if (consumed_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(consumed_));
    consumed_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
}

FrameDecoder::Result FrameDecoder::next() {
  Result result;
  if (!error_.empty()) {
    result.status = Status::kError;
    result.error = error_;
    return result;
  }
  const std::size_t available = buffer_.size() - consumed_;
  if (available < kFrameHeaderBytes) return result;
  const std::byte* head = buffer_.data() + consumed_;
  const std::uint32_t magic = get_u32le(head);
  const std::uint32_t length = get_u32le(head + 4);
  if (magic != kFrameMagic) {
    error_ = "bad frame magic";
  } else if (length > kMaxFrameBytes) {
    error_ = "frame of " + std::to_string(length) + " bytes exceeds the limit of " +
             std::to_string(kMaxFrameBytes);
  } else if (length == 0 || length % sizeof(capnp::word) != 0) {
    error_ = "frame length " + std::to_string(length) + " is not a whole number of words";
  }
  if (!error_.empty()) {
    buffer_.clear();
    consumed_ = 0;
    result.status = Status::kError;
    result.error = error_;
    return result;
  }
  if (available < kFrameHeaderBytes + length) return result;
  // Copy into word-aligned storage: Cap'n Proto readers need alignment.
  result.payload = kj::heapArray<capnp::word>(length / sizeof(capnp::word));
  std::memcpy(result.payload.begin(), head + kFrameHeaderBytes, length);
  consumed_ += kFrameHeaderBytes + length;
  result.status = Status::kFrame;
  return result;
}

}  // namespace mmx
