#include "mm_client.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "cell_info.h"
#include "dbus_value.h"
#include "log.h"
#include "mm_dbus.h"
#include "wall_clock.h"

namespace mmx {

// The calls made for one purpose. Every call holds a reference; when the
// last one is released the round is over. Two kinds:
// - a full collection (resync()) records its outcome then: how long it
//   took, whether every call succeeded, and that a first collection has
//   ended. Unless it was superseded: a full collection started after it
//   has recorded its own outcome already, which is newer.
// - a detached round (retries, cell polls, what a signal asks for) is not
//   a collection: its end records nothing.
struct ModemManagerClient::Round {
  ModemManagerClient* client;
  std::weak_ptr<bool> client_alive;
  // 0 for a detached round; else the full collection's number, counting
  // from 1 in the order they started.
  std::uint64_t collection = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  bool failed = false;

  Round(ModemManagerClient* c, std::uint64_t collection_number)
      : client(c), client_alive(c->alive_), collection(collection_number) {}
  bool full_collection() const { return collection != 0; }
  bool superseded() const { return collection < client->last_recorded_collection_; }
  ~Round() {
    if (!full_collection() || client_alive.expired() || superseded()) return;
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    client->status_ = CollectionStatus{took.count(), !failed};
    client->last_recorded_collection_ = collection;
    client->first_collection_done_ = true;
    client->notify_changed();
  }
};

std::shared_ptr<ModemManagerClient::Round> ModemManagerClient::detached_round() {
  return std::make_shared<Round>(this, 0);
}

namespace {

constexpr const char* kDbusService = "org.freedesktop.DBus";
constexpr const char* kDbusPath = "/org/freedesktop/DBus";

std::string match_rule(const std::string& body) {
  return "type='signal'," + body;
}

bool is_sim_path(const std::string& path) {
  return path.find("/SIM/") != std::string::npos;
}

// ModemManager's answers that mean "this modem cannot, asking again will
// not help": a state change (which asks again) or nothing will.
bool modem_cannot(const sdbus::Error& error) {
  const std::string& name = error.getName();
  const ErrorKind kind = classify_dbus_error(name);
  return kind == ErrorKind::kUnsupported || kind == ErrorKind::kUnauthorized ||
         name == "org.freedesktop.ModemManager1.Error.Core.WrongState" ||
         name == "org.freedesktop.DBus.Error.UnknownObject";
}

// The modem's State property; 0 (unknown) when it has none.
std::int32_t modem_state(const MirroredObject& object) {
  auto modem = object.find(mm::kModem);
  if (modem == object.end()) return 0;
  const auto* state = find_property<std::int32_t>(&modem->second, "State");
  return state != nullptr ? *state : 0;
}

constexpr std::chrono::seconds kLocationRecheckDelay{2};
constexpr std::size_t kMaxRememberedFailures = 1024;

}  // namespace

ModemManagerClient::ModemManagerClient(sdbus::IConnection& bus, ModemModel& model,
                                       ErrorCounters& errors, ModemManagerClientOptions options)
    : bus_(bus),
      model_(model),
      errors_(errors),
      options_(options),
      bus_driver_(sdbus::createProxy(bus, kDbusService, kDbusPath)),
      status_{std::numeric_limits<double>::quiet_NaN(), false},
      window_(options.call_window) {}

ModemManagerClient::~ModemManagerClient() {
  // Pending calls are cancelled with their proxies; their rounds must not
  // report back into a destroyed client.
  alive_.reset();
  matches_.clear();
  proxies_.clear();
  bus_driver_.reset();
}

sdbus::IProxy& ModemManagerClient::proxy_for(const std::string& path) {
  auto& proxy = proxies_[path];
  if (!proxy) proxy = sdbus::createProxy(bus_, mm::kService, path);
  return *proxy;
}

void ModemManagerClient::call(const std::string& path, const char* interface, const char* method,
                              const std::function<void(sdbus::MethodCall&)>& arguments,
                              ReplyHandler on_reply, ErrorHandler on_error) {
  // Arguments are written now, while what they refer to is alive; the call
  // is made when the window has room.
  std::optional<sdbus::MethodCall> message;
  try {
    message = proxy_for(path).createMethodCall(interface, method);
    if (arguments) arguments(*message);
  } catch (const sdbus::Error& e) {
    on_error(e);
    return;
  }
  ++calls_by_path_[path];
  window_.submit([this, path, message = std::move(*message), on_reply = std::move(on_reply),
                  on_error = std::move(on_error)](CallWindow::Done done) mutable {
    // Runs exactly once per call, whatever way it ends.
    auto finish = [this, path, done = std::move(done)] {
      if (auto it = calls_by_path_.find(path); it != calls_by_path_.end() && --it->second == 0) {
        calls_by_path_.erase(it);
      }
      done();
    };
    const auto timeout =
        std::chrono::duration_cast<std::chrono::microseconds>(options_.call_timeout).count();
    try {
      proxy_for(path).callMethod(
          message,
          [on_reply = std::move(on_reply), on_error, finish](sdbus::MethodReply& reply,
                                                             const sdbus::Error* error) {
            finish();
            if (error != nullptr) {
              on_error(*error);
              return;
            }
            // A reply of the wrong shape throws while being read; it is the
            // peer's fault, so it becomes an error, never a crash.
            try {
              on_reply(reply);
            } catch (const sdbus::Error& e) {
              on_error(sdbus::Error("org.freedesktop.DBus.Error.InvalidSignature", e.getMessage()));
            }
          },
          static_cast<std::uint64_t>(timeout));
    } catch (const sdbus::Error& e) {
      finish();
      on_error(e);
    }
  });
}

CallStats ModemManagerClient::call_stats() const {
  return CallStats{window_.size(), window_.high_water(), retries_};
}

void ModemManagerClient::retry_later(const std::string& key, const sdbus::Error& error,
                                     std::function<void()> again) {
  if (modem_cannot(error) || !options_.schedule) {
    retry_attempts_.erase(key);
    return;
  }
  unsigned& attempts = retry_attempts_[key];
  Duration delay = options_.first_retry_delay;
  for (unsigned i = 0; i < attempts && delay < options_.max_retry_delay; ++i) delay *= 2;
  delay = std::min(delay, options_.max_retry_delay);
  ++attempts;
  std::weak_ptr<bool> alive = alive_;
  options_.schedule(delay, [this, alive, again = std::move(again)] {
    if (alive.expired()) return;
    ++retries_;
    again();
  });
}

void ModemManagerClient::forget_modem_calls(const std::string& modem_path) {
  signal_setup_done_.erase(modem_path);
  signal_setup_pending_.erase(modem_path);
  location_pending_.erase(modem_path);
  cells_pending_.erase(modem_path);
  for (auto it = retry_attempts_.begin(); it != retry_attempts_.end();) {
    const std::string& key = it->first;
    const bool of_modem =
        key.size() > modem_path.size() &&
        key.compare(key.size() - modem_path.size(), modem_path.size(), modem_path) == 0 &&
        key[key.size() - modem_path.size() - 1] == ' ';
    it = of_modem ? retry_attempts_.erase(it) : std::next(it);
  }
}

void ModemManagerClient::count_error(const sdbus::Error& error, const std::string& what,
                                     const std::string& path) {
  errors_.add(classify_dbus_error(error.getName()));
  // Bounded: objects come and go for as long as the collector runs.
  if (logged_failures_.size() >= kMaxRememberedFailures) logged_failures_.clear();
  if (logged_failures_.insert(what + " " + path + " " + error.getName()).second) {
    log_warn("D-Bus call failed", {{"call", what},
                                   {"path", path},
                                   {"error", error.getName()},
                                   {"detail", error.getMessage()}});
  }
  notify_changed();
}

void ModemManagerClient::notify_changed() {
  if (on_change_) on_change_();
}

void ModemManagerClient::start() {
  auto guarded = [this](void (ModemManagerClient::*handler)(sdbus::Message&)) {
    return [this, handler](sdbus::Message& message) {
      try {
        (this->*handler)(message);
      } catch (const sdbus::Error& e) {
        // A signal with unexpected argument types: ignore it, count it.
        errors_.add(ErrorKind::kInvalidReply);
        log_debug("ignored malformed signal",
                  {{"member", message.getMemberName()}, {"err", e.getMessage()}});
        notify_changed();
      }
    };
  };
  const std::string mm_sender = std::string("sender='") + mm::kService + "',";
  matches_.push_back(
      bus_.addMatch(match_rule("sender='org.freedesktop.DBus',path='/org/freedesktop/DBus',"
                               "interface='org.freedesktop.DBus',member='NameOwnerChanged',arg0='" +
                               std::string(mm::kService) + "'"),
                    guarded(&ModemManagerClient::on_name_owner_changed)));
  matches_.push_back(bus_.addMatch(
      match_rule(mm_sender + "interface='" + mm::kObjectManager + "',member='InterfacesAdded'"),
      guarded(&ModemManagerClient::on_interfaces_added)));
  matches_.push_back(bus_.addMatch(
      match_rule(mm_sender + "interface='" + mm::kObjectManager + "',member='InterfacesRemoved'"),
      guarded(&ModemManagerClient::on_interfaces_removed)));
  matches_.push_back(bus_.addMatch(
      match_rule(mm_sender + "interface='" + mm::kProperties + "',member='PropertiesChanged'"),
      guarded(&ModemManagerClient::on_properties_changed)));
  if (options_.events != nullptr) {
    matches_.push_back(bus_.addMatch(
        match_rule(mm_sender + "interface='" + mm::kModem + "',member='StateChanged'"),
        guarded(&ModemManagerClient::on_state_changed)));
  }
  resync();
}

void ModemManagerClient::resync() {
  auto round = std::make_shared<Round>(this, ++collections_started_);
  current_round_ = round;
  // NameHasOwner first: a method call to ModemManager itself would make the
  // bus start the daemon through D-Bus activation, which is not ours to do.
  auto message = bus_driver_->createMethodCall(kDbusService, "NameHasOwner");
  message << std::string(mm::kService);
  const auto timeout =
      std::chrono::duration_cast<std::chrono::microseconds>(options_.call_timeout).count();
  try {
    bus_driver_->callMethod(
        message,
        [this, round](sdbus::MethodReply& reply, const sdbus::Error* error) {
          if (error != nullptr) {
            round->failed = true;
            count_error(*error, "NameHasOwner", kDbusPath);
            return;
          }
          bool has_owner = false;
          try {
            reply >> has_owner;
          } catch (const sdbus::Error& e) {
            round->failed = true;
            count_error(e, "NameHasOwner", kDbusPath);
            return;
          }
          if (has_owner) {
            manager_appeared(round);
          } else {
            manager_vanished();
          }
        },
        static_cast<std::uint64_t>(timeout));
  } catch (const sdbus::Error& e) {
    round->failed = true;
    count_error(e, "NameHasOwner", kDbusPath);
  }
}

void ModemManagerClient::manager_appeared(std::shared_ptr<Round> round) {
  if (!model_.manager_present()) {
    log_info("ModemManager is on the bus");
    model_.set_manager_present(true);
    notify_changed();
  }
  fetch_version(round);
  fetch_managed_objects(round);
}

void ModemManagerClient::manager_vanished() {
  if (model_.manager_present()) log_warn("ModemManager left the bus");
  model_.set_manager_present(false);
  signal_setup_done_.clear();
  signal_setup_pending_.clear();
  linked_pending_.clear();
  location_pending_.clear();
  cells_pending_.clear();
  retry_attempts_.clear();
  // Its objects are gone; so are calls still waiting on them, whose
  // completions will never come.
  proxies_.clear();
  calls_by_path_.clear();
  window_.abandon();
  notify_changed();
}

void ModemManagerClient::fetch_version(std::shared_ptr<Round> round) {
  call(
      mm::kManagerPath, mm::kProperties, "Get",
      [](sdbus::MethodCall& m) {
        m << std::string(mm::kManagerInterface) << std::string("Version");
      },
      [this, round](sdbus::MethodReply& reply) {
        sdbus::Variant value;
        reply >> value;
        if (value.peekValueType() == "s") {
          model_.set_manager_version(value.get<std::string>());
        } else {
          errors_.add(ErrorKind::kInvalidValue);
        }
        notify_changed();
      },
      [this, round](const sdbus::Error& e) {
        round->failed = true;
        count_error(e, "Get Version", mm::kManagerPath);
      });
}

void ModemManagerClient::fetch_managed_objects(std::shared_ptr<Round> round) {
  call(
      mm::kManagerPath, mm::kObjectManager, "GetManagedObjects", nullptr,
      [this, round](sdbus::MethodReply& reply) {
        std::map<sdbus::ObjectPath, std::map<std::string, PropertyMap>> objects;
        reply >> objects;
        ObjectMap modems;
        for (auto& [path, interfaces] : objects) {
          auto& object = modems[path];
          for (auto& [name, properties] : interfaces) object[name] = std::move(properties);
        }
        model_.replace_modems(std::move(modems));
        for (auto it = signal_setup_done_.begin(); it != signal_setup_done_.end();) {
          it = model_.modems().count(*it) ? std::next(it) : signal_setup_done_.erase(it);
        }
        sync_linked_objects(round, true);
        poll_locations(round);
        setup_signals(round);
        poll_all_cells(round, true);
        drop_unused_proxies();
        notify_changed();
      },
      [this, round](const sdbus::Error& e) {
        round->failed = true;
        count_error(e, "GetManagedObjects", mm::kManagerPath);
      });
}

void ModemManagerClient::sync_linked_objects(std::shared_ptr<Round> round, bool refetch_all) {
  model_.prune_linked();
  for (const auto& path : model_.referenced_linked_paths()) {
    if (linked_pending_.count(path)) continue;  // its answer is on the way
    if (!refetch_all && model_.linked().count(path)) continue;
    fetch_linked(path, is_sim_path(path) ? mm::kSim : mm::kBearer, round);
  }
}

void ModemManagerClient::fetch_linked(const std::string& path, const char* interface,
                                      std::shared_ptr<Round> round) {
  linked_pending_.insert(path);
  const std::string iface = interface;
  call(
      path, mm::kProperties, "GetAll", [iface](sdbus::MethodCall& m) { m << iface; },
      [this, path, iface, round](sdbus::MethodReply& reply) {
        linked_pending_.erase(path);
        PropertyMap properties;
        reply >> properties;
        // The modem may have dropped it while the call was under way.
        if (!model_.referenced_linked_paths().count(path)) return;
        model_.set_linked_interface(path, iface, std::move(properties));
        notify_changed();
      },
      [this, path, round](const sdbus::Error& e) {
        linked_pending_.erase(path);
        round->failed = true;
        model_.forget_linked(path);
        count_error(e, "GetAll", path);
      });
}

void ModemManagerClient::poll_locations(std::shared_ptr<Round> round) {
  for (const auto& [path, object] : model_.modems()) {
    (void)object;
    poll_location(path, round);
  }
}

void ModemManagerClient::poll_location(const std::string& modem_path,
                                       std::shared_ptr<Round> round) {
  constexpr unsigned kPositionSources =
      mm::kLocation3gppLacCi | mm::kLocationGpsRaw | mm::kLocationCdmaBs;
  auto modem_it = model_.modems().find(modem_path);
  if (modem_it == model_.modems().end()) return;
  const MirroredObject& object = modem_it->second;
  auto location = object.find(mm::kLocation);
  if (location == object.end()) return;
  const Properties& p = location->second;
  const auto* enabled_sources = find_property<std::uint32_t>(&p, "Enabled");
  const auto enabled = enabled_sources != nullptr ? *enabled_sources : 0u;
  const auto* signals_location = find_property<bool>(&p, "SignalsLocation");
  const bool signals = signals_location != nullptr && *signals_location;
  // ModemManager answers GetLocation only for an enabled modem (WrongState
  // otherwise, e.g. while disabling with its sources still enabled).
  if ((enabled & kPositionSources) == 0 || signals ||
      modem_state(object) < mm::kModemStateEnabled) {
    model_.forget_location(modem_path);
    return;
  }
  if (!location_pending_.insert(modem_path).second) return;  // asked already
  call(
      modem_path, mm::kLocation, "GetLocation", nullptr,
      [this, modem_path, round](sdbus::MethodReply& reply) {
        location_pending_.erase(modem_path);
        succeeded("GetLocation " + modem_path);
        model_.set_location(modem_path, read_uint_dict(reply));
        notify_changed();
      },
      [this, modem_path, round](const sdbus::Error& e) {
        location_pending_.erase(modem_path);
        round->failed = true;
        model_.forget_location(modem_path);
        count_error(e, "GetLocation", modem_path);
        retry_later("GetLocation " + modem_path, e,
                    [this, modem_path] { poll_location(modem_path, detached_round()); });
      });
}

void ModemManagerClient::poll_cells() {
  poll_all_cells(detached_round(), false);
}

void ModemManagerClient::poll_all_cells(std::shared_ptr<Round> round, bool only_unknown) {
  for (const auto& [path, object] : model_.modems()) {
    (void)object;
    if (only_unknown && model_.cells(path) != nullptr) continue;
    poll_cell(path, round);
  }
}

void ModemManagerClient::poll_cell(const std::string& modem_path, std::shared_ptr<Round> round) {
  if (options_.cell_info_interval <= Duration::zero()) return;
  if (model_.cell_info_unsupported(modem_path)) return;  // said once is enough
  auto modem_it = model_.modems().find(modem_path);
  if (modem_it == model_.modems().end()) return;
  // ModemManager knows cells only once the modem is enabled.
  if (modem_state(modem_it->second) < mm::kModemStateEnabled) {
    model_.forget_cells(modem_path);
    return;
  }
  if (!cells_pending_.insert(modem_path).second) return;  // asked already
  call(
      modem_path, mm::kModem, "GetCellInfo", nullptr,
      [this, modem_path, round](sdbus::MethodReply& reply) {
        cells_pending_.erase(modem_path);
        succeeded("GetCellInfo " + modem_path);
        std::uint64_t invalid = 0;
        CellReport cells = read_cell_info(reply, invalid);
        for (std::uint64_t i = 0; i < invalid; ++i) errors_.add(ErrorKind::kInvalidValue);
        model_.set_cells(modem_path, std::move(cells));
        notify_changed();
      },
      [this, modem_path, round](const sdbus::Error& e) {
        cells_pending_.erase(modem_path);
        if (classify_dbus_error(e.getName()) == ErrorKind::kUnsupported) {
          // The plugin cannot tell (the generic AT one): counted once, the
          // modem not asked again, and no failure of the collection.
          model_.set_cell_info_unsupported(modem_path);
          count_error(e, "GetCellInfo", modem_path);
          return;
        }
        round->failed = true;
        model_.forget_cells(modem_path);
        count_error(e, "GetCellInfo", modem_path);
        retry_later("GetCellInfo " + modem_path, e,
                    [this, modem_path] { poll_cell(modem_path, detached_round()); });
      });
}

void ModemManagerClient::setup_signals(std::shared_ptr<Round> round) {
  for (const auto& [path, object] : model_.modems()) {
    (void)object;
    setup_signal(path, round);
  }
}

void ModemManagerClient::setup_signal(const std::string& modem_path, std::shared_ptr<Round> round) {
  if (options_.signal_rate <= Duration::zero()) return;
  auto modem_it = model_.modems().find(modem_path);
  if (modem_it == model_.modems().end()) return;
  const MirroredObject& object = modem_it->second;
  auto signal = object.find(mm::kSignal);
  if (signal == object.end()) return;
  const std::uint32_t rate = static_cast<std::uint32_t>(std::max<std::int64_t>(
      1, std::chrono::duration_cast<std::chrono::seconds>(options_.signal_rate).count()));
  const auto& sp = signal->second;
  const auto* current_rate = find_property<std::uint32_t>(&sp, "Rate");
  const std::uint32_t current = current_rate != nullptr ? *current_rate : 0u;
  if (signal_setup_done_.count(modem_path) && current == rate) return;
  if (signal_setup_pending_.count(modem_path)) return;
  // ModemManager only measures extended signal on an enabled modem.
  if (modem_state(object) < mm::kModemStateEnabled) return;
  signal_setup_pending_.insert(modem_path);
  call(
      modem_path, mm::kSignal, "Setup", [rate](sdbus::MethodCall& m) { m << rate; },
      [this, modem_path, round](sdbus::MethodReply&) {
        signal_setup_pending_.erase(modem_path);
        signal_setup_done_.insert(modem_path);
        succeeded("Signal.Setup " + modem_path);
        log_debug("extended signal set up", {{"path", modem_path}});
      },
      [this, modem_path, round](const sdbus::Error& e) {
        signal_setup_pending_.erase(modem_path);
        round->failed = true;
        count_error(e, "Signal.Setup", modem_path);
        retry_later("Signal.Setup " + modem_path, e,
                    [this, modem_path] { setup_signal(modem_path, detached_round()); });
      });
}

void ModemManagerClient::drop_unused_proxies() {
  const auto linked = model_.referenced_linked_paths();
  for (auto it = proxies_.begin(); it != proxies_.end();) {
    const std::string& path = it->first;
    const bool used = path == mm::kManagerPath || model_.modems().count(path) ||
                      linked.count(path) || linked_pending_.count(path) ||
                      calls_by_path_.count(path);
    it = used ? std::next(it) : proxies_.erase(it);
  }
}

void ModemManagerClient::on_name_owner_changed(sdbus::Message& message) {
  std::string name, old_owner, new_owner;
  message >> name >> old_owner >> new_owner;
  if (name != mm::kService) return;
  if (!old_owner.empty()) manager_vanished();
  if (!new_owner.empty()) resync();
}

void ModemManagerClient::on_interfaces_added(sdbus::Message& message) {
  if (message.getPath() != mm::kManagerPath) return;
  sdbus::ObjectPath path;
  std::map<std::string, PropertyMap> interfaces;
  message >> path >> interfaces;
  if (!model_.manager_present()) return;  // the resync in flight will see it
  InterfaceMap object;
  for (auto& [name, properties] : interfaces) object[name] = std::move(properties);
  model_.add_interfaces(path, std::move(object));
  auto round = current_round_.lock();
  if (!round) {
    // Changes outside a full collection do not count as one.
    round = detached_round();
  }
  sync_linked_objects(round, false);
  setup_signal(path, round);
  poll_location(path, round);
  poll_cell(path, round);
  notify_changed();
}

void ModemManagerClient::on_interfaces_removed(sdbus::Message& message) {
  if (message.getPath() != mm::kManagerPath) return;
  sdbus::ObjectPath path;
  std::vector<std::string> interfaces;
  message >> path >> interfaces;
  model_.remove_interfaces(path, interfaces);
  if (!model_.modems().count(path)) forget_modem_calls(path);
  model_.prune_linked();
  drop_unused_proxies();
  notify_changed();
}

void ModemManagerClient::on_properties_changed(sdbus::Message& message) {
  const std::string path = message.getPath();
  std::string interface;
  PropertyMap changed;
  std::vector<std::string> invalidated;
  message >> interface >> changed >> invalidated;
  const bool links_changed =
      interface == mm::kModem &&
      (changed.count("Sim") || changed.count("SimSlots") || changed.count("Bearers"));
  const bool state_changed = interface == mm::kModem && changed.count("State");
  const bool rate_changed = interface == mm::kSignal && changed.count("Rate");
  count_events(path, interface, changed);
  if (!model_.apply_properties_changed(path, interface, std::move(changed), invalidated)) return;
  std::shared_ptr<Round> detached = detached_round();
  if (links_changed) {
    sync_linked_objects(detached, false);
    drop_unused_proxies();
  }
  if (state_changed || rate_changed) setup_signal(path, detached);
  if (state_changed) {
    poll_location(path, detached);
    // ModemManager learns the serving cell a moment after the modem
    // registers, without a signal (seen with the real daemon): look again
    // shortly instead of waiting a whole refresh interval.
    if (options_.schedule) {
      std::weak_ptr<bool> alive = alive_;
      options_.schedule(kLocationRecheckDelay, [this, alive, path] {
        if (alive.expired()) return;
        auto round = detached_round();
        poll_location(path, round);
        poll_cell(path, round);  // the cells of a modem that just registered
      });
    }
  }
  notify_changed();
}

std::string ModemManagerClient::device_id_of(const std::string& modem_path) const {
  auto modem = model_.modems().find(modem_path);
  if (modem == model_.modems().end()) return "";
  auto iface = modem->second.find(mm::kModem);
  if (iface == modem->second.end()) return "";
  const auto* id = find_property<std::string>(&iface->second, "DeviceIdentifier");
  return id != nullptr ? *id : "";
}

void ModemManagerClient::on_state_changed(sdbus::Message& message) {
  std::int32_t old_state = 0;
  std::int32_t new_state = 0;
  std::uint32_t reason = 0;
  message >> old_state >> new_state >> reason;
  // A modem not yet read (GetManagedObjects under way) has no device id to
  // count under; its state is then what the first read says.
  const std::string device_id = device_id_of(message.getPath());
  if (device_id.empty()) return;
  options_.events->state_changed(device_id, new_state, reason, wall_clock_nanos());
  notify_changed();
}

void ModemManagerClient::count_events(const std::string& path, const std::string& interface,
                                      const PropertyMap& changed) {
  if (options_.events == nullptr) return;
  // Only changes from a value already known count: the first read of a
  // modem or bearer is where it is, not a change.
  if (interface == mm::kModem3gpp) {
    auto it = changed.find("RegistrationState");
    const auto* now = it != changed.end() ? it->second.get_if<std::uint32_t>() : nullptr;
    auto modem = model_.modems().find(path);
    if (now == nullptr || modem == model_.modems().end()) return;
    auto iface = modem->second.find(mm::kModem3gpp);
    if (iface == modem->second.end()) return;
    const auto* before = find_property<std::uint32_t>(&iface->second, "RegistrationState");
    if (before != nullptr && *before != *now) {
      options_.events->registration_changed(device_id_of(path), *now);
    }
  } else if (interface == mm::kBearer) {
    auto it = changed.find("Connected");
    const auto* now = it != changed.end() ? it->second.get_if<bool>() : nullptr;
    auto bearer = model_.linked().find(path);
    if (now == nullptr || bearer == model_.linked().end()) return;
    auto iface = bearer->second.find(mm::kBearer);
    if (iface == bearer->second.end()) return;
    const auto* before = find_property<bool>(&iface->second, "Connected");
    if (before == nullptr || *before == *now) return;
    // The modem that lists this bearer.
    for (const auto& [modem_path, object] : model_.modems()) {
      auto modem = object.find(mm::kModem);
      if (modem == object.end()) continue;
      const auto* bearers = find_property<std::vector<ObjectPath>>(&modem->second, "Bearers");
      if (bearers != nullptr &&
          std::find(bearers->begin(), bearers->end(), path) != bearers->end()) {
        options_.events->bearer_connected_changed(device_id_of(modem_path), *now);
        return;
      }
    }
  }
}

}  // namespace mmx
