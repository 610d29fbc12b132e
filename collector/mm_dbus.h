#pragma once
// Names on ModemManager's D-Bus API (1.20), in one place.

namespace mmx::mm {

inline constexpr const char* kService = "org.freedesktop.ModemManager1";
inline constexpr const char* kManagerPath = "/org/freedesktop/ModemManager1";
inline constexpr const char* kManagerInterface = "org.freedesktop.ModemManager1";

inline constexpr const char* kModem = "org.freedesktop.ModemManager1.Modem";
inline constexpr const char* kModem3gpp = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
inline constexpr const char* kSignal = "org.freedesktop.ModemManager1.Modem.Signal";
inline constexpr const char* kLocation = "org.freedesktop.ModemManager1.Modem.Location";
inline constexpr const char* kSar = "org.freedesktop.ModemManager1.Modem.Sar";
inline constexpr const char* kMessaging = "org.freedesktop.ModemManager1.Modem.Messaging";
inline constexpr const char* kSim = "org.freedesktop.ModemManager1.Sim";
inline constexpr const char* kBearer = "org.freedesktop.ModemManager1.Bearer";

inline constexpr const char* kProperties = "org.freedesktop.DBus.Properties";
inline constexpr const char* kObjectManager = "org.freedesktop.DBus.ObjectManager";

// MMModemLocationSource bits that carry a position.
inline constexpr unsigned kLocation3gppLacCi = 1u << 0;
inline constexpr unsigned kLocationGpsRaw = 1u << 1;
inline constexpr unsigned kLocationCdmaBs = 1u << 3;

inline constexpr int kModemStateEnabled = 6;

}  // namespace mmx::mm
