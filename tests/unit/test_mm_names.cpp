#include <ModemManager.h>
#include <dlfcn.h>
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "mm_names.h"
#include "test_support.h"

using mmx::mm::Enum;

TEST_CASE("mm_names: values are named as mmcli prints them") {
  CHECK(mmx::mm::name(Enum::kModemAccessTechnology, MM_MODEM_ACCESS_TECHNOLOGY_HSPA_PLUS) ==
        "hspa-plus");
  CHECK(mmx::mm::name(Enum::kModem3gppRegistrationState,
                      MM_MODEM_3GPP_REGISTRATION_STATE_HOME_SMS_ONLY) == "home-sms-only");
  CHECK(mmx::mm::name(Enum::kModemBand, MM_MODEM_BAND_EUTRAN_1) == "eutran-1");
  CHECK(mmx::mm::name(Enum::kModemBand, MM_MODEM_BAND_NGRAN_78) == "ngran-78");
  CHECK(mmx::mm::name(Enum::kModemState, MM_MODEM_STATE_FAILED) == "failed");
  CHECK(mmx::mm::name(Enum::kModemState, MM_MODEM_STATE_CONNECTED) == "connected");
  CHECK(mmx::mm::name(Enum::kModemStateFailedReason, MM_MODEM_STATE_FAILED_REASON_SIM_MISSING) ==
        "sim-missing");
  CHECK(mmx::mm::name(Enum::kModemPowerState, MM_MODEM_POWER_STATE_LOW) == "low");
  CHECK(mmx::mm::name(Enum::kModemLock, MM_MODEM_LOCK_SIM_PIN) == "sim-pin");
  CHECK(mmx::mm::name(Enum::kModemLock, MM_MODEM_LOCK_PH_NETSUB_PUK) == "ph-netsub-puk");
  CHECK(mmx::mm::name(Enum::kModemMode, MM_MODEM_MODE_4G) == "4g");
  CHECK(mmx::mm::name(Enum::kModemPortType, MM_MODEM_PORT_TYPE_NET) == "net");
  CHECK(mmx::mm::name(Enum::kModem3gppSubscriptionState,
                      MM_MODEM_3GPP_SUBSCRIPTION_STATE_OUT_OF_DATA) == "out-of-data");
  CHECK(mmx::mm::name(Enum::kModem3gppPacketServiceState,
                      MM_MODEM_3GPP_PACKET_SERVICE_STATE_ATTACHED) == "attached");
  CHECK(mmx::mm::name(Enum::kModemLocationSource, MM_MODEM_LOCATION_SOURCE_3GPP_LAC_CI) ==
        "3gpp-lac-ci");
  CHECK(mmx::mm::name(Enum::kBearerType, MM_BEARER_TYPE_DEFAULT_ATTACH) == "default-attach");
  CHECK(mmx::mm::name(Enum::kBearerIpFamily, MM_BEARER_IP_FAMILY_IPV4V6) == "ipv4v6");
  CHECK(mmx::mm::name(Enum::kSimType, MM_SIM_TYPE_ESIM) == "esim");
  CHECK(mmx::mm::name(Enum::kModemCapability, MM_MODEM_CAPABILITY_5GNR) == "5gnr");
  CHECK(mmx::mm::name(Enum::kModemAccessTechnology, MM_MODEM_ACCESS_TECHNOLOGY_1XRTT) == "1xrtt");
}

TEST_CASE("mm_names: a number ModemManager does not define is named other") {
  CHECK(mmx::mm::name(Enum::kModemState, 12) == "other");
  CHECK(mmx::mm::name(Enum::kModemState, -2) == "other");
  CHECK(mmx::mm::name(Enum::kModemBand, 999) == "other");
  CHECK(mmx::mm::name(Enum::kModemPortType, 0) == "other");  // port types start at 1
  CHECK(mmx::mm::name(Enum::kModemLock, 0xFFFFFFFFll) == "other");
}

TEST_CASE("mm_names: entries the header marks skip are left out") {
  // MM_MODEM_LOCATION_SOURCE_FIRST/LAST alias real sources under /*< skip >*/.
  for (const auto& v : mmx::mm::values(Enum::kModemLocationSource)) {
    CHECK(v.name != "first");
    CHECK(v.name != "last");
  }
  CHECK(mmx::mm::values(Enum::kModemLocationSource).size() == 8);  // none + 7 sources
}

TEST_CASE("mm_names: an enum lists every value in header order, failed first") {
  auto states = mmx::mm::values(Enum::kModemState);
  REQUIRE(states.size() == 13);
  CHECK(states.front().value == MM_MODEM_STATE_FAILED);
  CHECK(states.front().name == "failed");
  CHECK(states[1].name == "unknown");
  CHECK(states[2].name == "initializing");
  CHECK(states.back().name == "connected");
  CHECK(mmx::mm::values(Enum::kModem3gppRegistrationState).size() == 12);
  CHECK(mmx::mm::flags(Enum::kModemState).empty());
  CHECK_FALSE(mmx::mm::is_bitmask(Enum::kModemState));
}

