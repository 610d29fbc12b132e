"""No false value at start-up: until the collector's first full collection
has ended, /metrics says nothing about ModemManager, so a scrape in that
moment records neither an outage (modemmanager_up 0) nor a missing modem
(docs/METRICS.md, "Start-up")."""

import signal
import time
import urllib.error

import harness
from exporter import Exporter, Metrics, http_get, wait_for

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
UMTS = "a27b99d8ea607432fe05f0075f707fca17a825c8"
OBJECT_MANAGER = "org.freedesktop.DBus.ObjectManager"


def scrape_from_first_connection(exp, seconds):
    """Scrapes as fast as it can from the first accepted connection on, for
    `seconds` after that; returns every page served."""
    pages = []
    first = None
    deadline = time.monotonic() + 10
    while True:
        now = time.monotonic()
        if first is not None and now - first > seconds:
            return pages
        assert now < deadline, "the exporter never accepted a connection"
        try:
            r = http_get(exp.url("/metrics"), timeout=2)
        except (OSError, urllib.error.URLError):
            continue
        if first is None:
            first = time.monotonic()
        assert r.status == 200, r.body[:200]
        pages.append(Metrics(r.text))


def test_a_tight_scrape_loop_from_the_first_connection_never_sees_a_false_value(bus, start_mmsim):
    sim = start_mmsim("two-modems.json")
    # The object manager answers late, widening the moment before the first
    # collection ends: ModemManager is on the bus, its modems not yet read.
    sim.client.delay_object_interface("/org/freedesktop/ModemManager1", OBJECT_MANAGER, 300)
    exp = Exporter(bus.address)
    try:
        pages = scrape_from_first_connection(exp, 1.5)
    finally:
        status, log = exp.stop()
    assert status == 0, log
    silent = [p for p in pages if not p.has("modemmanager_up")]
    speaking = [p for p in pages if p.has("modemmanager_up")]
    print(f"{len(pages)} scrapes: {len(silent)} before the first collection ended, "
          f"{len(speaking)} after")
    assert speaking, "the first collection never ended"
    # Pages without ModemManager's families came first, none after.
    assert pages[:len(silent)] == silent
    for page in speaking:
        assert page.value("modemmanager_up") == 1
        assert page.value("modemmanager_modems") == 2
        assert {l["device_id"] for l, _ in page.find("modemmanager_modem_info")} == {LTE, UMTS}
    for page in silent:
        assert not any(n.startswith("modemmanager_modem") for n in page.names())
        assert not page.has("modemmanager_scrape_success")


def test_without_modemmanager_up_is_0_once_it_was_looked_for(bus):
    exp = Exporter(bus.address)
    try:
        pages = scrape_from_first_connection(exp, 0.5)
    finally:
        status, log = exp.stop()
    assert status == 0, log
    assert pages[-1].value("modemmanager_up") == 0
    assert all(p.value("modemmanager_up") == 0 for p in pages if p.has("modemmanager_up"))


def test_a_first_collection_slower_than_the_refresh_interval_still_ends(bus, start_mmsim,
                                                                        start_exporter):
    sim = start_mmsim("two-modems.json")
    # GetManagedObjects answers after 2.5 s and a full collection starts
    # every second: each is overtaken by the next before it ends. The first
    # to end, superseded or not, ends the start-up and says how long it took.
    sim.client.delay_object_interface("/org/freedesktop/ModemManager1", OBJECT_MANAGER, 2500)
    exp = start_exporter("--refresh-interval=1s")
    m = exp.wait_metrics(lambda m: m.has("modemmanager_up"), timeout=10,
                         what="the end of the first collection")
    assert m.value("modemmanager_up") == 1
    assert m.value("modemmanager_modems") == 2
    assert m.value("modemmanager_scrape_duration_seconds") >= 2.5
    assert m.value("modemmanager_scrape_success") == 1


def test_a_collection_that_ends_after_a_newer_one_does_not_replace_its_outcome(bus, start_mmsim,
                                                                               start_exporter):
    sim = start_mmsim("two-modems.json")
    # The first collection's GetManagedObjects answers after 2.5 s; the one
    # SIGHUP starts answers at once and ends first.
    sim.client.delay_object_interface("/org/freedesktop/ModemManager1", OBJECT_MANAGER, 2500)
    exp = start_exporter("--refresh-interval=1h")
    sim.client.wait_for_call("GetManagedObjects")
    sim.client.delay_object_interface("/org/freedesktop/ModemManager1", OBJECT_MANAGER, 0)
    exp.process.send_signal(signal.SIGHUP)
    m = exp.wait_metrics(lambda m: m.has("modemmanager_up"), what="the second collection's end")
    newer = m.value("modemmanager_scrape_duration_seconds")
    assert newer < 2
    # The first collection gets its answer, reads every SIM and bearer again
    # (GetAll), and ends: it was overtaken, so it records nothing.
    reads = len(sim.client.calls("GetAll"))
    wait_for(lambda: len(sim.client.calls("GetAll")) >= 2 * reads, what="the first collection's reads")
    time.sleep(0.5)
    m = exp.wait_metrics(lambda m: m.has("modemmanager_up"), what="metrics")
    assert m.value("modemmanager_scrape_duration_seconds") == newer
