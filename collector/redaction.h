#pragma once
// --redact: identifiers and positions that must not leave the collector.
// Redaction happens before the snapshot is built, so the frontend (and
// whoever compromises it) never holds the values.

#include <string_view>

#include "expected.h"

namespace mmx {

struct Redaction {
  bool imsi = false;
  bool iccid = false;
  bool eid = false;
  bool imei = false;    // Modem3gpp.Imei and the modem's EquipmentIdentifier
  bool msisdn = false;  // the modem's own numbers
  bool location = false;
};

// "imsi,iccid", "all", "" (nothing). An error for an unknown name.
[[nodiscard]] Expected<Redaction> parse_redaction(std::string_view list);

}  // namespace mmx