TEST_CASE("mm_names: a bitmask lists its single-bit flags, not none or any") {
  CHECK(mmx::mm::is_bitmask(Enum::kModemAccessTechnology));
  auto flags = mmx::mm::flags(Enum::kModemAccessTechnology);
  REQUIRE(flags.size() == 18);
  CHECK(flags.front().name == "pots");
  CHECK(flags.back().name == "lte-nb-iot");
  for (const auto& f : flags) {
    CHECK(f.value > 0);
    CHECK((f.value & (f.value - 1)) == 0);
  }
  auto modes = mmx::mm::flags(Enum::kModemMode);
  REQUIRE(modes.size() == 5);
  CHECK(modes[0].name == "cs");
  CHECK(modes[4].name == "5g");
  CHECK(mmx::mm::flags(Enum::kModemLocationSource).size() == 7);
  CHECK(mmx::mm::flags(Enum::kBearerIpFamily).size() == 4);
}

TEST_CASE("mm_names: bitmask text is built as libmm-glib builds it") {
  CHECK(mmx::mm::mask_name(Enum::kModemMode, MM_MODEM_MODE_2G | MM_MODEM_MODE_3G) == "2g, 3g");
  CHECK(mmx::mm::mask_name(Enum::kModemMode, 0) == "none");
  CHECK(mmx::mm::mask_name(Enum::kModemMode, MM_MODEM_MODE_ANY) == "any");
  CHECK(mmx::mm::mask_name(Enum::kModemAccessTechnology, 0) == "unknown");
  CHECK(mmx::mm::mask_name(Enum::kModemAccessTechnology,
                           MM_MODEM_ACCESS_TECHNOLOGY_HSPA_PLUS | MM_MODEM_ACCESS_TECHNOLOGY_LTE) ==
        "hspa-plus, lte");
  CHECK(mmx::mm::mask_name(Enum::kBearerIpFamily, MM_BEARER_IP_FAMILY_IPV4V6) == "ipv4v6");
  CHECK(mmx::mm::mask_name(Enum::kBearerIpFamily, MM_BEARER_IP_FAMILY_ANY) == "any");
  // Bits without a name are dropped; none named at all gives "other".
  CHECK(mmx::mm::mask_name(Enum::kModemMode, MM_MODEM_MODE_4G | (1u << 20)) == "4g");
  CHECK(mmx::mm::mask_name(Enum::kModemMode, 1u << 20) == "other");
  std::string out = "allowed=";
  mmx::mm::append_mask_name(out, Enum::kModemMode, MM_MODEM_MODE_ANY);
  CHECK(out == "allowed=any");
}

TEST_CASE("mm_names: every value of every type round-trips through name()") {
  for (std::size_t t = 0; t < mmx::mm::kEnumCount; ++t) {
    const auto type = static_cast<Enum>(t);
    INFO(mmx::mm::c_type_name(type));
    CHECK_FALSE(mmx::mm::values(type).empty());
    for (const auto& v : mmx::mm::values(type)) {
      // Equal values (aliases) name the first in header order, as glib does.
      auto first = std::ranges::find(mmx::mm::values(type), v.value, &mmx::mm::EnumValue::value);
      CHECK(mmx::mm::name(type, v.value) == first->name);
      CHECK(v.name.find('_') == std::string_view::npos);
      CHECK(std::ranges::none_of(v.name, [](char c) { return c >= 'A' && c <= 'Z'; }));
    }
  }
}

// The installed libmm-glib is ModemManager's own naming code (mmcli prints
// through it): every name must be the one it returns. Skipped where
// libmm-glib is not installed (Debian package libmm-glib0) and skips are allowed.
TEST_CASE("mm_names: every name matches libmm-glib") {
  void* lib = dlopen("libmm-glib.so.0", RTLD_NOW | RTLD_LOCAL);
  MMX_REQUIRE_OR_SKIP(lib != nullptr, "libmm-glib.so.0 (Debian package libmm-glib0)");
  using GetString = const char* (*)(int);
  using BuildString = char* (*)(unsigned);
  using Free = void (*)(void*);
  auto g_free = reinterpret_cast<Free>(dlsym(lib, "g_free"));
  REQUIRE(static_cast<bool>(g_free));
  std::size_t checked = 0;
  for (std::size_t t = 0; t < mmx::mm::kEnumCount; ++t) {
    const auto type = static_cast<Enum>(t);
    INFO(mmx::mm::c_type_name(type));
    const std::string prefix(mmx::mm::underscore_name(type));
    if (mmx::mm::is_bitmask(type)) {
      auto build =
          reinterpret_cast<BuildString>(dlsym(lib, (prefix + "_build_string_from_mask").c_str()));
      REQUIRE(static_cast<bool>(build));
      for (const auto& v : mmx::mm::values(type)) {
        char* s = build(static_cast<unsigned>(v.value));
        REQUIRE(s != nullptr);
        CHECK(mmx::mm::mask_name(type, static_cast<std::uint64_t>(v.value)) == s);
        g_free(s);
        ++checked;
      }
    } else {
      auto get = reinterpret_cast<GetString>(dlsym(lib, (prefix + "_get_string").c_str()));
      REQUIRE(static_cast<bool>(get));
      for (const auto& v : mmx::mm::values(type)) {
        const char* s = get(static_cast<int>(v.value));
        REQUIRE(s != nullptr);
        CHECK(mmx::mm::name(type, v.value) == s);
        ++checked;
      }
    }
  }
  MESSAGE("values checked against libmm-glib: " << checked);
  dlclose(lib);
}
