#include "collector_app.h"

#include <capnp/message.h>
#include <limits.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>

#include "build_config.h"
#include "errno_text.h"
#include "framing.h"
#include "frontend_privileges.h"
#include "log.h"
#include "service_manager.h"
#include "snapshot.capnp.h"
#include "snapshot_builder.h"
#include "sockets.h"
#include "wall_clock.h"
#include "web_config_check.h"

namespace mmx {
namespace {

// Changes that arrive together (a modem appearing brings dozens of
// PropertiesChanged) become one snapshot.
constexpr std::chrono::milliseconds kCoalesce{100};
constexpr std::chrono::milliseconds kHeartbeat{1000};
constexpr std::chrono::milliseconds kMaxBusBackoff{5000};

// The frontend next to this binary (the build tree), else where
// `cmake --install` puts it (libexec: only this binary and the units start it).
std::string default_frontend_path() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = self.parent_path() / "mm-exporter-frontend";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  return MMX_FRONTEND_INSTALL_PATH;
}

std::string frontend_binary(const CollectorConfig& config) {
  return config.frontend_path.empty() ? default_frontend_path() : config.frontend_path;
}

// The frontend's flags that --check-web-config reads too.
std::vector<std::string> web_args(const CollectorConfig& config) {
  std::vector<std::string> args;
  if (!config.web_config_file.empty()) {
    args.push_back("--web.config.file=" + config.web_config_file);
  }
  if (!config.web_route.external_url.empty()) {
    args.push_back("--web.external-url=" + config.web_route.external_url);
  }
  if (!config.external_url.empty() || !config.route_prefix.empty()) {
    // "/" and not "": an empty prefix would mean "the external URL's path".
    const std::string& prefix = config.web_route.route_prefix;
    args.push_back("--web.route-prefix=" + (prefix.empty() ? "/" : prefix));
  }
  return args;
}

}  // namespace

Expected<> check_web_config_file(const CollectorConfig& config) {
  if (config.web_config_file.empty()) return {};
  WebConfigCheck check;
  check.frontend_binary = frontend_binary(config);
  check.args = web_args(config);
  return check_web_config(check);
}

CollectorApp::CollectorApp(CollectorConfig config) : config_(std::move(config)) {}

CollectorApp::~CollectorApp() {
  supervisor_.reset();
  client_.reset();
}

bool CollectorApp::open_listen_sockets(std::vector<UniqueFd>& fds) {
  for (const auto& text : config_.listen_addresses) {
    const auto address = parse_listen_address(text);
    if (!address) {
      log_error("invalid listen address", {{"err", address.error()}});
      return false;
    }
    auto fd = listen_on(*address);
    if (!fd) {
      log_error("cannot listen", {{"address", text}, {"err", fd.error()}});
      return false;
    }
    log_info("Listening on", {{"address", local_address(fd->get())}});
    fds.push_back(std::move(*fd));
  }
  return true;
}

void CollectorApp::schedule_snapshot() {
  if (snapshot_scheduled_) return;
  snapshot_scheduled_ = true;
  loop_.schedule_after(kCoalesce, [this] {
    snapshot_scheduled_ = false;
    ++generation_;
    publish_snapshot();
  });
}

