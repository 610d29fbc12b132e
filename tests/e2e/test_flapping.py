"""Flapping: what changed on each modem since the exporter started, counted
from Modem.StateChanged and the mirrored properties, kept by device id
across a ModemManager restart."""

import dbus

import harness
from exporter import wait_for

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
UMTS = "a27b99d8ea607432fe05f0075f707fca17a825c8"


def nonzero(m, name, device_id, label):
    return {l[label]: v for l, v in m.find(name, device_id=device_id) if v}


def test_a_disable_enable_cycle_with_mmcli_is_counted(bus, mmsim, start_exporter):
    exp = start_exporter()
    m = exp.wait_metrics(lambda m: m.has("modemmanager_modem_state_transitions_total", device_id=LTE))
    # From 0, a series per state: nothing happened yet.
    assert len(m.find("modemmanager_modem_state_transitions_total", device_id=LTE)) == 13
    assert not any(v for _, v in m.find("modemmanager_modem_state_transitions_total"))
    assert not m.has("modemmanager_modem_state_last_change_timestamp_seconds")
    path = mmsim.client.modems()[LTE]
    harness.mmcli(bus, "-m", path, "-d")
    harness.mmcli(bus, "-m", path, "-e")
    m = exp.wait_metrics(lambda m: m.value("modemmanager_modem_state_transitions_total",
                                           device_id=LTE, state="connected") == 1,
                         what="back to connected")
    assert nonzero(m, "modemmanager_modem_state_transitions_total", LTE, "state") == {
        "disabling": 1, "disabled": 1, "enabling": 1, "enabled": 1, "connected": 1}
    assert nonzero(m, "modemmanager_modem_state_change_reasons_total", LTE, "reason") == {
        "user-requested": 5}
    assert nonzero(m, "modemmanager_modem_3gpp_registration_transitions_total", LTE, "state") == {
        "idle": 1, "home": 1}
    assert m.value("modemmanager_modem_bearer_disconnects_total", device_id=LTE) == 1
    assert m.value("modemmanager_modem_bearer_connects_total", device_id=LTE) == 1
    assert m.value("modemmanager_modem_state_last_change_timestamp_seconds", device_id=LTE) > 1.7e9
    # The other modem saw nothing.
    assert not nonzero(m, "modemmanager_modem_state_transitions_total", UMTS, "state")
    assert not m.has("modemmanager_modem_state_last_change_timestamp_seconds", device_id=UMTS)


def test_reasons_are_counted_and_counters_survive_a_modemmanager_restart(bus, mmsim, start_exporter):
    exp = start_exporter()
    exp.wait_metrics(lambda m: m.has("modemmanager_modem_state_transitions_total", device_id=UMTS))
    mmsim.client.set_state(UMTS, "failed", "failure")
    mmsim.client.set_state(UMTS, "registered", "unknown")
    before = exp.wait_metrics(
        lambda m: m.value("modemmanager_modem_state_transitions_total", device_id=UMTS,
                          state="registered") == 1, what="two changes counted")
    assert nonzero(before, "modemmanager_modem_state_change_reasons_total", UMTS, "reason") == {
        "failure": 1, "unknown": 1}
    old_path = mmsim.client.modems()[UMTS]
    mmsim.client.restart(200)
    def restarted():
        try:
            return mmsim.client.modems().get(UMTS, old_path) != old_path
        except dbus.exceptions.DBusException:  # the name is away for a moment
            return False
    wait_for(restarted, what="restarted")
    exp.wait_metrics(lambda m: m.has("modemmanager_modem_info", device_id=UMTS), what="back")
    after = exp.scrape()
    for name in ("modemmanager_modem_state_transitions_total",
                 "modemmanager_modem_state_change_reasons_total"):
        assert before.find(name, device_id=UMTS) == after.find(name, device_id=UMTS), name
    assert (before.value("modemmanager_modem_state_last_change_timestamp_seconds", device_id=UMTS)
            == after.value("modemmanager_modem_state_last_change_timestamp_seconds", device_id=UMTS))
    # And the next change adds to them.
    mmsim.client.set_state(UMTS, "failed", "failure")
    exp.wait_metrics(lambda m: m.value("modemmanager_modem_state_change_reasons_total",
                                       device_id=UMTS, reason="failure") == 2, what="counted on")
