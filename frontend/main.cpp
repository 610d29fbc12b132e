// mm-exporter-frontend: serves the collector's snapshots over HTTP.
//
// Start-up, in this order: parse flags; open every descriptor it will ever
// need (listening sockets, the collector connection's eventfd, /proc/self
// for process_*); lock itself down (sandbox.h); start the snapshot receiver
// and the HTTP listeners; wait for SIGTERM or SIGINT; stop, letting requests
// in flight finish.

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "errno_text.h"
#include "expected.h"
#include "exposition.h"
#include "frontend_flags.h"
#include "http_server.h"
#include "log.h"
#include "sandbox.h"
#include "service_manager.h"
#include "snapshot_cache.h"
#include "snapshot_receiver.h"
#include "sockets.h"
#include "unique_fd.h"
#include "web_security.h"

namespace mmx {
namespace {

// Requests in flight get this long to finish after SIGTERM; together with
// the receiver's stop it keeps the exit within 2 s.
constexpr std::chrono::milliseconds kShutdownGrace{1500};

std::atomic<bool> g_listener_failed{false};
std::atomic<bool> g_collector_lost{false};

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "%s: %s\n", kFrontendProgram, problem.c_str());
  return 2;
}

// Adds the listening sockets systemd passed (socket activation) to `out`.
[[nodiscard]] Expected<> take_systemd_sockets(std::vector<UniqueFd>& out) {
  const int count = sd_listen_fds(1);
  if (count < 0) return fail(errno_text("--web.systemd-socket", -count));
  if (count == 0) return fail("--web.systemd-socket: systemd passed no listening socket");
  for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
    if (!is_listening_socket(fd)) {
      return fail("--web.systemd-socket: descriptor " + std::to_string(fd) +
                  " from systemd is not a listening socket");
    }
    set_cloexec(fd, true);
    out.emplace_back(fd);
  }
  return {};
}

void log_web_config(const FrontendConfig& config, const WebSecurity& security) {
  for (const std::string& note : security.notes) log_info("Web config", {{"note", note}});
  if (config.web_config_file.empty()) return;
  log_info("Web config loaded",
           {{"file", config.web_config_file},
            {"tls", security.tls ? "on" : "off"},
            {"basic_auth_users",
             std::to_string(security.basic_auth ? security.basic_auth->user_count() : 0)}});
}

// Blocks SIGTERM and SIGINT and returns them: every thread started from
// here on inherits the mask, so the signals reach only run()'s sigwait().
sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A client that goes away mid-response must cost a failed write, not the
  // process: OpenSSL writes to TLS sockets with plain write(2).
  ::signal(SIGPIPE, SIG_IGN);
  return stop_signals;
}

std::unique_ptr<SnapshotReceiver> make_receiver(const FrontendConfig& config,
                                                SnapshotCache& cache) {
  auto render = [](schema::Snapshot::Reader snapshot, Format format) {
    return render_exposition(snapshot, format);
  };
  if (config.collector_fd < 0) {
    // Reconnections happen inside the sandbox, whose root may be the
    // socket's directory.
    return std::make_unique<SnapshotReceiver>(collector_socket_in_sandbox(config.collector_socket),
                                              cache, render);
  }
  set_cloexec(config.collector_fd, true);
  auto receiver = std::make_unique<SnapshotReceiver>(UniqueFd(config.collector_fd), cache, render);
  // The inherited connection cannot be made again. A collector that is
  // alive starts a new frontend; one that died must not leave this one
  // holding the port that a restarted mm-exporter wants to bind.
  receiver->set_on_finished([] {
    g_collector_lost = true;
    ::kill(::getpid(), SIGTERM);
  });
  return receiver;
}

// `security` must outlive the server.
HttpOptions http_options(const FrontendConfig& config, const WebSecurity& security) {
  HttpOptions options;
  options.telemetry_path = config.telemetry_path;
  options.max_requests = config.max_requests;
  options.log_requests = config.log_level == LogLevel::kDebug;
  options.tls = security.tls.get();
  options.headers = security.headers;
  options.basic_auth = security.basic_auth.get();
  options.route_prefix = security.route_prefix;
  return options;
}

SandboxOptions sandbox_options(const FrontendConfig& config) {
  SandboxOptions sandbox;
  sandbox.mode = config.sandbox_mode;
  sandbox.user = config.frontend_user;
  sandbox.collector_socket = config.collector_socket;
  sandbox.connections = HttpServer::kMaxConnections;
  return sandbox;
}

