#include "redaction.h"

namespace mmx {

Expected<Redaction> parse_redaction(std::string_view list) {
  Redaction r;
  while (!list.empty()) {
    const auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (item == "all") {
      r = Redaction{true, true, true, true, true, true};
    } else if (item == "imsi") {
      r.imsi = true;
    } else if (item == "iccid") {
      r.iccid = true;
    } else if (item == "eid") {
      r.eid = true;
    } else if (item == "imei") {
      r.imei = true;
    } else if (item == "msisdn") {
      r.msisdn = true;
    } else if (item == "location") {
      r.location = true;
    } else if (!item.empty()) {
      return fail(
          "unknown value \"" + std::string(item) +
          "\" (want a comma-separated list of imsi, iccid, eid, imei, msisdn, location, or all)");
    }
  }
  return r;
}

}  // namespace mmx
