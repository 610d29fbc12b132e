#pragma once
// Good, fair or poor for a modem's signal: the overall quality percentage and
// each technology's own measurements (RSRP, RSRQ, SINR, RSCP, Ec/Io, RSSI…),
// with the thresholds field engineers and router vendors commonly quote. The
// landing page colours values by them; nothing is exported from them, since
// a threshold is an opinion and the metrics carry the raw values.

#include <cstdint>
#include <optional>
#include <string_view>

namespace mmx {

enum class SignalLevel { kGood, kFair, kPoor };

// The technologies of ModemManager's Signal interface, in its order.
enum class RadioTechnology { kCdma, kEvdo, kGsm, kUmts, kLte, kNr5g };

// The keys of the Signal interface's per-technology dictionaries.
enum class SignalMeasure { kRssi, kRsrq, kRsrp, kSnr, kEcio, kRscp, kSinr, kIo, kErrorRate };

// nullopt when there is no common threshold for that measure of that
// technology (EV-DO SINR, Io, error rates) or the value is NaN: such values
// are shown uncoloured.
std::optional<SignalLevel> rate_signal(RadioTechnology technology, SignalMeasure measure,
                                       double value);

// ModemManager's SignalQuality percentage.
SignalLevel rate_signal_quality(std::uint32_t percent);

// "good", "fair", "poor": CSS class and text alike.
std::string_view level_name(SignalLevel level);

// "LTE", "5G NR", "CDMA 1x"…
std::string_view technology_name(RadioTechnology technology);

// "RSRP", "Ec/Io"… and their units ("dBm", "dB", "%").
std::string_view measure_name(SignalMeasure measure);
std::string_view measure_unit(SignalMeasure measure);

}  // namespace mmx
