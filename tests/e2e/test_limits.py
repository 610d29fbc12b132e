"""Values from ModemManager over the snapshot limits (common/snapshot_limit_table.h):
the collector cuts them to the limits and counts the cut, and the frontend,
which refuses a snapshot over them, keeps serving: no restart, no outage."""

import json
import time
import zlib

import harness
from exporter import wait_for

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
UMTS = "a27b99d8ea607432fe05f0075f707fca17a825c8"
LONG_ID = "e" * 200  # the limit is 128 bytes
# Cut to 119 bytes, "~" and the CRC-32 of the whole id: two long ids that
# share their first 128 bytes stay two modems.
CUT_ID = LONG_ID[:119] + "~%08x" % zlib.crc32(LONG_ID.encode())
DRIVERS = [f"driver{i}" for i in range(20)]  # the limit is 16


def invalid_values(metrics):
    return metrics.value("modemmanager_scrape_errors_total", kind="invalid_value")


def test_values_over_the_limits_are_cut_counted_and_served(bus, mmsim, start_exporter):
    exp = start_exporter()
    m = exp.wait_metrics(lambda m: m.has("modemmanager_modems") and
                         m.value("modemmanager_modems") == 2)
    frontend = exp.frontend_pid()
    assert frontend is not None
    before = invalid_values(m)

    mmsim.client.set_property(LTE, "modem", "Drivers", DRIVERS)
    spec = next(s for s in json.loads((harness.SCENARIOS / "two-modems.json").read_text())["modems"]
                if s["device_id"] == UMTS)
    mmsim.client.add_modem(dict(spec, device_id=LONG_ID))

    m = exp.wait_metrics(lambda m: m.value("modemmanager_modems") == 3 and
                         m.has("modemmanager_modem_info", device_id=CUT_ID),
                         what="the modem with the long device id, its id cut")
    info = m.find("modemmanager_modem_info", device_id=LTE)
    assert len(info) == 1
    assert info[0][0]["drivers"] == ", ".join(DRIVERS[:16])
    # Both cuts counted, once each.
    wait_for(lambda: invalid_values(exp.scrape()) == before + 2, what="the two cuts counted")

    # Heartbeats and new snapshots repeat the cut values: /metrics keeps
    # answering, the frontend is the same process, the count does not grow.
    mmsim.client.set_property(LTE, "modem", "SignalQuality", (40, True))
    exp.wait_metrics(lambda m: m.value("modemmanager_modem_signal_quality_percent",
                                       device_id=LTE) == 40, what="a later snapshot")
    for _ in range(3):  # a heartbeat a second
        time.sleep(1)
        m = exp.scrape()  # asserts 200
    assert exp.frontend_pid() == frontend
    assert invalid_values(m) == before + 2
    assert m.value("modemmanager_modems") == 3
    log = exp.log_text()
    assert log.count("over the snapshot limit") == 2, log
    assert "snapshot over the limits" not in log, log
