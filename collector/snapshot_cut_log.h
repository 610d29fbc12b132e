#pragma once
// Counts and logs what snapshots had cut to fit the snapshot limits
// (snapshot_fit.h), in modemmanager_scrape_errors_total{kind="invalid_value"}
// like the other values from ModemManager the collector cannot use whole.
//
// Why not count every cut of every snapshot: a snapshot is rebuilt whenever
// anything changes, and repeats the cut of a value that has not: the count
// would grow with unrelated activity. A cut counts once when it appears
// (a modem's field cut from a size it was not cut from in the previous
// snapshot). Each field is logged once per run: a line per snapshot would
// flood the journal for as long as the value stays.

#include <cstddef>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "snapshot_fit.h"

namespace mmx {

class SnapshotCutLog {
 public:
  // Notes the cuts of the latest snapshot; returns how many are new.
  std::size_t note(const std::vector<SnapshotCut>& cuts);

 private:
  using Key = std::tuple<std::string, std::string, std::size_t>;  // modem, field, size
  std::set<Key> previous_;
  std::set<std::string> logged_fields_;
};

}  // namespace mmx
