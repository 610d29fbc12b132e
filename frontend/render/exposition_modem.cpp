// The Modem interface: modemmanager_modem_info ... modemmanager_modem_max_active_bearers.

#include <ModemManager.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "enum_rows.h"
#include "exposition_parts.h"

namespace mmx {
namespace {

using enum FamilyId;

void render_identity(RowWriter& rows, const ModemView& m) {
  const auto modem = m.modem;
  std::string drivers;
  for (auto driver : modem.getDrivers()) {
    if (!drivers.empty()) drivers.append(", ");
    drivers.append(text(driver));
  }
  rows.row(
      kModemInfo, m.labels,
      {text(modem.getManufacturer()), text(modem.getModel()), text(modem.getRevision()),
       text(modem.getHardwareRevision()), text(modem.getPlugin()), text(modem.getPrimaryPort()),
       text(modem.getDevice()), drivers, text(modem.getEquipmentIdentifier()),
       text(modem.getCarrierConfiguration()), text(modem.getPhysdev())},
      1);
}

// The modem's network interfaces, by name, each once.
void render_network_ports(RowWriter& rows, const ModemView& m,
                          std::vector<std::string_view>& ports) {
  ports.clear();
  for (auto port : m.modem.getPorts()) {
    if (port.getType() == MM_MODEM_PORT_TYPE_NET) ports.push_back(text(port.getName()));
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  for (std::string_view port : ports) rows.row(kModemNetworkPortInfo, m.labels, {port}, 1);
}

void render_modes(RowWriter& rows, const ModemView& m, std::string& scratch) {
  scratch.clear();
  mm::append_mask_name(scratch, mm::Enum::kModemMode, m.modem.getCurrentModesAllowed());
  const std::size_t allowed_end = scratch.size();
  mm::append_mask_name(scratch, mm::Enum::kModemMode, m.modem.getCurrentModesPreferred());
  const std::string_view both = scratch;
  rows.row(kModemCurrentModes, m.labels, {both.substr(0, allowed_end), both.substr(allowed_end)},
           1);
}

// A set of band numbers: value 1 for each band in it.
void render_bands(RowWriter& rows, const ModemView& m,
                  std::vector<std::pair<std::int64_t, double>>& bands) {
  bands.clear();
  for (std::uint32_t band : m.modem.getCurrentBands()) {
    // ModemManager says [unknown] (0) when it cannot tell; mmcli shows no
    // band then, and neither do we.
    if (band != MM_MODEM_BAND_UNKNOWN) bands.emplace_back(band, 1.0);
  }
  named_value_rows(rows, kModemCurrentBands, m.labels, mm::Enum::kModemBand, bands);
}

void render_unlock_required(RowWriter& rows, const ModemView& m) {
  const std::uint32_t lock = m.modem.getUnlockRequired();
  if (lock == MM_MODEM_LOCK_UNKNOWN) return;  // not known: absent, not 0
  rows.row(kModemUnlockRequired, m.labels, {mm::name(mm::Enum::kModemLock, lock)},
           bool_value(lock != MM_MODEM_LOCK_NONE));
}

void render_unlock_retries(RowWriter& rows, const ModemView& m,
                           std::vector<std::pair<std::int64_t, double>>& retries) {
  retries.clear();
  for (auto r : m.modem.getUnlockRetries()) {
    retries.emplace_back(r.getLock(), static_cast<double>(r.getRetries()));
  }
  named_value_rows(rows, kModemUnlockRetries, m.labels, mm::Enum::kModemLock, retries);
}

// The modems with the Modem interface's properties.
std::vector<const ModemView*> with_modem_interface(std::span<const ModemView> modems) {
  std::vector<const ModemView*> with;
  with.reserve(modems.size());
  for (const ModemView& m : modems) {
    if (m.has_modem_interface) with.push_back(&m);
  }
  return with;
}

}  // namespace

void render_modem_interface(RowWriter& rows, std::span<const ModemView> all) {
  const std::vector<const ModemView*> modems = with_modem_interface(all);
  std::string scratch;
  std::vector<std::string_view> ports;
  std::vector<std::pair<std::int64_t, double>> pairs;
  for (const ModemView* m : modems) render_identity(rows, *m);
  for (const ModemView* m : modems) render_network_ports(rows, *m, ports);
  for (const ModemView* m : modems) {
    enum_rows(rows, kModemState, m->labels, mm::Enum::kModemState, m->modem.getState());
  }
  for (const ModemView* m : modems) {
    enum_rows(rows, kModemStateFailedReason, m->labels, mm::Enum::kModemStateFailedReason,
              m->modem.getStateFailedReason());
  }
  for (const ModemView* m : modems) {
    enum_rows(rows, kModemPowerState, m->labels, mm::Enum::kModemPowerState,
              m->modem.getPowerState());
  }
  for (const ModemView* m : modems) {
    rows.row(kModemSignalQualityPercent, m->labels,
             static_cast<double>(m->modem.getSignalQualityPercent()));
  }
  for (const ModemView* m : modems) {
    rows.row(kModemSignalQualityRecent, m->labels, bool_value(m->modem.getSignalQualityRecent()));
  }
  for (const ModemView* m : modems) {
    flag_rows(rows, kModemAccessTechnology, m->labels, mm::Enum::kModemAccessTechnology,
              m->modem.getAccessTechnologies());
  }
  for (const ModemView* m : modems) render_modes(rows, *m, scratch);
  for (const ModemView* m : modems) render_bands(rows, *m, pairs);
  for (const ModemView* m : modems) render_unlock_required(rows, *m);
  for (const ModemView* m : modems) render_unlock_retries(rows, *m, pairs);
  for (const ModemView* m : modems) {
    rows.row(kModemMaxBearers, m->labels, static_cast<double>(m->modem.getMaxBearers()));
  }
  for (const ModemView* m : modems) {
    rows.row(kModemMaxActiveBearers, m->labels,
             static_cast<double>(m->modem.getMaxActiveBearers()));
  }
}

}  // namespace mmx
