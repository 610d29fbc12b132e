#pragma once
// Snapshot -> Prometheus exposition text, following the metric contract
// (METRICS.md, the metric contract) and the table in metric_families.h. Pure
// functions: no I/O, no clock, no state.
//
// A page is built from two parts and a terminator, in this order:
//
//   render_exposition(snapshot)          once per snapshot generation (cacheable)
//   append_exporter_status(status, ...)  at every scrape
//   exposition_terminator(format)        "# EOF\n" for OpenMetrics
//
// The parts hold disjoint families (Part in metric_families.h), so the page
// never splits a family. With the collector gone, a page is the status part
// alone (collector_up 0) plus the terminator: no stale modem data.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "build_info.h"
#include "exposition_writer.h"
#include "process_stats.h"
#include "rows.h"  // TextRanges
#include "snapshot.capnp.h"

namespace mmx {

inline constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();

// What the frontend knows at scrape time.
struct ExporterStatus {
  BuildInfo build;                            // the frontend's own build
  bool collector_up = false;                  // a fresh snapshot is held
  std::uint64_t snapshots_total = 0;          // snapshots received since the frontend started
  std::uint64_t snapshots_refused_total = 0;  // frames refused as the collector's fault
  std::int64_t now_unix_nanos = 0;            // wall clock of this scrape, for the snapshot's age
  // The frontend's own process_* values; NaN leaves a series out.
  ProcessSample process{kAbsent, kAbsent, kAbsent, kAbsent, kAbsent};
};

// Every family of Part::kSnapshot: ModemManager, the collector's last
// collection, and every modem with its interfaces, SIMs and bearers.
//
// Families walk the modems again, so one render reads about 2.6 times the
// message's size in words (measured by test_snapshot_reader_options.cpp;
// snapshot_reader_options() leaves room for it). A reader limit hit mid-way
// throws kj::Exception: treat it as a bad snapshot. Enums are gauges in
// OpenMetrics too, since a stateset's label must be named like its family
// and the contract names it `state`.
std::string render_exposition(schema::Snapshot::Reader snapshot, Format format);

// The families of Part::kExporterStatus, appended to `out`. `snapshot` is the
// one being served, if any: its age and the collector's process_* values.
//
// With `per_scrape`, the ranges of `out` that hold the values likely to change
// at every scrape are appended to it: the snapshot's age and the frontend's
// CPU time, resident memory and open fds (each the end of its sample's line,
// from the brace closing its labels if any: "} 0.25\n"). The rest changes
// with the snapshot or never (the frontend's start time, its fd limit). A
// hint for GzipPrefix::end, which stays correct whatever it says.
void append_exporter_status(std::string& out, const ExporterStatus& status,
                            std::optional<schema::Snapshot::Reader> snapshot, Format format,
                            TextRanges* per_scrape = nullptr);
std::string render_exporter_status(const ExporterStatus& status,
                                   std::optional<schema::Snapshot::Reader> snapshot, Format format);

}  // namespace mmx
