#pragma once
// The collector process: one event loop that owns the D-Bus client, the
// model, the snapshot stream and (in one-command mode) the frontend.
// D-Bus -> ModemModel -> Snapshot -> frames to frontends, in that order only.

#include <capnp/message.h>
#include <sdbus-c++/IConnection.h>

#include <memory>
#include <optional>
#include <vector>

#include "collector_flags.h"
#include "error_counters.h"
#include "event_loop.h"
#include "expected.h"
#include "frontend_supervisor.h"
#include "mm_client.h"
#include "modem_model.h"
#include "process_stats.h"
#include "service_manager.h"
#include "snapshot_cut_log.h"
#include "snapshot_publisher.h"
#include "unique_fd.h"

namespace mmx {

inline constexpr std::chrono::milliseconds kInitialBusBackoff{100};

// Succeeds when the configuration has no --web.config.file or the frontend
// accepts it (web_config_check.h); else the error says what is wrong.
[[nodiscard]] Expected<> check_web_config_file(const CollectorConfig& config);

class CollectorApp {
 public:
  explicit CollectorApp(CollectorConfig config);
  ~CollectorApp();
  // Returns the process exit status.
  int run();

 private:
  bool open_listen_sockets(std::vector<UniqueFd>& fds);
  void schedule_snapshot();
  void publish_snapshot();
  void schedule_heartbeat();
  void handle_signals();
  // SIGHUP in one-command mode: a new frontend, which reads
  // --web.config.file again, once the file is checked.
  void reload_frontend();
  void connect_bus();
  void bus_lost();
  // One line for systemctl status: ModemManager, modems, frontends.
  std::string service_status() const;

  CollectorConfig config_;
  EventLoop loop_;
  ErrorCounters errors_;
  // What snapshots had cut to fit the snapshot limits: counted in errors_.
  SnapshotCutLog cut_log_;
  ModemModel model_{errors_};
  ModemEvents events_;
  ProcessStatsReader process_stats_;
  std::unique_ptr<sdbus::IConnection> bus_;
  std::unique_ptr<ModemManagerClient> client_;
  // What clients dropped with a lost bus had seen of their calls.
  CallStats retired_calls_;
  // A full collection ended once since start: only the first one is waited
  // for (a reconnection to the bus shows ModemManager as it then is).
  bool collected_once_ = false;
  SnapshotPublisher publisher_{loop_};
  std::unique_ptr<FrontendSupervisor> supervisor_;
  UniqueFd signal_fd_;
  // Taken before any frontend is started, so none inherits NOTIFY_SOCKET.
  ServiceNotifier notifier_ = ServiceNotifier::from_environment();
  std::uint64_t sequence_ = 0;
  // Bumped for every coalesced change; heartbeats repeat the generation.
  std::uint64_t generation_ = 1;
  // The last snapshot built, kept for heartbeats of the same generation.
  std::unique_ptr<capnp::MallocMessageBuilder> last_message_;
  std::uint64_t last_generation_ = 0;
  unsigned last_message_words_ = 0;
  bool snapshot_scheduled_ = false;
  std::optional<EventLoop::TimerId> heartbeat_;
  int exit_status_ = 0;
  std::chrono::milliseconds bus_backoff_{kInitialBusBackoff};
  bool bus_failing_ = false;
};

}  // namespace mmx
