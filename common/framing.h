#pragma once
// Wire format of the snapshot stream (collector -> frontend, one way):
//
//   frame   = magic:u32le length:u32le payload
//   magic   = 0x31584d4d ("MMX1")
//   payload = one Cap'n Proto message in the standard serialization
//             (segment table + segments), `length` bytes, a multiple of 8
//
// The length is checked against kMaxFrameBytes before any payload is buffered,
// so a hostile or broken peer cannot make the reader allocate more than that.

#include <capnp/common.h>
#include <capnp/message.h>
#include <kj/array.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace mmx {

inline constexpr std::uint32_t kFrameMagic = 0x31584d4d;
inline constexpr std::size_t kFrameHeaderBytes = 8;
// 64 modems with every interface serialize to about 100 KiB; 8 MiB leaves
// room for fleets far beyond what one host can carry.
inline constexpr std::size_t kMaxFrameBytes = 8u << 20;

// Serializes `message` into one frame.
std::vector<std::byte> encode_frame(capnp::MessageBuilder& message);

// Splits a byte stream into frames. Feed it whatever read() returned, then
// call next() until it stops returning frames.
class FrameDecoder {
 public:
  enum class Status { kNeedMore, kFrame, kError };
  struct Result {
    Status status = Status::kNeedMore;
    kj::Array<capnp::word> payload;  // the message words, when kFrame
    std::string error;               // what was wrong, when kError
  };

  void feed(std::span<const std::byte> bytes);
  // After kError the decoder stays in error: the stream cannot be resynced.
  Result next();
  std::size_t buffered_bytes() const { return buffer_.size() - consumed_; }

 private:
  std::vector<std::byte> buffer_;
  std::size_t consumed_ = 0;
  std::string error_;
};

}  // namespace mmx
