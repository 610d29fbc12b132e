#include "signal_levels.h"

#include <cmath>

namespace mmx {
namespace {

// A value at or above `good` is good, at or above `fair` fair, else poor.
struct Thresholds {
  RadioTechnology technology;
  SignalMeasure measure;
  double good;
  double fair;
};

// The bands vendors of cellular routers and field engineers use (Teltonika,
// Digi, Zyxel and most drive-test guides agree to a dB or two). Where a guide
// has four bands, "excellent" and "good" are both good here, "mid cell" or
// "fair" is fair and "cell edge" or "poor" is poor:
//
//   LTE, 5G NR RSRP    ≥ -90 dBm good, -90…-100 fair, < -100 poor
//   LTE, 5G NR RSRQ    ≥ -15 dB good,  -15…-20 fair,  < -20 poor
//   LTE, 5G NR SINR    ≥ 13 dB good,   0…13 fair,     < 0 poor
//     (ModemManager reports LTE's as "snr", 5G's as "snr" or "sinr")
//   LTE RSSI           ≥ -75 dBm good, -75…-85 fair,  < -85 poor
//   UMTS RSCP          ≥ -80 dBm good, -80…-100 fair, < -100 poor
//   UMTS, CDMA, EV-DO Ec/Io
//                      ≥ -10 dB good,  -10…-20 fair,  < -20 poor
//   GSM, UMTS, CDMA, EV-DO RSSI
//                      ≥ -85 dBm good, -85…-100 fair, < -100 poor
//
// LTE's RSSI counts interference and noise across the whole channel, which
// is why its bands sit higher than the narrow-band technologies'. Measures
// without a band in common use (EV-DO SINR, Io, error rates) are left
// uncoloured rather than judged by a guess.
constexpr Thresholds kThresholds[] = {
    {RadioTechnology::kLte, SignalMeasure::kRsrp, -90, -100},
    {RadioTechnology::kLte, SignalMeasure::kRsrq, -15, -20},
    {RadioTechnology::kLte, SignalMeasure::kSnr, 13, 0},
    {RadioTechnology::kLte, SignalMeasure::kSinr, 13, 0},
    {RadioTechnology::kLte, SignalMeasure::kRssi, -75, -85},
    {RadioTechnology::kNr5g, SignalMeasure::kRsrp, -90, -100},
    {RadioTechnology::kNr5g, SignalMeasure::kRsrq, -15, -20},
    {RadioTechnology::kNr5g, SignalMeasure::kSnr, 13, 0},
    {RadioTechnology::kNr5g, SignalMeasure::kSinr, 13, 0},
    {RadioTechnology::kUmts, SignalMeasure::kRscp, -80, -100},
    {RadioTechnology::kUmts, SignalMeasure::kEcio, -10, -20},
    {RadioTechnology::kUmts, SignalMeasure::kRssi, -85, -100},
    {RadioTechnology::kGsm, SignalMeasure::kRssi, -85, -100},
    {RadioTechnology::kCdma, SignalMeasure::kRssi, -85, -100},
    {RadioTechnology::kCdma, SignalMeasure::kEcio, -10, -20},
    {RadioTechnology::kEvdo, SignalMeasure::kRssi, -85, -100},
    {RadioTechnology::kEvdo, SignalMeasure::kEcio, -10, -20},
};

// ModemManager derives the percentage from RSSI or the technology's main
// measure, spread over the modem's range; three of five bars and more reads
// as good on every phone, one bar and less as poor.
constexpr std::uint32_t kGoodQualityPercent = 60;
constexpr std::uint32_t kFairQualityPercent = 30;

}  // namespace

std::optional<SignalLevel> rate_signal(RadioTechnology technology, SignalMeasure measure,
                                       double value) {
  if (std::isnan(value)) return std::nullopt;
  for (const Thresholds& t : kThresholds) {
    if (t.technology != technology || t.measure != measure) continue;
    if (value >= t.good) return SignalLevel::kGood;
    if (value >= t.fair) return SignalLevel::kFair;
    return SignalLevel::kPoor;
  }
  return std::nullopt;
}

SignalLevel rate_signal_quality(std::uint32_t percent) {
  if (percent >= kGoodQualityPercent) return SignalLevel::kGood;
  if (percent >= kFairQualityPercent) return SignalLevel::kFair;
  return SignalLevel::kPoor;
}

std::string_view level_name(SignalLevel level) {
  switch (level) {
    case SignalLevel::kGood:
      return "good";
    case SignalLevel::kFair:
      return "fair";
    case SignalLevel::kPoor:
      return "poor";
  }
  return "poor";
}

std::string_view technology_name(RadioTechnology technology) {
  switch (technology) {
    case RadioTechnology::kCdma:
      return "CDMA 1x";
    case RadioTechnology::kEvdo:
      return "EV-DO";
    case RadioTechnology::kGsm:
      return "GSM";
    case RadioTechnology::kUmts:
      return "UMTS";
    case RadioTechnology::kLte:
      return "LTE";
    case RadioTechnology::kNr5g:
      return "5G NR";
  }
  return "";
}

std::string_view measure_name(SignalMeasure measure) {
  switch (measure) {
    case SignalMeasure::kRssi:
      return "RSSI";
    case SignalMeasure::kRsrq:
      return "RSRQ";
    case SignalMeasure::kRsrp:
      return "RSRP";
    case SignalMeasure::kSnr:
      return "SNR";
    case SignalMeasure::kEcio:
      return "Ec/Io";
    case SignalMeasure::kRscp:
      return "RSCP";
    case SignalMeasure::kSinr:
      return "SINR";
    case SignalMeasure::kIo:
      return "Io";
    case SignalMeasure::kErrorRate:
      return "Error rate";
  }
  return "";
}

std::string_view measure_unit(SignalMeasure measure) {
  switch (measure) {
    case SignalMeasure::kRssi:
    case SignalMeasure::kRsrp:
    case SignalMeasure::kRscp:
    case SignalMeasure::kIo:
      return "dBm";
    case SignalMeasure::kRsrq:
    case SignalMeasure::kSnr:
    case SignalMeasure::kEcio:
    case SignalMeasure::kSinr:
      return "dB";
    case SignalMeasure::kErrorRate:
      return "%";
  }
  return "";
}

}  // namespace mmx
