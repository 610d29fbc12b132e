// render_exposition: the order of the parts (exposition_parts.h), and the
// exporter status rendered at every scrape.

#include "exposition.h"

#include <cmath>
#include <optional>

#include "checked_snapshot.h"
#include "exposition_parts.h"

namespace mmx {
namespace {

using enum FamilyId;

// A rough upper bound of one modem's share of the page (about 110 series of
// about 100 bytes), so the page is built in one allocation.
constexpr std::size_t kBytesPerModem = 16 * 1024;
constexpr std::size_t kBytesBase = 4 * 1024;

ModemView modem_view(const CheckedModem& checked) {
  const auto modem = checked.modem;
  ModemView v{modem,        modem.getHasModemInterface(),
              {},           {},
              {},           {},
              checked.sims, RenderedLabels(kModemInfo, {}, {checked.device_id})};
  if (modem.hasThreeGpp()) v.three_gpp = modem.getThreeGpp();
  if (modem.hasSignal()) {
    const auto s = modem.getSignal();
    v.signal =
        SignalView{s.getRateSeconds(),
                   {s.getCdma(), s.getEvdo(), s.getGsm(), s.getUmts(), s.getLte(), s.getNr5g()}};
  }
  if (modem.hasLocation()) v.location = modem.getLocation();
  if (modem.hasMessaging()) v.messaging = modem.getMessaging();
  return v;
}

// Everything of the snapshot's ModemManager part, in the table's order.
void render_modems(RowWriter& rows, const CheckedSnapshot& snapshot) {
  const PageModems page = page_modems(snapshot);
  const std::span<const ModemView> modems = page.modems;
  render_modem_interface(rows, modems);
  render_3gpp(rows, modems);
  render_newer_daemon(rows, modems);
  render_modem_events(rows, modems);
  render_signal(rows, modems);
  render_messaging(rows, modems);
  render_location(rows, modems);
  render_cells(rows, modems);
  render_sims(rows, modems);
  render_bearers(rows, page.bearers);
}

void render_snapshot(RowWriter& rows, const CheckedSnapshot& snapshot) {
  const auto raw = snapshot.raw();
  // Before the collector's first full collection has ended, the snapshot
  // knows nothing of ModemManager: no series may claim anything about it
  // (modemmanager_up 0 would record an outage that never happened).
  // The collector's own counters hold from the start.
  if (raw.getFirstCollectionPending()) {
    render_collector_calls(rows, snapshot);
    return;
  }
  const auto manager = raw.getManager();
  const bool present = manager.getPresent();
  rows.row(kUp, bool_value(present));
  // Without ModemManager there is nothing it reports, not even "0 modems":
  // the collector's model was dropped with its bus name.
  if (present) {
    rows.row(kModemManagerInfo, {text(manager.getVersion())}, 1);
    rows.row(kModems, static_cast<double>(snapshot.modems().size()));
  }
  render_collection(rows, snapshot);
  if (present) render_modems(rows, snapshot);
}

// process_* of both processes in one block per family: the collector's as
// it read them for the snapshot, the frontend's own, its value's range
// recorded in `per_scrape` if any.
void process_rows(RowWriter& rows, FamilyId id, double collector, double frontend,
                  TextRanges* per_scrape) {
  if (!std::isnan(collector)) rows.row(id, {"collector"}, collector);
  if (!std::isnan(frontend)) rows.row(id, {"frontend"}, frontend, per_scrape);
}

}  // namespace

PageModems page_modems(const CheckedSnapshot& snapshot) {
  PageModems page;
  page.modems.reserve(snapshot.modems().size());
  for (const CheckedModem& modem : snapshot.modems()) page.modems.push_back(modem_view(modem));
  for (std::size_t i = 0; i < page.modems.size(); ++i) {
    for (const CheckedBearer& b : snapshot.modems()[i].bearers) {
      page.bearers.push_back(
          {b.bearer, b.stats, RenderedLabels(kBearerInfo, page.modems[i].labels, {b.index})});
    }
  }
  return page;
}

std::string render_exposition(schema::Snapshot::Reader snapshot, Format format) {
  std::string out;
  out.reserve(kBytesBase + kBytesPerModem * snapshot.getModems().size());
  RowWriter rows(out, format);
  render_snapshot(rows, CheckedSnapshot(snapshot));
  return out;
}

void append_exporter_status(std::string& out, const ExporterStatus& status,
                            std::optional<schema::Snapshot::Reader> snapshot, Format format,
                            TextRanges* per_scrape) {
  RowWriter rows(out, format);
  const BuildInfo& build = status.build;
  rows.row(
      kExporterBuildInfo,
      {build.version, build.revision, build.compiler, build.capnp, build.sdbus_cpp, build.httplib},
      1);
  rows.row(kExporterCollectorUp, bool_value(status.collector_up));
  if (snapshot) {
    // Any int64 time of the peer's gives an age (0 for a snapshot from the
    // future: a wall clock stepped back).
    rows.row(kExporterSnapshotAgeSeconds, {},
             age_seconds(snapshot->getTimeUnixNanos(), status.now_unix_nanos), per_scrape);
  }
  rows.row(kExporterSnapshotsTotal, static_cast<double>(status.snapshots_total));
  rows.row(kExporterSnapshotsRefusedTotal, static_cast<double>(status.snapshots_refused_total));

  const double nan = std::nan("");
  std::optional<schema::ProcessStats::Reader> collector;
  if (snapshot && snapshot->hasCollectorProcess()) collector = snapshot->getCollectorProcess();
  const ProcessSample& frontend = status.process;
  // The frontend's start time is read once and its fd limit is set at
  // start: they change no more often than the collector's values.
  process_rows(rows, kProcessCpuSecondsTotal, collector ? collector->getCpuSecondsTotal() : nan,
               frontend.cpu_seconds_total, per_scrape);
  process_rows(rows, kProcessResidentMemoryBytes,
               collector ? collector->getResidentMemoryBytes() : nan,
               frontend.resident_memory_bytes, per_scrape);
  process_rows(rows, kProcessStartTimeSeconds, collector ? collector->getStartTimeSeconds() : nan,
               frontend.start_time_seconds, nullptr);
  process_rows(rows, kProcessOpenFds, collector ? collector->getOpenFds() : nan, frontend.open_fds,
               per_scrape);
  process_rows(rows, kProcessMaxFds, collector ? collector->getMaxFds() : nan, frontend.max_fds,
               nullptr);
}

std::string render_exporter_status(const ExporterStatus& status,
                                   std::optional<schema::Snapshot::Reader> snapshot,
                                   Format format) {
  std::string out;
  out.reserve(2048);
  append_exporter_status(out, status, snapshot, format);
  return out;
}

}  // namespace mmx
