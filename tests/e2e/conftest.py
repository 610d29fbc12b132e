"""Generic end-to-end fixtures: a private system bus and the simulated
ModemManager on it. Exporter fixtures build on these (helpers: harness.py)."""

import pytest

import harness
from exporter import Exporter


@pytest.fixture
def bus():
    """A private dbus-daemon (system-bus config); bus.env() points clients at it."""
    private_bus = harness.PrivateBus()
    yield private_bus
    private_bus.stop()


@pytest.fixture
def start_mmsim(bus):
    """start_mmsim(scenario='two-modems.json', index_base=0): start a simulator on
    `bus`; all of them are stopped after the test, however it ends."""
    started = []

    def start(scenario='two-modems.json', index_base=0):
        started.append(harness.start_mmsim(bus, scenario, index_base))
        return started[-1]

    yield start
    for sim in reversed(started):
        sim.stop()


@pytest.fixture
def mmsim(start_mmsim):
    """The simulator serving the two-modems demo scenario; .client drives it."""
    return start_mmsim('two-modems.json')


@pytest.fixture
def start_exporter(bus):
    """start_exporter(*flags): mm-exporter in one-command mode on a free
    loopback port against `bus`, healthy; stopped after the test, which then
    fails unless it exited with its expected_status (0 unless set)."""
    started = []

    def start(*args):
        exp = Exporter(bus.address, args)
        started.append(exp)
        exp.wait_healthy()
        return exp

    yield start
    for exp in started:
        status, log = exp.stop()
        # pytest shows captured output only when the test failed.
        print(f"--- mm-exporter log ---\n{log}")
        expected = getattr(exp, "expected_status", 0)
        assert status == expected, f"mm-exporter exited with {status}\n{log}"