void announce_serving(const FrontendConfig& config, const HttpServer& http,
                      ServiceNotifier& notifier) {
  std::string serving;
  for (const std::string& address : http.addresses()) {
    log_info("Listening on", {{"address", address}});
    serving += (serving.empty() ? "" : ", ") + address;
  }
  notifier.ready("Serving HTTP on " + serving + "; snapshots from " +
                 (config.collector_socket.empty() ? "the collector that started it"
                                                  : config.collector_socket));
}

// After a stop signal: lets the requests in flight finish, stops the
// receiver, and returns the exit code.
int shut_down(int signal_number, HttpServer& http, SnapshotReceiver& receiver,
              ServiceNotifier& notifier) {
  if (g_collector_lost) {
    log_info("Shutting down: the collector that started this frontend is gone");
  } else {
    log_info("Shutting down", {{"signal", sigabbrev_np(signal_number)}});
  }
  const int exit_code = g_listener_failed || g_collector_lost ? 1 : 0;
  notifier.stopping("Stopping");
  const bool clean = http.stop(kShutdownGrace);
  receiver.stop();
  if (!clean) {
    // Connections kept alive or stalled still hold worker threads; ending
    // the process closes them. Not by returning: ~HttpServer would wait for
    // them again, past the 2 s an exit may take, and static destructors would
    // run under threads still serving.
    log_warn("Exiting with HTTP connections still open");
    std::fflush(nullptr);
    std::_Exit(exit_code);
  }
  return exit_code;
}

int run(const FrontendConfig& config) {
  set_log_level(config.log_level);

  // Every file it names is read now: nothing can be opened in the sandbox.
  auto loaded = load_web_security(config.web_config_file, config.web_route);
  if (!loaded) return usage_error("--web.config.file: " + loaded.error());
  // Lives until run() returns, after the server has stopped.
  const std::shared_ptr<const WebSecurity> security = std::move(*loaded);
  if (config.check_web_config) return 0;
  log_web_config(config, *security);

  const sigset_t stop_signals = block_stop_signals();
  // Connected now, while socket() and the socket's path are still reachable.
  ServiceNotifier notifier = ServiceNotifier::from_environment();

  std::vector<UniqueFd> listeners;
  for (int fd : config.listen_fds) {
    set_cloexec(fd, true);
    listeners.emplace_back(fd);
  }
  if (config.systemd_socket) {
    if (auto taken = take_systemd_sockets(listeners); !taken) return usage_error(taken.error());
  }
  for (const ListenAddress& address : config.listen_addresses) {
    auto fd = listen_on(address);
    if (!fd) {
      log_error("Cannot listen", {{"err", fd.error()}});
      return 1;
    }
    listeners.push_back(std::move(*fd));
  }

  SnapshotCache cache;
  const std::unique_ptr<SnapshotReceiver> receiver = make_receiver(config, cache);
  HttpServer http(cache, http_options(config, *security));
  for (UniqueFd& fd : listeners) http.add_listener(std::move(fd));

  // Every descriptor is open and no thread is running: lock down here,
  // before the first byte is read from the network or the collector. With
  // --collector-socket the receiver connects (again) later, inside.
  if (auto locked = enter_sandbox(sandbox_options(config)); !locked) {
    // Nothing more may run part locked down. No thread has started and the
    // filter was not loaded, so returning (and closing what is open) is safe.
    log_error("Cannot lock the frontend down; exiting",
              {{"step", locked.error().step}, {"err", locked.error().error}});
    return 1;
  }

  receiver->start();
  const auto serving_started = http.start([](const std::string&) {
    g_listener_failed = true;
    ::kill(::getpid(), SIGTERM);
  });
  if (!serving_started) {
    log_error("Cannot serve HTTP", {{"err", serving_started.error()}});
    return 1;
  }
  announce_serving(config, http, notifier);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  return shut_down(signal_number, http, *receiver, notifier);
}

}  // namespace
}  // namespace mmx

int main(int argc, char** argv) {
  mmx::set_log_component("frontend");
  mmx::FlagOutcome flags = mmx::parse_frontend_flags(argc, argv);
  switch (flags.action) {
    case mmx::FlagOutcome::Action::kHelp:
    case mmx::FlagOutcome::Action::kVersion:
      std::fputs(flags.message.c_str(), stdout);
      return 0;
    case mmx::FlagOutcome::Action::kError:
      return mmx::usage_error(flags.message);
    case mmx::FlagOutcome::Action::kRun:
      break;
  }
  try {
    return mmx::run(flags.config);
  } catch (const std::system_error& e) {
    // A constructor that cannot do without a resource (an eventfd, an
    // epoll instance) found none: nothing can be served.
    mmx::log_error("Cannot start", {{"err", e.what()}});
    return 1;
  }
}
