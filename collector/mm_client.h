#pragma once
// The collector's only D-Bus client: keeps ModemModel equal to what
// ModemManager publishes. GetManagedObjects once, then signals
// (InterfacesAdded/Removed, PropertiesChanged, NameOwnerChanged); a periodic
// resync heals anything missed. Every call is asynchronous with a timeout,
// so nothing here can stall the event loop; failures are counted and the
// values they would have refreshed are dropped rather than kept stale.

#include <sdbus-c++/sdbus-c++.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "call_window.h"
#include "duration.h"
#include "error_counters.h"
#include "modem_events.h"
#include "modem_model.h"
#include "snapshot_builder.h"

namespace mmx {

struct ModemManagerClientOptions {
  Duration call_timeout = std::chrono::seconds(5);
  // Signal.Setup rate; zero leaves the Signal interface alone.
  Duration signal_rate = std::chrono::seconds(5);
  // Runs a callback later on the caller's event loop (the location re-poll
  // after a modem registers, retries). Unset: no delayed work.
  std::function<void(Duration, std::function<void()>)> schedule;
  // Most calls in flight at once (call_window.h).
  std::size_t call_window = kDefaultCallWindow;
  // First wait before a failed one-shot call is made again; it doubles with
  // every failure up to max_retry_delay.
  Duration first_retry_delay = std::chrono::seconds(1);
  Duration max_retry_delay = std::chrono::seconds(30);
  // Modem.GetCellInfo: polled by poll_cells(), on the caller's interval,
  // and right after a modem appears or registers; zero never asks.
  Duration cell_info_interval = std::chrono::seconds(60);
  // Where state changes, registration changes and bearer (dis)connects are
  // counted; unset: not counted.
  ModemEvents* events = nullptr;
};

// What the collector's calls looked like since it started.
struct CallStats {
  std::size_t window = 0;         // most calls in flight at once
  std::size_t in_flight_max = 0;  // the most there ever were
  std::uint64_t retries = 0;      // failed one-shot calls made again
};

class ModemManagerClient {
 public:
  ModemManagerClient(sdbus::IConnection& bus, ModemModel& model, ErrorCounters& errors,
                     ModemManagerClientOptions options);
  ~ModemManagerClient();
  ModemManagerClient(const ModemManagerClient&) = delete;
  ModemManagerClient& operator=(const ModemManagerClient&) = delete;

  // Subscribes to ModemManager's signals and starts the first collection.
  void start();
  // A full collection: presence, GetManagedObjects, every SIM and bearer,
  // locations, and Signal.Setup where it is still owed.
  void resync();

  // Asks every modem for its cells (the --cell-info-interval tick).
  void poll_cells();

  // The outcome of the newest full collection that has ended.
  CollectionStatus collection_status() const { return status_; }
  // True once a full collection has ended, done or failed, superseded or
  // not: only then does the model say anything about ModemManager.
  bool first_collection_done() const { return first_collection_done_; }
  CallStats call_stats() const;
  // Called after every change of the model (to schedule a snapshot).
  void set_change_callback(std::function<void()> callback) { on_change_ = std::move(callback); }

 private:
  struct Round;
  using ReplyHandler = std::function<void(sdbus::MethodReply&)>;
  using ErrorHandler = std::function<void(const sdbus::Error&)>;

  // A round for calls outside a full collection: its end records nothing.
  std::shared_ptr<Round> detached_round();
  sdbus::IProxy& proxy_for(const std::string& path);
  void call(const std::string& path, const char* interface, const char* method,
            const std::function<void(sdbus::MethodCall&)>& arguments, ReplyHandler on_reply,
            ErrorHandler on_error);

  void on_name_owner_changed(sdbus::Message& message);
  void on_interfaces_added(sdbus::Message& message);
  void on_interfaces_removed(sdbus::Message& message);
  void on_properties_changed(sdbus::Message& message);
  void on_state_changed(sdbus::Message& message);
  // Counts what a PropertiesChanged about to be applied changes.
  void count_events(const std::string& path, const std::string& interface,
                    const PropertyMap& changed);
  // The DeviceIdentifier of the modem at `modem_path`, or "".
  std::string device_id_of(const std::string& modem_path) const;

  void manager_appeared(std::shared_ptr<Round> round);
  void manager_vanished();
  void fetch_managed_objects(std::shared_ptr<Round> round);
  void fetch_version(std::shared_ptr<Round> round);
  void sync_linked_objects(std::shared_ptr<Round> round, bool refetch_all);
  void fetch_linked(const std::string& path, const char* interface, std::shared_ptr<Round> round);
  void poll_locations(std::shared_ptr<Round> round);
  void poll_location(const std::string& modem_path, std::shared_ptr<Round> round);
  void setup_signals(std::shared_ptr<Round> round);
  // `only_unknown`: just the modems whose cells were never read.
  void poll_all_cells(std::shared_ptr<Round> round, bool only_unknown);
  void poll_cell(const std::string& modem_path, std::shared_ptr<Round> round);
  void setup_signal(const std::string& modem_path, std::shared_ptr<Round> round);

  void count_error(const sdbus::Error& error, const std::string& what, const std::string& path);
  // After a failed one-shot call: `again` runs after a backoff that grows
  // with each failure of `key`, unless ModemManager said the modem cannot
  // (unsupported, not allowed, wrong state: a state change asks again).
  void retry_later(const std::string& key, const sdbus::Error& error, std::function<void()> again);
  void succeeded(const std::string& key) { retry_attempts_.erase(key); }
  void forget_modem_calls(const std::string& modem_path);
  void notify_changed();
  void drop_unused_proxies();

  sdbus::IConnection& bus_;
  ModemModel& model_;
  ErrorCounters& errors_;
  ModemManagerClientOptions options_;
  std::unique_ptr<sdbus::IProxy> bus_driver_;
  std::map<std::string, std::unique_ptr<sdbus::IProxy>> proxies_;
  std::vector<sdbus::Slot> matches_;
  std::function<void()> on_change_;
  CollectionStatus status_;
  bool first_collection_done_ = false;
  // Full collections started, and the number of the one whose outcome
  // status_ holds (0: none yet); an older one ending later is superseded.
  std::uint64_t collections_started_ = 0;
  std::uint64_t last_recorded_collection_ = 0;
  CallWindow window_;
  // Calls in flight per object path: their proxies must live until the
  // reply, or the window would wait for a completion that never comes.
  std::map<std::string, unsigned> calls_by_path_;
  // Failures in a row per one-shot call ("GetLocation /path"), for backoff.
  std::map<std::string, unsigned> retry_attempts_;
  std::uint64_t retries_ = 0;
  std::set<std::string> location_pending_;
  std::set<std::string> cells_pending_;
  // Weak: the calls of a round own it, so it ends when they all have.
  std::weak_ptr<Round> current_round_;

  // Signal.Setup state per modem path: done, or in flight.
  std::set<std::string> signal_setup_done_;
  std::set<std::string> signal_setup_pending_;
  // Each (path, what) failure is logged once; the counter says the rest.
  std::set<std::string> logged_failures_;
  std::set<std::string> linked_pending_;
  // Delayed callbacks and rounds hold a weak reference: they do nothing
  // once the client is gone (the bus was lost and a new client made).
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace mmx
