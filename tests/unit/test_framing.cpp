#include <capnp/message.h>
#include <capnp/serialize.h>
#include <doctest/doctest.h>

#include <cstring>

#include "framing.h"
#include "snapshot.capnp.h"

namespace {

std::vector<std::byte> sample_frame(std::uint64_t sequence) {
  capnp::MallocMessageBuilder message;
  auto snapshot = message.initRoot<mmx::schema::Snapshot>();
  snapshot.setSequence(sequence);
  snapshot.initManager().setVersion("1.20.4");
  return mmx::encode_frame(message);
}

std::uint64_t sequence_of(const kj::Array<capnp::word>& words) {
  capnp::FlatArrayMessageReader reader(words.asPtr());
  return reader.getRoot<mmx::schema::Snapshot>().getSequence();
}

}  // namespace

TEST_CASE("framing: a frame round-trips through the decoder") {
  auto frame = sample_frame(42);
  mmx::FrameDecoder decoder;
  decoder.feed(frame);
  auto result = decoder.next();
  REQUIRE(result.status == mmx::FrameDecoder::Status::kFrame);
  CHECK(sequence_of(result.payload) == 42);
  CHECK(decoder.next().status == mmx::FrameDecoder::Status::kNeedMore);
  CHECK(decoder.buffered_bytes() == 0);
}

TEST_CASE("framing: frames split at every byte boundary still decode") {
  auto a = sample_frame(1);
  auto b = sample_frame(2);
  std::vector<std::byte> stream(a);
  stream.insert(stream.end(), b.begin(), b.end());
  for (std::size_t split = 0; split <= stream.size(); ++split) {
    mmx::FrameDecoder decoder;
    std::vector<std::uint64_t> seen;
    for (auto part : {std::span(stream).first(split), std::span(stream).subspan(split)}) {
      decoder.feed(part);
      for (auto r = decoder.next(); r.status == mmx::FrameDecoder::Status::kFrame;
           r = decoder.next()) {
        seen.push_back(sequence_of(r.payload));
      }
    }
    REQUIRE(seen == std::vector<std::uint64_t>{1, 2});
  }
}

TEST_CASE("framing: a truncated frame waits for more and yields nothing") {
  auto frame = sample_frame(7);
  mmx::FrameDecoder decoder;
  decoder.feed(std::span(frame).first(frame.size() - 1));
  CHECK(decoder.next().status == mmx::FrameDecoder::Status::kNeedMore);
}

TEST_CASE("framing: an oversized length is rejected before buffering") {
  std::vector<std::byte> header(8);
  const std::uint32_t magic = mmx::kFrameMagic;
  const std::uint32_t length = static_cast<std::uint32_t>(mmx::kMaxFrameBytes + 8);
  std::memcpy(header.data(), &magic, 4);
  std::memcpy(header.data() + 4, &length, 4);
  mmx::FrameDecoder decoder;
  decoder.feed(header);
  auto result = decoder.next();
  CHECK(result.status == mmx::FrameDecoder::Status::kError);
  CHECK(result.error.find("exceeds") != std::string::npos);
  CHECK(decoder.buffered_bytes() == 0);
  // Once broken, always broken: the stream cannot be resynchronised.
  decoder.feed(sample_frame(1));
  CHECK(decoder.next().status == mmx::FrameDecoder::Status::kError);
}

TEST_CASE("framing: bad magic and unaligned lengths are errors") {
  auto frame = sample_frame(3);
  SUBCASE("magic") {
    frame[0] = std::byte{'X'};
  }
  SUBCASE("unaligned length") {
    frame[4] = std::byte{5};
    frame[5] = std::byte{0};
  }
  SUBCASE("zero length") {
    std::memset(frame.data() + 4, 0, 4);
  }
  mmx::FrameDecoder decoder;
  decoder.feed(frame);
  CHECK(decoder.next().status == mmx::FrameDecoder::Status::kError);
}
