"""Hotplug, ModemManager restarts, and D-Bus failures: the exporter follows
ModemManager through all of them and reports what went wrong."""

import json
import time

import pytest

import harness
from exporter import wait_for

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
UMTS = "a27b99d8ea607432fe05f0075f707fca17a825c8"
SIGNAL = "org.freedesktop.ModemManager1.Modem.Signal"


def scenario_modem(device_id, scenario="two-modems.json"):
    spec = json.loads((harness.SCENARIOS / scenario).read_text())
    return next(m for m in spec["modems"] if m["device_id"] == device_id)


def modem_path(sim, device_id):
    return str(sim.client.modems()[device_id])


def setup_calls(sim, path):
    return [c for c in sim.client.calls("Setup", SIGNAL) if c.path == path]


def test_signal_setup_on_start_with_the_configured_rate(mmsim, start_exporter):
    start_exporter("--signal-rate=7s")
    path = modem_path(mmsim, LTE)
    wait_for(lambda: setup_calls(mmsim, path), what="Signal.Setup")
    assert setup_calls(mmsim, path)[0].args == [7]
    # The locked modem is not enabled: ModemManager would refuse; no call.
    assert setup_calls(mmsim, modem_path(mmsim, UMTS)) == []


def test_signal_rate_zero_leaves_modems_alone(mmsim, start_exporter):
    exp = start_exporter("--signal-rate=0", "--refresh-interval=1s")
    exp.wait_metrics(lambda m: m.has("modemmanager_modems") and m.value("modemmanager_modems") == 2)
    # A round would call Signal.Setup right after its GetManagedObjects; the
    # bus keeps one sender's messages in order, so once the second round's
    # call has arrived, any Setup of the first would have too.
    rounds = len(mmsim.client.calls("GetManagedObjects"))
    wait_for(lambda: len(mmsim.client.calls("GetManagedObjects")) > rounds, what="a later resync round")
    assert mmsim.client.calls("Setup", SIGNAL) == []


def test_replugged_modem_returns_under_its_device_id_and_is_set_up_again(mmsim, start_exporter):
    exp = start_exporter()
    old_path = modem_path(mmsim, LTE)
    wait_for(lambda: setup_calls(mmsim, old_path), what="first Signal.Setup")
    mmsim.client.remove_modem(LTE)
    exp.wait_metrics(lambda m: not m.has("modemmanager_modem_info", device_id=LTE), what="gone")
    mmsim.client.add_modem(scenario_modem(LTE))
    new_path = modem_path(mmsim, LTE)
    assert new_path != old_path
    m = exp.wait_metrics(lambda m: m.has("modemmanager_modem_info", device_id=LTE), what="back")
    assert m.value("modemmanager_modems") == 2
    wait_for(lambda: setup_calls(mmsim, new_path), what="Signal.Setup on the new path")


def test_modemmanager_restart_restores_everything_within_2s(mmsim, start_exporter):
    exp = start_exporter()
    before = exp.wait_metrics(lambda m: m.has("modemmanager_signal_lte_rsrp_dbm", device_id=LTE),
                              what="signal values")
    mmsim.client.clear_calls()
    started = time.monotonic()
    mmsim.client.restart(200)
    exp.wait_metrics(lambda m: m.value("modemmanager_up") == 0, timeout=2, what="the name to go")
    after = exp.wait_metrics(
        lambda m: m.value("modemmanager_up") == 1 and m.has("modemmanager_sim_info", device_id=UMTS)
        and m.has("modemmanager_bearer_connected", device_id=LTE), timeout=5, what="recovery")
    took = time.monotonic() - started
    print(f"ModemManager restart: series back {took * 1000:.0f} ms after it began (200 ms down)")
    harness.record_figures("faults", "modemmanager_restart", {"series_back_ms": round(took * 1000)})
    assert took < 2.5  # 200 ms down + < 2 s to recover
    new_path = modem_path(mmsim, LTE)
    wait_for(lambda: setup_calls(mmsim, new_path), what="Signal.Setup after the restart")
    # Same series, same values, under the same device ids. The bearer label
    # is the bearer's object-path index (METRICS.md), which a restart renews.
    def series(m):
        return {(n, tuple(sorted((k, "*" if k == "bearer" else v) for k, v in l.items())), v)
                for n, l, v in m.samples if "device_id" in l}
    assert series(before) == series(after)


