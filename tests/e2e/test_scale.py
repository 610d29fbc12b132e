"""Many modems on a bus with the system bus's default limits: dbus-daemon
refuses a connection's calls beyond 128 pending replies (LimitsExceeded),
so the collector keeps its calls within a window and makes failed one-shot
calls again with backoff. Every modem must have its extended signal rate,
its location and its cells within one refresh interval, without a single refused
call, and the window must never be exceeded."""

import json
import subprocess
import sys
import time

import pytest

import harness
from exporter import Exporter, wait_for

REFRESH_SECONDS = 30
BUS_PENDING_REPLIES_LIMIT = 128  # dbus-daemon's max_replies_per_connection default
CORE_FAILED = "org.freedesktop.ModemManager1.Error.Core.Failed"
UNSUPPORTED = "org.freedesktop.ModemManager1.Error.Core.Unsupported"
LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"


# An LTE carrier with one secondary, as GetCellInfo answers on every modem.
CELLS = [
    {"cell-type": "lte", "serving": True, "serving-cell-type": "pcell", "operator-id": "21401",
     "tac": "2B0F", "ci": "1A2B3C4", "physical-ci": "1F4", "earfcn": 6300, "rsrp": -96.0},
    {"cell-type": "lte", "serving": True, "serving-cell-type": "scell", "physical-ci": "8C",
     "earfcn": 3100, "rsrp": -104.0},
    {"cell-type": "lte", "serving": False, "physical-ci": "12", "earfcn": 6300, "rsrp": -101.0},
]


def scenario(tmp_path, n):
    path = tmp_path / f"{n}-modems.json"
    spec = json.loads(subprocess.run(
        [sys.executable, str(harness.TESTS_DIR.parent / "bench" / "gen_scenario.py"), str(n)],
        check=True, capture_output=True, text=True).stdout)
    for modem in spec["modems"]:
        modem["cells"] = CELLS
    path.write_text(json.dumps(spec))
    return path


def complete(m, n):
    """Whether all n modems have a signal rate, a latitude and their cells."""
    rates = [v for _, v in m.find("modemmanager_signal_refresh_rate_seconds") if v == 5]
    scells = [v for _, v in m.find("modemmanager_modem_carriers", role="scell") if v == 1]
    return (len(rates) == n and len(m.find("modemmanager_location_latitude_degrees")) == n
            and len(scells) == n)


@pytest.mark.parametrize("n", [64, 256])
def test_every_modem_has_signal_and_location_within_one_refresh_interval(bus, tmp_path, n):
    sim = harness.start_mmsim(bus, scenario(tmp_path, n), timeout=120)
    exp = Exporter(bus.address, [f"--refresh-interval={REFRESH_SECONDS}s", "--signal-rate=5s"])
    started = time.monotonic()
    try:
        m = exp.wait_metrics(lambda m: complete(m, n), timeout=REFRESH_SECONDS,
                             what=f"signal rate, location and cells of all {n} modems")
        took = time.monotonic() - started
        print(f"{n} modems: signal rate, location and cells of every one {took:.2f} s after start")
        window = m.value("modemmanager_exporter_dbus_call_window")
        high_water = m.value("modemmanager_exporter_dbus_calls_in_flight_max")
        print(f"call window {window:.0f}, most calls in flight {high_water:.0f}")
        assert 0 < high_water <= window <= BUS_PENDING_REPLIES_LIMIT // 2
        # Not one call refused or failed on the way.
        assert sum(v for _, v in m.find("modemmanager_scrape_errors_total")) == 0
        assert m.value("modemmanager_exporter_dbus_call_retries_total") == 0
        setups = sim.client.calls("Setup", "org.freedesktop.ModemManager1.Modem.Signal")
        assert len({c.path for c in setups}) == n
        cells = sim.client.calls("GetCellInfo", "org.freedesktop.ModemManager1.Modem")
        assert len({c.path for c in cells}) == n
    finally:
        status, log = exp.stop()
        sim.stop()
    assert status == 0, log
    assert "LimitsExceeded" not in log, log


def test_a_failed_signal_setup_is_made_again_until_it_succeeds(bus, start_mmsim, start_exporter):
    sim = start_mmsim("two-modems.json")
    sim.client.fail_interface(LTE, "signal", CORE_FAILED)
    exp = start_exporter("--refresh-interval=60s")
    path = sim.client.modems()[LTE]
    # Failed attempts, spaced by a growing delay: 1 s, then 2 s.
    wait_for(lambda: len(sim.client.calls("Setup", path=path)) >= 3, timeout=10,
             what="three Signal.Setup attempts")
    times = [c.time for c in sim.client.calls("Setup", path=path)]
    assert times[2] - times[1] > (times[1] - times[0]) * 1.5
    sim.client.fail_interface(LTE, "signal", "")
    m = exp.wait_metrics(lambda m: m.has("modemmanager_signal_refresh_rate_seconds", device_id=LTE)
                         and m.value("modemmanager_signal_refresh_rate_seconds", device_id=LTE) == 5,
                         timeout=10, what="Signal.Setup made again after the fault healed")
    assert m.value("modemmanager_exporter_dbus_call_retries_total") >= 2
    assert m.value("modemmanager_scrape_errors_total", kind="call_failed") >= 3


def test_a_signal_setup_the_modem_cannot_do_is_not_made_again(bus, start_mmsim, start_exporter):
    sim = start_mmsim("two-modems.json")
    sim.client.fail_interface(LTE, "signal", UNSUPPORTED)
    exp = start_exporter("--refresh-interval=60s")
    path = sim.client.modems()[LTE]
    exp.wait_metrics(lambda m: m.value("modemmanager_scrape_errors_total", kind="unsupported") >= 1,
                     what="unsupported counted")
    time.sleep(3.5)  # three retries' worth of backoff
    assert len(sim.client.calls("Setup", path=path)) == 1
    assert exp.scrape().value("modemmanager_exporter_dbus_call_retries_total") == 0
