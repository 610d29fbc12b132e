#pragma once
// Sample snapshots for tests, built with the Cap'n Proto builder the way the
// collector builds them. Values are those a real ModemManager 1.20 reports
// for a Quectel LTE modem on a Spanish network, so rendered pages read like
// real ones.
//
//   mmx::test::SnapshotFixture f(2);               // two typical modems
//   f.modem(0).getThreeGpp().setOperatorCode("01");
//   auto page = mmx::render_exposition(f.reader(), mmx::Format::kText);

#include <capnp/message.h>
#include <kj/array.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "snapshot.capnp.h"

namespace mmx::test {

// Time of every fixture snapshot: 2023-11-14T22:13:20Z.
inline constexpr std::int64_t kSnapshotUnixNanos = 1'700'000'000'000'000'000;

// 40 hex digits like ModemManager's DeviceIdentifier (a SHA-1), distinct per
// index and increasing with it, so fixture modems are already sorted.
std::string device_id(std::size_t index);

// A registered, connected LTE modem with every interface: Modem, 3GPP,
// Signal (LTE values), Location (a GPS fix and a serving cell), Messaging,
// one active SIM in slot 1 and one connected bearer with statistics.
void fill_typical_modem(schema::Modem::Builder modem, std::size_t index);

// A modem with the Modem interface only: no 3GPP, Signal, Location,
// Messaging, SIM or bearer.
void fill_minimal_modem(schema::Modem::Builder modem, std::size_t index);

class SnapshotFixture {
 public:
  // ModemManager present, a successful collection with some errors counted,
  // collector process statistics, and `modems` typical modems.
  explicit SnapshotFixture(std::size_t modems = 1);

  schema::Snapshot::Builder builder() { return message_.getRoot<schema::Snapshot>(); }
  schema::Snapshot::Reader reader() { return builder().asReader(); }
  schema::Modem::Builder modem(std::size_t index) {
    return builder().getModems()[static_cast<unsigned>(index)];
  }

  // Replaces the modem list with `count` modems of fill_minimal_modem.
  void use_minimal_modems(std::size_t count);

  // The message in its wire form, as a frontend receives it.
  kj::Array<capnp::word> words();

 private:
  capnp::MallocMessageBuilder message_;
};

}  // namespace mmx::test