void CollectorApp::publish_snapshot() {
  const ProcessSample process = process_stats_.sample();
  if (last_message_ == nullptr || last_generation_ != generation_) {
    SnapshotContext context;
    context.generation = generation_;
    context.heartbeat_interval = kHeartbeat;
    context.collection = client_
                             ? client_->collection_status()
                             : CollectionStatus{std::numeric_limits<double>::quiet_NaN(), false};
    context.errors = &errors_;
    context.events = &events_;
    // Without a client the bus could not be reached: ModemManager was
    // looked for, and is not there.
    if (client_ && client_->first_collection_done()) collected_once_ = true;
    context.first_collection_pending = client_ && !collected_once_;
    CallStats calls = retired_calls_;
    if (client_) {
      const CallStats current = client_->call_stats();
      calls.window = current.window;
      calls.in_flight_max = std::max(calls.in_flight_max, current.in_flight_max);
      calls.retries += current.retries;
    }
    context.call_window = static_cast<std::uint32_t>(calls.window);
    context.calls_in_flight_max = static_cast<std::uint32_t>(calls.in_flight_max);
    context.call_retries = calls.retries;
    context.redaction = config_.redaction;
    // One segment sized like the last snapshot: no chain of growing segments.
    last_message_ = std::make_unique<capnp::MallocMessageBuilder>(
        std::max<unsigned>(last_message_words_ + last_message_words_ / 4, 1024));
    const std::size_t new_cuts = cut_log_.note(build_snapshot(model_, context, *last_message_));
    if (new_cuts > 0) {
      for (std::size_t i = 0; i < new_cuts; ++i) errors_.add(ErrorKind::kInvalidValue);
      set_error_counts(*last_message_, errors_);
    }
    last_generation_ = generation_;
  }
  // A heartbeat repeats the content: only what changes with time is set
  // again, in place (fixed-size fields), instead of rebuilding from the model.
  auto snapshot = last_message_->getRoot<schema::Snapshot>();
  snapshot.setSequence(++sequence_);
  snapshot.setTimeUnixNanos(wall_clock_nanos());
  set_collector_process(*last_message_, process);
  auto frame = std::make_shared<const std::vector<std::byte>>(encode_frame(*last_message_));
  last_message_words_ = static_cast<unsigned>(frame->size() / sizeof(capnp::word));
  publisher_.publish(std::move(frame));
  notifier_.status(service_status());
  schedule_heartbeat();
}

std::string CollectorApp::service_status() const {
  std::string text =
      model_.manager_present()
          ? "ModemManager up, " + std::to_string(model_.modems().size()) + " modem(s)"
          : std::string("ModemManager not on the bus");
  return text + "; " + std::to_string(publisher_.frontend_count()) + " frontend(s) connected";
}

void CollectorApp::schedule_heartbeat() {
  if (heartbeat_) loop_.cancel(*heartbeat_);
  heartbeat_ = loop_.schedule_after(kHeartbeat, [this] {
    heartbeat_.reset();
    publish_snapshot();
  });
}

void CollectorApp::handle_signals() {
  signalfd_siginfo info{};
  while (::read(signal_fd_.get(), &info, sizeof info) == sizeof info) {
    switch (info.ssi_signo) {
      case SIGCHLD:
        if (supervisor_ && !supervisor_->reap()) {
          exit_status_ = 1;
          loop_.stop();
        }
        break;
      case SIGHUP:
        log_info("SIGHUP: resyncing with ModemManager");
        if (client_) client_->resync();
        if (supervisor_) reload_frontend();
        break;
      default:
        log_info("shutting down", {{"signal", ::strsignal(static_cast<int>(info.ssi_signo))}});
        loop_.stop();
    }
  }
}

void CollectorApp::reload_frontend() {
  if (const auto checked = check_web_config_file(config_); !checked) {
    log_error(
        "not restarting the frontend: --web.config.file is invalid; the running "
        "frontend keeps what it read",
        {{"err", checked.error()}});
    return;
  }
  log_info("SIGHUP: restarting the frontend, which reads its configuration again");
  supervisor_->restart();
}

void CollectorApp::connect_bus() {
  try {
    bus_ = sdbus::createSystemBusConnection();
  } catch (const sdbus::Error& e) {
    // Keep serving (modemmanager_up 0) and keep trying: the bus may be
    // starting, or restarting.
    if (!bus_failing_) log_error("cannot connect to the system bus", {{"err", e.getMessage()}});
    bus_failing_ = true;
    loop_.schedule_after(bus_backoff_, [this] { connect_bus(); });
    bus_backoff_ = std::min(bus_backoff_ * 2, kMaxBusBackoff);
    return;
  }
  if (bus_failing_) log_info("connected to the system bus");
  bus_failing_ = false;
  bus_backoff_ = kInitialBusBackoff;
  loop_.attach_bus(bus_.get(), [this] { bus_lost(); });
  ModemManagerClientOptions options;
  options.call_timeout = config_.dbus_timeout;
  options.signal_rate = config_.signal_rate;
  options.events = &events_;
  options.cell_info_interval = config_.cell_info_interval;
  options.schedule = [this](Duration delay, std::function<void()> callback) {
    loop_.schedule_after(delay, std::move(callback));
  };
  client_ = std::make_unique<ModemManagerClient>(*bus_, model_, errors_, options);
  client_->set_change_callback([this] { schedule_snapshot(); });
  client_->start();
}

