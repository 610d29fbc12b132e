#pragma once
// --redact: identifiers and positions that must not leave the collector.
// Redaction happens before the snapshot is built, so the frontend (and
// whoever compromises it) never holds the values.

#include <optional>
#include <string>
#include <string_view>

namespace mmx {

struct Redaction {
  bool imsi = false;
  bool iccid = false;
  bool eid = false;
  bool imei = false;    // Modem3gpp.Imei and the modem's EquipmentIdentifier
  bool msisdn = false;  // the modem's own numbers
  bool location = false;
};

// "imsi,iccid", "all", "" (nothing). Returns nullopt and fills `error` for
// an unknown name.
std::optional<Redaction> parse_redaction(std::string_view list, std::string& error);

}  // namespace mmx
