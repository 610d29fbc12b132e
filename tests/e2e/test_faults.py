"""Faults the exporter must survive unattended, each with its recovery bound
(docs/RELIABILITY.md lists them with the measured figures)."""

import json
import os
import signal
import socket
import subprocess
import threading
import time
import http.client

import dbus
import pytest

import harness
from exporter import COLLECTOR, FRONTEND, Exporter, Metrics, http_get, wait_for

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
UMTS = "a27b99d8ea607432fe05f0075f707fca17a825c8"


def rss_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def connection_stats(bus, unique_name):
    connection = dbus.bus.BusConnection(bus.address)
    try:
        stats = connection.call_blocking("org.freedesktop.DBus", "/org/freedesktop/DBus",
                                         "org.freedesktop.DBus.Debug.Stats", "GetConnectionStats",
                                         "s", [unique_name])
        return {str(k): int(v) for k, v in stats.items() if isinstance(v, (dbus.UInt32, int))}
    finally:
        connection.close()


@pytest.fixture
def exporter(bus, mmsim):
    exp = Exporter(bus.address, ["--signal-rate=5s"])
    exp.wait_healthy()
    exp.wait_metrics(lambda m: m.has("modemmanager_modems") and m.value("modemmanager_modems") == 2)
    yield exp
    status, log = exp.stop()
    print(f"--- mm-exporter log ---\n{log}")
    assert status == getattr(exp, "expected_status", 0), log


def test_hundred_hotplugs_leak_nothing(bus, mmsim, exporter):
    spec = next(m for m in json.loads((harness.SCENARIOS / "two-modems.json").read_text())["modems"]
                if m["device_id"] == LTE)
    collector_name = next(c.sender for c in mmsim.client.calls("GetManagedObjects"))
    # Warm up allocator pools and proxies before taking the baseline.
    for _ in range(10):
        mmsim.client.remove_modem(LTE)
        mmsim.client.add_modem(spec)
    exporter.wait_metrics(lambda m: m.has("modemmanager_sim_info", device_id=LTE))
    rss_before = rss_kib(exporter.process.pid)
    matches_before = connection_stats(bus, collector_name).get("MatchRules")
    for _ in range(100):
        mmsim.client.remove_modem(LTE)
        mmsim.client.add_modem(spec)
    m = exporter.wait_metrics(lambda m: m.has("modemmanager_sim_info", device_id=LTE) and
                              m.has("modemmanager_bearer_connected", device_id=LTE),
                              what="the modem after 100 replugs")
    assert m.value("modemmanager_modems") == 2
    assert len(m.find("modemmanager_modem_info")) == 2
    assert len(m.find("modemmanager_sim_info")) == 2
    assert len(m.find("modemmanager_bearer_connected")) == 1
    assert connection_stats(bus, collector_name).get("MatchRules") == matches_before
    growth = rss_kib(exporter.process.pid) - rss_before
    print(f"match rules {matches_before}, RSS growth {growth} KiB")
    harness.record_figures("faults", "hotplugs", {"match_rules_before": matches_before,
                                                  "rss_growth_kib": growth})
    assert growth < 512, f"collector RSS grew by {growth} KiB over 100 replugs"


def test_frontend_killed_is_back_within_1s_and_no_connection_is_refused(exporter):
    refused = []
    stop = threading.Event()

    def poll():
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", exporter.port), timeout=2):
                    pass
            except ConnectionRefusedError as e:
                refused.append(e)
            time.sleep(0.005)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        old = exporter.frontend_pid()
        started = time.monotonic()
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: exporter.frontend_pid() not in (None, old), timeout=2, what="new frontend")
        exporter.wait_healthy(timeout=2)
        recovered = time.monotonic() - started
    finally:
        stop.set()
        poller.join()
    print(f"frontend healthy again {recovered * 1000:.0f} ms after SIGKILL")
    harness.record_figures("faults", "frontend_killed", {"healthy_after_ms": round(recovered * 1000),
                                                         "refused": len(refused)})
    assert refused == []
    assert recovered < 1.0, f"frontend back after {recovered:.2f}s"


def test_sigterm_under_load_completes_scrapes_and_exits_0_within_2s(exporter):
    errors = []
    stop = threading.Event()
    stopping = threading.Event()  # set just before SIGTERM
    served = []

    def load():
        while not stop.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", exporter.port, timeout=3)
            try:
                connection.request("GET", "/metrics")
                response = connection.getresponse()
            except (ConnectionRefusedError, ConnectionResetError, http.client.RemoteDisconnected) as e:
                # Once stopping, a connection may be refused, or closed
                # before a byte of an answer: that scrape never started.
                if not stopping.is_set():
                    errors.append(repr(e))
                continue
            except Exception as e:  # noqa: BLE001 - any other failure is a finding
                errors.append(repr(e))
                continue
            try:
                # A scrape that started is answered in full, stopping or not.
                body = response.read()
                if response.status != 200 or not body.endswith(b"\n"):
                    errors.append(f"HTTP {response.status}, {len(body)} bytes")
                served.append(stopping.is_set())
            except Exception as e:  # noqa: BLE001 - a scrape cut off in the middle
                errors.append(repr(e))
            finally:
                connection.close()

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    wait_for(lambda: len(served) >= 20, what="scrapes under way")
    frontend = exporter.frontend_pid()
    started = time.monotonic()
    stopping.set()
    exporter.process.send_signal(signal.SIGTERM)
    status = exporter.process.wait(5)
    took = time.monotonic() - started
    stop.set()
    for t in threads:
        t.join()
    print(f"exit after SIGTERM under load: {took * 1000:.0f} ms")
    harness.record_figures("faults", "sigterm_under_load", {
        "exit_after_ms": round(took * 1000), "scrapes_completed_while_stopping": sum(served)})
    assert status == 0
    assert took < 2.0, f"exit took {took:.2f}s"
    assert not os.path.exists(f"/proc/{frontend}/status") or "zombie" in open(f"/proc/{frontend}/status").read()
    assert errors == []


