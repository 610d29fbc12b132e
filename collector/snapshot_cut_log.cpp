#include "snapshot_cut_log.h"

#include "log.h"

namespace mmx {

std::size_t SnapshotCutLog::note(const std::vector<SnapshotCut>& cuts) {
  std::set<Key> current;
  std::size_t fresh = 0;
  for (const SnapshotCut& cut : cuts) {
    Key key{cut.modem_path, cut.field, cut.size};
    if (!previous_.count(key)) ++fresh;
    current.insert(std::move(key));
    if (logged_fields_.insert(cut.field).second) {
      log_warn("value from ModemManager over the snapshot limit, cut (logged once per field)",
               {{"field", cut.field},
                {"modem", cut.modem_path},
                {"size", std::to_string(cut.size)},
                {"kept", std::to_string(cut.kept)}});
    }
  }
  previous_ = std::move(current);
  return fresh;
}

}  // namespace mmx