def test_failing_sim_reads_leave_out_that_sim_and_count_the_error(bus, start_mmsim, start_exporter):
    sim = start_mmsim("two-modems.json")
    sim.client.fail_interface(UMTS, "sim", "org.freedesktop.ModemManager1.Error.Core.Failed")
    exp = start_exporter()
    m = exp.wait_metrics(lambda m: m.value("modemmanager_scrape_errors_total", kind="call_failed") >= 1,
                         what="the error counted")
    assert m.has("modemmanager_sim_info", device_id=LTE)
    assert not m.has("modemmanager_sim_info", device_id=UMTS)
    assert m.has("modemmanager_modem_info", device_id=UMTS)  # the rest of that modem stays
    assert m.value("modemmanager_scrape_success") == 0


def test_a_call_that_hangs_times_out_without_holding_up_the_rest(bus, start_mmsim, start_exporter):
    sim = start_mmsim("two-modems.json")
    sim.client.delay_interface(UMTS, "sim", 3000)
    started = time.monotonic()
    exp = start_exporter("--dbus.timeout=300ms")
    m = exp.wait_metrics(lambda m: m.has("modemmanager_sim_info", device_id=LTE),
                         what="the other modem's SIM")
    assert time.monotonic() - started < 2
    m = exp.wait_metrics(lambda m: m.value("modemmanager_scrape_errors_total", kind="timeout") >= 1,
                         timeout=3, what="the timeout counted")
    assert not m.has("modemmanager_sim_info", device_id=UMTS)


def test_unauthorized_signal_setup_is_counted_and_the_rest_served(bus, start_mmsim, start_exporter):
    sim = start_mmsim("two-modems.json")
    sim.client.fail_interface(LTE, "signal", "org.freedesktop.ModemManager1.Error.Core.Unauthorized")
    exp = start_exporter()
    m = exp.wait_metrics(lambda m: m.value("modemmanager_scrape_errors_total", kind="unauthorized") >= 1,
                         what="unauthorized counted")
    assert m.value("modemmanager_modem_signal_quality_percent", device_id=LTE) == 72
    _, log = exp.stop()
    assert log.count("Signal.Setup") == 1, log  # logged once, not once per attempt


def test_openmetrics_when_the_scraper_asks(mmsim, start_exporter):
    exp = start_exporter()
    exp.wait_metrics(lambda m: m.has("modemmanager_modems") and m.value("modemmanager_modems") == 2)
    r = exp.get("/metrics", headers={"Accept": "application/openmetrics-text;version=1.0.0,text/plain;q=0.5"})
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.endswith("# EOF\n")
    assert r.text.count("# EOF") == 1
    assert "# TYPE modemmanager_bearer_rx_bytes counter" in r.text
    assert "modemmanager_bearer_rx_bytes_total{" in r.text
    try:
        from prometheus_client.openmetrics import parser
    except ImportError:
        pytest.skip("python3-prometheus-client missing")
    families = list(parser.text_string_to_metric_families(r.text))
    assert any(f.name == "modemmanager_modem_state" for f in families)
    plain = exp.get("/metrics")
    assert plain.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert "# EOF" not in plain.text


def test_system_bus_going_away_and_coming_back(bus, start_mmsim, start_exporter):
    start_mmsim("two-modems.json")
    exp = start_exporter()
    exp.wait_metrics(lambda m: m.has("modemmanager_modems") and m.value("modemmanager_modems") == 2)
    bus.kill()  # takes the simulated ModemManager with it
    m = exp.wait_metrics(lambda m: m.value("modemmanager_up") == 0, timeout=3, what="up 0")
    assert not [s for s in m.samples if "device_id" in s[1]]
    assert exp.get("/health").status == 200
    bus.restart()
    start_mmsim("two-modems.json", index_base=20)
    started = time.monotonic()
    m = exp.wait_metrics(lambda m: m.value("modemmanager_up") == 1 and m.has("modemmanager_modems")
                         and m.value("modemmanager_modems") == 2, timeout=10, what="recovery")
    assert m.has("modemmanager_modem_info", device_id=LTE)
    back = time.monotonic() - started
    print(f"system bus back: modems served {1000 * back:.0f} ms after ModemManager was")
    harness.record_figures("faults", "system_bus_back", {"modems_served_after_ms": round(1000 * back)})