def test_split_mode_collector_killed_and_back(bus, mmsim, tmp_path):
    # Started as root, the frontend runs as the frontend user inside the
    # socket's directory, which that user must be able to enter.
    tmp_path.chmod(0o755)
    sock = str(tmp_path / "collector.sock")
    port = harness.free_port()
    collector = harness.spawn([COLLECTOR, f"--collector-socket={sock}"], env=bus.env(),
                              stderr=subprocess.DEVNULL)
    frontend = harness.spawn([FRONTEND, f"--collector-socket={sock}",
                              f"--web.listen-address=127.0.0.1:{port}"], stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"

    def scrape():
        return Metrics(http_get(base + "/metrics").text)

    try:
        wait_for(lambda: http_get(base + "/health").status == 200, what="healthy")
        wait_for(lambda: scrape().has("modemmanager_modem_info", device_id=LTE), what="modems")
        collector.kill()
        collector.wait()
        started = time.monotonic()
        health = wait_for(lambda: (lambda r: r if r.status == 503 else None)(http_get(base + "/health")),
                          timeout=3, what="503")
        detected = time.monotonic() - started
        print(f"collector loss seen by /health after {detected * 1000:.0f} ms")
        harness.record_figures("faults", "split_collector_killed", {"health_503_after_ms": round(detected * 1000)})
        assert detected < 3  # 3 heartbeats of 1 s
        assert health.text.strip()  # a reason
        m = scrape()
        assert m.value("modemmanager_exporter_collector_up") == 0
        assert not [s for s in m.samples if "device_id" in s[1]]
        collector = harness.spawn([COLLECTOR, f"--collector-socket={sock}"], env=bus.env(),
                                  stderr=subprocess.DEVNULL)
        started = time.monotonic()
        wait_for(lambda: scrape().has("modemmanager_modem_info", device_id=LTE), timeout=5,
                 what="data back")
        print(f"data back {1000 * (time.monotonic() - started):.0f} ms after the collector restarted")
    finally:
        harness.stop(frontend)
        harness.stop(collector)


def emit(bus, path, interface, member, signature, args):
    """A signal sent from the simulated ModemManager's own connection (dbusmock's
    EmitSignal), so it reaches the exporter like one from ModemManager."""
    connection = dbus.bus.BusConnection(bus.address)
    try:
        connection.call_blocking("org.freedesktop.ModemManager1", path, "org.freedesktop.DBus.Mock",
                                 "EmitSignal", "sssav", [interface, member, signature, args])
    finally:
        connection.close()


def test_values_of_unexpected_types_are_ignored_and_counted(bus, mmsim, exporter):
    path = str(mmsim.client.modems()[LTE])
    props = "org.freedesktop.DBus.Properties"
    # State as a string, SignalQuality as a plain number, a huge string.
    emit(bus, path, props, "PropertiesChanged", "sa{sv}as",
         ["org.freedesktop.ModemManager1.Modem",
          {"State": dbus.String("registered", variant_level=1),
           "SignalQuality": dbus.UInt32(99, variant_level=1),
           "Manufacturer": dbus.String("X" * 100000, variant_level=1)}, dbus.Array([], signature="s")])
    # A signal whose arguments have the wrong shape altogether.
    emit(bus, "/org/freedesktop/ModemManager1", "org.freedesktop.DBus.ObjectManager",
         "InterfacesAdded", "si", ["not-a-path", 7])
    emit(bus, path, props, "PropertiesChanged", "s", ["org.freedesktop.ModemManager1.Modem"])
    m = exporter.wait_metrics(
        lambda m: m.value("modemmanager_scrape_errors_total", kind="invalid_value") >= 3 and
        m.value("modemmanager_scrape_errors_total", kind="invalid_reply") >= 2,
        what="the bad values counted")
    # The last good values stay; an oversized string is refused like a
    # wrongly typed one.
    assert m.value("modemmanager_modem_state", device_id=LTE, state="connected") == 1
    assert m.value("modemmanager_modem_signal_quality_percent", device_id=LTE) == 72
    info = m.find("modemmanager_modem_info", device_id=LTE)
    assert info[0][0]["manufacturer"] == "Quectel"
    assert exporter.process.poll() is None