void CollectorApp::bus_lost() {
  // The client's proxies and match slots belong to the dead connection.
  if (client_) {
    const CallStats calls = client_->call_stats();
    retired_calls_.window = calls.window;
    retired_calls_.in_flight_max = std::max(retired_calls_.in_flight_max, calls.in_flight_max);
    retired_calls_.retries += calls.retries;
  }
  client_.reset();
  bus_.reset();
  model_.set_manager_present(false);
  schedule_snapshot();
  bus_failing_ = true;
  loop_.schedule_after(bus_backoff_, [this] { connect_bus(); });
}

int CollectorApp::run() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGCHLD}) sigaddset(&signals, s);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  signal_fd_ = UniqueFd(::signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_) {
    // Without it SIGTERM would never be seen: systemd would have to kill us.
    log_error("cannot watch for signals", {{"err", errno_text("signalfd")}});
    return 1;
  }
  loop_.watch(signal_fd_.get(), POLLIN, [this](short) { handle_signals(); });

  // Asked for now, as it unsets WATCHDOG_USEC: a frontend must not inherit it.
  const auto watchdog_interval = ServiceNotifier::watchdog_interval();
  // Split mode's snapshot socket may come from systemd (a .socket unit);
  // one-command mode takes none.
  auto activated = take_systemd_unix_listener(config_.collector_socket);
  if (!activated) {
    log_error("cannot use the sockets systemd passed", {{"err", activated.error()}});
    return 1;
  }

  // Resolved once, so the frontend we start and the uid we let connect are
  // the same user.
  const auto frontend_user = resolve_frontend_user(config_.frontend_user);
  if (!frontend_user) {
    log_error("no user to run the frontend as", {{"err", frontend_user.error()}});
    return 1;
  }

  std::vector<UniqueFd> listen_fds;
  if (config_.collector_socket.empty() && !open_listen_sockets(listen_fds)) return 1;

  connect_bus();
  loop_.every(config_.refresh_interval, [this] {
    if (client_) client_->resync();
  });
  if (config_.cell_info_interval > Duration::zero()) {
    loop_.every(config_.cell_info_interval, [this] {
      if (client_) client_->poll_cells();
    });
  }

  if (!config_.collector_socket.empty()) {
    // Frontends of the frontend user, of our own user, and root may connect.
    const std::set<uid_t> allowed = {0, ::getuid(), frontend_user->uid};
    const auto listening = activated->valid()
                               ? publisher_.listen_on(std::move(*activated), allowed)
                               : publisher_.listen(config_.collector_socket, allowed);
    if (!listening) {
      log_error("cannot listen for frontends", {{"err", listening.error()}});
      return 1;
    }
    log_info("waiting for frontends", {{"socket", config_.collector_socket},
                                       {"from_systemd", publisher_.owns_path() ? "no" : "yes"}});
  } else {
    FrontendOptions frontend;
    frontend.binary = frontend_binary(config_);
    frontend.extra_args = {
        "--web.telemetry-path=" + config_.telemetry_path,
        "--web.max-requests=" + std::to_string(config_.max_requests),
        std::string("--log.level=") + (config_.log_level == LogLevel::kDebug   ? "debug"
                                       : config_.log_level == LogLevel::kWarn  ? "warn"
                                       : config_.log_level == LogLevel::kError ? "error"
                                                                               : "info"),
        "--frontend-user=" + frontend_user->name,
        "--sandbox-mode=" + std::string(sandbox_mode_name(config_.sandbox_mode))};
    for (std::string& arg : web_args(config_)) frontend.extra_args.push_back(std::move(arg));
    supervisor_ =
        std::make_unique<FrontendSupervisor>(loop_, publisher_, frontend, std::move(listen_fds));
    if (auto started = supervisor_->start(); !started) {
      log_error("cannot start the frontend", {{"err", started.error()}});
      return 1;
    }
  }
  publish_snapshot();
  notifier_.ready(service_status());
  // From the event loop itself: a loop that stalls stops the pings, and
  // systemd restarts the service (WatchdogSec=).
  if (watchdog_interval) loop_.every(*watchdog_interval, [this] { notifier_.watchdog(); });
  loop_.run();
  notifier_.stopping("Stopping");
  if (supervisor_) supervisor_->stop(std::chrono::milliseconds(2000));
  return exit_status_;
}

}  // namespace mmx
