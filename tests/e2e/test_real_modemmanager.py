"""The exporter against Debian's real ModemManager daemon: simulated AT modems
(tests/realmm) probed by the daemon's generic plugin, and every value that
both `mmcli -J` and /metrics show compared (assert_metrics_match_mmcli).

The daemon runs in test mode on a private bus (fixture `realmm`, in
realmm_fixtures.py). These tests skip only where /usr/sbin/ModemManager is
missing, which scripts/install-deps.sh prevents.
"""

import json
import re
import signal
import subprocess
import time

import harness
from realmm_fixtures import (MM_MODEM, MM_SIGNAL, realmm, requires_modemmanager)  # noqa: F401

pytestmark = requires_modemmanager

STORED_SMS = [
    {'index': 1, 'number': '+4915112345678', 'text': 'Your data plan is 80% used',
     'timestamp': '24/03/05,10:20:30+04'},
    {'index': 4, 'number': '4242', 'text': 'Welcome', 'status': 'REC READ',
     'timestamp': '24/03/01,08:00:00+04'},
]

# What the mmcli side and the /metrics side are compared on. Values either
# side lacks are None (mmcli's "--"; an absent series).
SIGNAL_FIELDS = {
    # mmcli --signal-get section: {mmcli key: metric}; error-rate is one
    # family with a technology label.
    'gsm': ('gsm', {'rssi': 'modemmanager_signal_gsm_rssi_dbm'}),
    'umts': ('umts', {'rssi': 'modemmanager_signal_umts_rssi_dbm',
                      'ecio': 'modemmanager_signal_umts_ecio_db',
                      'rscp': 'modemmanager_signal_umts_rscp_dbm'}),
    'lte': ('lte', {'rssi': 'modemmanager_signal_lte_rssi_dbm',
                    'rsrq': 'modemmanager_signal_lte_rsrq_db',
                    'rsrp': 'modemmanager_signal_lte_rsrp_dbm',
                    'snr': 'modemmanager_signal_lte_snr_db'}),
    '5g': ('nr5g', {'rsrp': 'modemmanager_signal_nr5g_rsrp_dbm',
                    'rsrq': 'modemmanager_signal_nr5g_rsrq_db',
                    'snr': 'modemmanager_signal_nr5g_snr_db'}),
    'cdma1x': ('cdma', {'rssi': 'modemmanager_signal_cdma_rssi_dbm',
                        'ecio': 'modemmanager_signal_cdma_ecio_db'}),
    'evdo': ('evdo', {'rssi': 'modemmanager_signal_evdo_rssi_dbm',
                      'ecio': 'modemmanager_signal_evdo_ecio_db',
                      'sinr': 'modemmanager_signal_evdo_sinr_db',
                      'io': 'modemmanager_signal_evdo_io_dbm'}),
}
MODEM_INFO_FIELDS = ['manufacturer', 'model', 'revision', 'hardware-revision', 'plugin',
                     'primary-port', 'device', 'equipment-identifier', 'carrier-configuration']
SIM_FIELDS = {'iccid': 'iccid', 'imsi': 'imsi', 'eid': 'eid', 'operator-code': 'operator_identifier',
              'operator-name': 'operator_name', 'active': 'active', 'sim-type': 'sim_type'}


# -- the mmcli side --------------------------------------------------------------------

def _text(value):
    return None if value in ('--', '') else value


def _number(value):
    return None if value == '--' else float(value)


def _list(values):
    """mmcli lists flags as one string per item or one comma-joined string."""
    return sorted(v.strip() for item in values for v in item.split(',') if v.strip())


# mmcli refuses to show some sections of a modem not enabled yet: nothing to compare.
NOT_SHOWN = 'not shown by mmcli'


def _optional_json(bed, *args):
    """mmcli -J output; None where the modem lacks the interface ("error:
    modem has no ... capabilities"); NOT_SHOWN where mmcli will not show it
    before the modem is enabled ("error: modem not enabled yet")."""
    result = subprocess.run(['mmcli', *args, '-J'], env=bed.bus.env(), capture_output=True,
                            text=True, timeout=10)
    if result.returncode == 0:
        return json.loads(result.stdout)
    if 'capabilities' in result.stderr:
        return None
    if 'not enabled yet' in result.stderr:
        return NOT_SHOWN
    raise AssertionError(f'mmcli {" ".join(args)} -J failed: {result.stderr}')


def mmcli_view(bed, modem):
    """Everything mmcli shows about `modem` that the exporter also exports."""
    j = bed.mmcli('-m', modem.index, '-J')['modem']
    g, g3 = j['generic'], j['3gpp']
    v = {'device id': g['device-identifier']}
    for key in MODEM_INFO_FIELDS:
        v[key] = _text(g[key]) or ''
    v['drivers'] = ', '.join(g['drivers'])
    v['state'] = g['state']
    v['state failed reason'] = _text(g['state-failed-reason']) or 'none'
    v['power state'] = g['power-state']
    v['signal quality'] = float(g['signal-quality']['value'])
    v['signal quality recent'] = g['signal-quality']['recent'] == 'yes'
    v['access technologies'] = _list(g['access-technologies'])
    v['current modes'] = g['current-modes']
    v['unlock required'] = _text(g['unlock-required']) or 'none'
    v['unlock retries'] = {m.group(1): float(m.group(2)) for m in
                           (re.fullmatch(r'(\S+) \((\d+)\)', r) for r in g['unlock-retries'])}
    # mmcli prints "--" for the "unknown" value of these enums
    v['3gpp registration state'] = _text(g3['registration-state']) or 'unknown'
    v['3gpp packet service state'] = _text(g3['packet-service-state']) or 'unknown'
    v['3gpp operator code'] = _text(g3['operator-code'])
    v['3gpp operator name'] = _text(g3['operator-name'])

    v['sim'] = None
    if _text(g['sim']):
        s = bed.mmcli('-i', g['sim'].rsplit('/', 1)[1], '-J')['sim']['properties']
        v['sim'] = {label: _text(s[key]) or '' for key, label in SIM_FIELDS.items()}
        v['sim']['active'] = {'yes': 'true', 'no': 'false'}[s['active']]
        v['sim']['sim_type'] = _text(s['sim-type']) or 'unknown'

    sig = _optional_json(bed, '-m', modem.index, '--signal-get')
    v['signal refresh rate'] = sig
    if sig == NOT_SHOWN:
        for section, (tech, fields) in SIGNAL_FIELDS.items():
            v.update(dict.fromkeys([*fields.values(), f'error rate {tech}'], NOT_SHOWN))
    elif sig is not None:
        sig = sig['modem']['signal']
        v['signal refresh rate'] = _number(sig['refresh']['rate'])
        for section, (tech, fields) in SIGNAL_FIELDS.items():
            for key, metric in fields.items():
                v[metric] = _number(sig[section][key])
            v[f'error rate {tech}'] = _number(sig[section]['error-rate'])

    loc = _optional_json(bed, '-m', modem.index, '--location-get')
    v['location 3gpp'] = None if loc is None else NOT_SHOWN
    if loc not in (None, NOT_SHOWN):
        v['location 3gpp'] = None
        cell = loc['modem']['location']['3gpp']
        if any(x != '--' for x in cell.values()):
            v['location 3gpp'] = {'mcc': cell['mcc'], 'mnc': cell['mnc'],
                                  'lac': int(cell['lac'], 16), 'tac': int(cell['tac'], 16),
                                  'cell_id': int(cell['cid'], 16)}
    sms = _optional_json(bed, '-m', modem.index, '--messaging-list-sms')
    v['messaging sms count'] = (sms if sms in (None, NOT_SHOWN)
                                else float(len(sms['modem.messaging.sms'])))
    return v


# -- the /metrics side -----------------------------------------------------------------

def _hot(metrics, name, label, device_id):
    """The label values of an enum or flag family that are 1."""
    return sorted(labels[label] for labels, value in metrics.find(name, device_id=device_id)
                  if value == 1)


def _the(values, what):
    if len(values) != 1:
        return f'<{len(values)} values {values} for {what}>'
    return values[0]


def _gauge(metrics, name, device_id, **labels):
    if device_id is not None:
        labels['device_id'] = device_id
    found = metrics.find(name, **labels)
    if len(found) > 1:
        return f'<{len(found)} series>'
    return found[0][1] if found else None


def metrics_view(metrics, device_id):
    """The same values as mmcli_view, read from one scrape."""
    v = {'device id': device_id}
    infos = metrics.find('modemmanager_modem_info', device_id=device_id)
    info = infos[0][0] if len(infos) == 1 else {}
    for key in MODEM_INFO_FIELDS:
        v[key] = info.get(key.replace('-', '_'), f'<{len(infos)} info series>')
    v['drivers'] = info.get('drivers')
    v['state'] = _the(_hot(metrics, 'modemmanager_modem_state', 'state', device_id), 'state')
    v['state failed reason'] = _the(_hot(metrics, 'modemmanager_modem_state_failed_reason',
                                         'reason', device_id), 'reason')
    v['power state'] = _the(_hot(metrics, 'modemmanager_modem_power_state', 'state', device_id),
                            'power state')
    v['signal quality'] = _gauge(metrics, 'modemmanager_modem_signal_quality_percent', device_id)
    recent = _gauge(metrics, 'modemmanager_modem_signal_quality_recent', device_id)
    v['signal quality recent'] = None if recent is None else recent == 1
    v['access technologies'] = _hot(metrics, 'modemmanager_modem_access_technology',
                                    'technology', device_id)
    modes = metrics.find('modemmanager_modem_current_modes', device_id=device_id)
    v['current modes'] = (f'allowed: {modes[0][0]["allowed"]}; preferred: {modes[0][0]["preferred"]}'
                          if len(modes) == 1 else f'<{len(modes)} series>')
    locks = metrics.find('modemmanager_modem_unlock_required', device_id=device_id)
    v['unlock required'] = (locks[0][0]['lock'] if len(locks) == 1 and
                            (locks[0][1] == 1) == (locks[0][0]['lock'] != 'none')
                            else f'<{locks}>')
    v['unlock retries'] = {labels['lock']: value for labels, value in
                           metrics.find('modemmanager_modem_unlock_retries', device_id=device_id)}
    v['3gpp registration state'] = _the(_hot(metrics, 'modemmanager_modem_3gpp_registration_state',
                                             'state', device_id), 'registration state')
    v['3gpp packet service state'] = _the(_hot(metrics, 'modemmanager_modem_3gpp_packet_service_state',
                                               'state', device_id), 'packet service state')
    codes = metrics.find('modemmanager_modem_3gpp_operator_code', device_id=device_id)
    v['3gpp operator code'] = codes[0][0]['operator_code'] if codes else None
    names = metrics.find('modemmanager_modem_3gpp_operator_name', device_id=device_id)
    v['3gpp operator name'] = names[0][0]['operator_name'] if names else None

    sims = metrics.find('modemmanager_sim_info', device_id=device_id)
    v['sim'] = None
    if sims:
        labels = dict(sims[0][0]) if len(sims) == 1 else {'<series>': len(sims)}
        labels.pop('device_id', None)
        v['sim'] = labels

    v['signal refresh rate'] = _gauge(metrics, 'modemmanager_signal_refresh_rate_seconds', device_id)
    if v['signal refresh rate'] is not None:
        for section, (tech, fields) in SIGNAL_FIELDS.items():
            for metric in fields.values():
                v[metric] = _gauge(metrics, metric, device_id)
            v[f'error rate {tech}'] = _gauge(metrics, 'modemmanager_signal_error_rate_percent',
                                             device_id, technology=tech)
    cells = metrics.find('modemmanager_location_3gpp_info', device_id=device_id)
    v['location 3gpp'] = None
    if cells:
        c = cells[0][0]
        v['location 3gpp'] = {'mcc': c['mcc'], 'mnc': c['mnc'], 'lac': int(c['lac'], 16),
                              'tac': int(c['tac'], 16), 'cell_id': int(c['cell_id'], 16)}
    supported = _gauge(metrics, 'modemmanager_messaging_supported', device_id)
    v['messaging sms count'] = (_gauge(metrics, 'modemmanager_messaging_sms_count', device_id)
                                if supported == 1 else None)
    return v


# -- the comparison --------------------------------------------------------------------

def _diff_table(mmcli_side, metrics_side):
    rows, bad = [], []
    for key in sorted(set(mmcli_side) | set(metrics_side), key=str):
        a = mmcli_side.get(key, '<missing>')
        b = metrics_side.get(key, '<missing>')
        if a == NOT_SHOWN:
            rows.append(f'   {key:42} mmcli: ({NOT_SHOWN})\n{"":45} /metrics: {b!r}')
            continue
        mark = '  ' if a == b else '!!'
        if a != b:
            bad.append(key)
        rows.append(f'{mark} {key:42} mmcli: {a!r}\n{"":45} /metrics: {b!r}')
    return bad, '\n'.join(rows)


def assert_metrics_match_mmcli(bed, exporter, timeout=5.0):
    """Every value both `mmcli -m N -J` (and `mmcli -i N -J`, --signal-get,
    --location-get, --messaging-list-sms) and /metrics show must be equal,
    for every modem of the test bed and for the daemon as a whole. The two
    sides are read moments apart, so a difference must persist for
    `timeout` seconds to fail; the failure prints both sides of every value.
    Returns the last scrape."""
    deadline = time.monotonic() + timeout
    while True:
        report, failures = [], []
        listed = bed.mmcli('-L', '-J')['modem-list']
        version = re.search(r'daemon (\S+) running', bed.mmcli('-B')).group(1)
        live = [m for m in bed.modems if not m.removed]
        sides = [(m, mmcli_view(bed, m)) for m in live]
        metrics = exporter.scrape()
        manager_mmcli = {'modems': float(len(listed)), 'version': version, 'up': 1.0}
        manager_metrics = {
            'modems': _gauge(metrics, 'modemmanager_modems', None),
            'version': _the([l['version'] for l, v in metrics.find('modemmanager_info')], 'version'),
            'up': _gauge(metrics, 'modemmanager_up', None),
        }
        bad, table = _diff_table(manager_mmcli, manager_metrics)
        report.append(f'== ModemManager\n{table}')
        failures += [f'manager {k}' for k in bad]
        for m, mine in sides:
            bad, table = _diff_table(mine, metrics_view(metrics, mine['device id']))
            report.append(f'== {m} (mmcli -m {m.index})\n{table}')
            failures += [f'{m.profile_id} {k}' for k in bad]
        if not failures:
            return metrics
        if time.monotonic() > deadline:
            raise AssertionError(f'mmcli and /metrics differ in: {", ".join(failures)}\n'
                                 + '\n'.join(report))
        time.sleep(0.2)


def _device_series(metrics, device_id):
    return [s for s in metrics.samples if s[1].get('device_id') == device_id]


def _dbus_get(bed, modem, interface, name):
    return bed.modem_property(modem, name, interface)


# -- scenarios -------------------------------------------------------------------------

def test_registered_modem_with_signal_operator_and_sms(realmm):
    modem = realmm.add_modem(
        manufacturer='Quectel', model='EC25', revision='EC25EFAR06A06M4G',
        imei='861234050123456', imsi='262011234567890', iccid='8949226000001234567',
        own_number='+4915112345678', operator_code='26201', operator_name='Telekom.de',
        csq=(20, 99), cesq=(99, 99, 255, 255, 25, 45), lac='2B0F', tac='2B0F', ci='01A2B3C4',
        sms=STORED_SMS)
    exporter = realmm.start_exporter()
    device_id = str(_dbus_get(realmm, modem, MM_MODEM, 'DeviceIdentifier'))
    # Signal.Setup(2) by the exporter, then the daemon's first +CESQ poll
    exporter.wait_metrics(lambda m: m.has('modemmanager_signal_lte_rsrp_dbm', device_id=device_id),
                          what='extended signal of the modem')
    m = assert_metrics_match_mmcli(realmm, exporter)
    # and the values are the modem's, not two empty sides agreeing
    assert m.value('modemmanager_modem_state', device_id=device_id, state='registered') == 1
    assert m.value('modemmanager_modem_signal_quality_percent', device_id=device_id) == 64  # 20*100/31
    assert m.value('modemmanager_modem_3gpp_operator_code', device_id=device_id,
                   operator_code='26201') == 1
    assert m.value('modemmanager_modem_3gpp_operator_name', device_id=device_id,
                   operator_name='Telekom.de') == 1
    assert m.value('modemmanager_modem_access_technology', device_id=device_id, technology='lte') == 1
    assert m.value('modemmanager_modem_info', device_id=device_id, manufacturer='Quectel',
                   model='EC25', equipment_identifier='861234050123456') == 1
    assert m.value('modemmanager_sim_info', device_id=device_id, imsi='262011234567890',
                   iccid='8949226000001234567', operator_identifier='26201') == 1
    assert m.value('modemmanager_signal_refresh_rate_seconds', device_id=device_id) == 2
    assert m.value('modemmanager_signal_lte_rsrp_dbm', device_id=device_id) == -96  # 45 - 141
    assert m.value('modemmanager_signal_lte_rsrq_db', device_id=device_id) == -7.5  # 25/2 - 20
    assert m.value('modemmanager_messaging_sms_count', device_id=device_id) == 2
    assert m.value('modemmanager_location_3gpp_info', device_id=device_id, mcc='262', mnc='01',
                   tac='2B0F', cell_id='1A2B3C4') == 1
    assert m.value('modemmanager_modem_unlock_required', device_id=device_id, lock='none') == 0
    assert m.value('modemmanager_scrape_success') == 1


def test_sim_pin_locked_modem(realmm):
    modem = realmm.add_modem(manufacturer='Sierra Wireless, Incorporated', model='EM7455',
                             imei='359225050123457', pin='1234', pin_locked=True, pin_retries=2)
    exporter = realmm.start_exporter()
    device_id = str(_dbus_get(realmm, modem, MM_MODEM, 'DeviceIdentifier'))
    exporter.wait_metrics(lambda m: m.has('modemmanager_modem_info', device_id=device_id),
                          what='the locked modem')
    m = assert_metrics_match_mmcli(realmm, exporter)
    # what the shipped SimLocked alert fires on
    assert m.value('modemmanager_modem_unlock_required', device_id=device_id, lock='sim-pin') == 1
    assert m.value('modemmanager_modem_state', device_id=device_id, state='locked') == 1
    assert m.value('modemmanager_modem_unlock_retries', device_id=device_id, lock='sim-pin') == 2
    # the exporter never enables, nor unlocks, a modem
    assert not modem.at.commands('AT+CPIN=')
    assert not modem.at.commands('AT+CFUN=1')

    # Unlocked with mmcli, the modem initializes fully and the lock series goes to none.
    sim = str(_dbus_get(realmm, modem, MM_MODEM, 'Sim')).rsplit('/', 1)[1]
    realmm.mmcli('-i', sim, '--pin=1234')
    exporter.wait_metrics(
        lambda m: m.has('modemmanager_modem_unlock_required', device_id=device_id, lock='none'),
        timeout=15, what='unlocked')
    harness.wait_until(lambda: int(_dbus_get(realmm, modem, MM_MODEM, 'State')) == 3, 15,
                       what='modem disabled (unlocked)')
    m = assert_metrics_match_mmcli(realmm, exporter)
    assert m.value('modemmanager_modem_unlock_required', device_id=device_id, lock='none') == 0
    assert m.value('modemmanager_sim_info', device_id=device_id, imsi='214010123456789') == 1


def test_signal_quality_changes_while_running(realmm):
    rate = 1
    # +CIND/+CIEV: the daemon takes signal indications as they come. (Its
    # own +CSQ poll runs every 30 s once it has a value; 1.20.4 ignores
    # refresh requests after the first poll.)
    modem = realmm.add_modem(cind=True, csq=(12, 99), cesq=(99, 99, 255, 255, 20, 50))
    exporter = realmm.start_exporter(signal_rate=f'{rate}s')
    device_id = str(_dbus_get(realmm, modem, MM_MODEM, 'DeviceIdentifier'))
    exporter.wait_metrics(
        lambda m: m.has('modemmanager_signal_lte_rsrp_dbm', device_id=device_id), what='signal')
    m = assert_metrics_match_mmcli(realmm, exporter)
    assert m.value('modemmanager_modem_signal_quality_percent', device_id=device_id) == 40
    assert m.value('modemmanager_signal_lte_rsrp_dbm', device_id=device_id) == -91

    # The radio gets better: +CSQ/+CIND/+CESQ answers change, the modem
    # sends its +CIEV indication.
    start = time.monotonic()
    modem.at.set(csq=(22, 99), cesq=(99, 99, 255, 255, 30, 70))
    modem.at.unsolicited(f'+CIEV: 2,{modem.at.cind_signal()}')

    def daemon_reports(interface, name, wanted):
        value = harness.wait_until(
            lambda: wanted(_dbus_get(realmm, modem, interface, name)), timeout=rate + 5,
            interval=0.01, what=f'ModemManager reporting the new {name}')
        return time.monotonic(), value

    def exporter_follows(since, metric, value):
        exporter.wait_metrics(lambda m: m.value(metric, device_id=device_id) == value,
                              timeout=rate + 2, what=f'{metric} {value}')
        took = time.monotonic() - since
        assert took <= rate, f'{metric} reached /metrics {took:.2f} s after ModemManager had it'

    reported, _ = daemon_reports(MM_MODEM, 'SignalQuality', lambda v: int(v[0]) == 80)
    exporter_follows(reported, 'modemmanager_modem_signal_quality_percent', 80)
    reported, _ = daemon_reports(MM_SIGNAL, 'Lte', lambda v: float(v.get('rsrp', 0)) == -71)
    exporter_follows(reported, 'modemmanager_signal_lte_rsrp_dbm', -71)
    assert time.monotonic() - start < rate + 3
    m = assert_metrics_match_mmcli(realmm, exporter)
    assert m.value('modemmanager_signal_lte_rsrq_db', device_id=device_id) == -5


def test_modem_disappearing(realmm):
    stays, goes = realmm.add_modems([
        dict(manufacturer='Quectel', model='EC25', imei='861234050123456'),
        dict(manufacturer='Telit', model='LE910C4', imei='354112090123458', operator_code='26202',
             operator_name='Vodafone.de', imsi='262021234567890', sms=STORED_SMS[:1]),
    ])
    exporter = realmm.start_exporter()
    gone_id = str(_dbus_get(realmm, goes, MM_MODEM, 'DeviceIdentifier'))
    stay_id = str(_dbus_get(realmm, stays, MM_MODEM, 'DeviceIdentifier'))
    exporter.wait_metrics(lambda m: m.has('modemmanager_modems') and
                          m.value('modemmanager_modems') == 2, what='two modems')
    assert_metrics_match_mmcli(realmm, exporter)

    realmm.remove_modem(goes)
    m = exporter.wait_metrics(lambda m: m.value('modemmanager_modems') == 1, timeout=10,
                              what='one modem left')
    assert _device_series(m, gone_id) == [], 'series of the vanished modem remain'
    assert m.value('modemmanager_modem_state', device_id=stay_id, state='registered') == 1
    assert len(realmm.mmcli('-L', '-J')['modem-list']) == 1
    assert_metrics_match_mmcli(realmm, exporter)


def test_modemmanager_killed_and_restarted(realmm):
    rate = 3
    refresh = 2  # locations are polled (GetLocation) once per --refresh-interval
    modem = realmm.add_modem(manufacturer='Quectel', model='EM12-G', imei='866123040123459')
    exporter = realmm.start_exporter(f'--refresh-interval={refresh}s', signal_rate=f'{rate}s')
    device_id = str(_dbus_get(realmm, modem, MM_MODEM, 'DeviceIdentifier'))
    exporter.wait_metrics(lambda m: m.has('modemmanager_signal_refresh_rate_seconds',
                                          device_id=device_id) and
                          m.value('modemmanager_signal_refresh_rate_seconds',
                                  device_id=device_id) == rate, what='Signal.Setup done')
    assert_metrics_match_mmcli(realmm, exporter)

    realmm.stop_modemmanager(signal.SIGKILL)
    m = exporter.wait_metrics(lambda m: m.value('modemmanager_up') == 0, what='up 0')
    assert _device_series(m, device_id) == []
    assert exporter.get('/health').status == 200

    # A new daemon: the modem is probed and enabled again (the test bed does
    # what udev and the user would); the exporter must find it and redo
    # Signal.Setup, as a new daemon starts with Rate 0.
    realmm.start_modemmanager()
    m = exporter.wait_metrics(
        lambda m: m.value('modemmanager_up') == 1 and
        m.has('modemmanager_signal_refresh_rate_seconds', device_id=device_id) and
        m.value('modemmanager_signal_refresh_rate_seconds', device_id=device_id) == rate,
        timeout=10, what='the modem back, Signal.Setup redone')
    assert int(_dbus_get(realmm, modem, MM_SIGNAL, 'Rate')) == rate
    signal_info = realmm.mmcli('-m', modem.index, '--signal-get', '-J')
    assert signal_info['modem']['signal']['refresh']['rate'] == str(rate)
    exporter.wait_metrics(lambda m: m.has('modemmanager_signal_lte_rsrp_dbm', device_id=device_id) and
                          m.has('modemmanager_location_3gpp_info', device_id=device_id),
                          timeout=max(rate, refresh) + 3, what='extended signal values and cell')
    assert_metrics_match_mmcli(realmm, exporter)


def test_three_modems_at_once(realmm):
    lte, umts, gsm = realmm.add_modems([
        # LTE, home network, SMS
        dict(manufacturer='Quectel', model='EC25', revision='EC25EFAR06A06M4G',
             imei='861234050123456', imsi='214011111111111', iccid='8934011111111111111',
             operator_code='21401', operator_name='Vodafone ES', csq=(25, 99), sms=STORED_SMS),
        # UMTS only, roaming, 3-digit MNC
        dict(manufacturer='huawei', model='E3372', revision='22.315.01.00.00',
             imei='867123020123450', imsi='310260222222222', iccid='8901260222222222222',
             sim_mnc_length=3, ws46=(12, 22, 25), ws46_current=25, act=2, reg_stat=5,
             operator_code='23415', operator_name='Vodafone UK', csq=(9, 99),
             cesq=(99, 99, 40, 30, 255, 255)),
        # GSM/UMTS, still searching, no extended signal, no SMS storage
        dict(manufacturer='Sierra Wireless', model='MC7304', imei='359225050123458',
             imsi='234150333333333', iccid='8944150333333333333', ws46=None, act=0, reg_stat=2,
             csq=(99, 99), unsupported={'AT+CESQ', 'AT+CPMS', 'AT+CNMI', 'AT+CMGF'}),
    ])
    exporter = realmm.start_exporter()
    ids = {m.profile_id: str(_dbus_get(realmm, m, MM_MODEM, 'DeviceIdentifier'))
           for m in (lte, umts, gsm)}
    assert len(set(ids.values())) == 3
    exporter.wait_metrics(
        lambda m: m.has('modemmanager_modems') and m.value('modemmanager_modems') == 3 and
        m.has('modemmanager_signal_lte_rsrp_dbm', device_id=ids[lte.profile_id]) and
        m.has('modemmanager_signal_umts_rscp_dbm', device_id=ids[umts.profile_id]),
        what='three modems with extended signal')
    m = assert_metrics_match_mmcli(realmm, exporter)
    assert m.value('modemmanager_modem_state', device_id=ids[lte.profile_id], state='registered') == 1
    assert m.value('modemmanager_modem_3gpp_registration_state', device_id=ids[umts.profile_id],
                   state='roaming') == 1
    assert m.value('modemmanager_modem_access_technology', device_id=ids[umts.profile_id],
                   technology='umts') == 1
    assert m.value('modemmanager_sim_info', device_id=ids[umts.profile_id],
                   operator_identifier='310260') == 1
    assert m.value('modemmanager_modem_state', device_id=ids[gsm.profile_id], state='searching') == 1
    assert not m.has('modemmanager_modem_3gpp_operator_code', device_id=ids[gsm.profile_id])
    assert not m.has('modemmanager_signal_refresh_rate_seconds', device_id=ids[gsm.profile_id])
    assert m.value('modemmanager_messaging_supported', device_id=ids[gsm.profile_id]) == 0


def _state_changes(monitor_output):
    """New states of the Modem.StateChanged signals dbus-monitor printed."""
    states = []
    lines = monitor_output.splitlines()
    for i, line in enumerate(lines):
        if 'member=StateChanged' in line:
            # the signal's arguments: int32 old, int32 new, uint32 reason
            args = [l.split()[1] for l in lines[i + 1:i + 4]]
            states.append(int(args[1]))
    return states


MODEM_STATE_NAMES = {3: 'disabled', 4: 'disabling', 5: 'enabling', 6: 'enabled', 7: 'searching',
                     8: 'registered', 9: 'disconnecting', 10: 'connecting', 11: 'connected'}


def test_no_cells_from_an_at_modem_and_state_changes_of_a_disable_enable_cycle(realmm):
    """The generic AT plugin cannot tell cells: no cell series, counted once
    as unsupported. A disable/enable cycle with mmcli -d / -e is counted as
    the daemon's StateChanged signals say, seen here with dbus-monitor."""
    modem = realmm.add_modem(operator_code='26201', operator_name='Telekom.de', csq=(20, 99),
                             lac='2B0F', tac='2B0F', ci='01A2B3C4')
    exporter = realmm.start_exporter('--cell-info-interval=1s')
    device_id = str(_dbus_get(realmm, modem, MM_MODEM, 'DeviceIdentifier'))
    m = exporter.wait_metrics(
        lambda m: m.has('modemmanager_modem_cell_info_supported', device_id=device_id),
        timeout=10, what='cell info support known')
    # The daemon's own answer, through mmcli: unsupported.
    truth = subprocess.run(['mmcli', '-m', modem.index, '--get-cell-info'], env=realmm.bus.env(),
                           capture_output=True, text=True, timeout=10)
    assert truth.returncode != 0 and 'Unsupported' in truth.stderr, truth
    time.sleep(2.5)  # polls of a supported modem would have come meanwhile
    m = exporter.scrape()
    assert m.value('modemmanager_modem_cell_info_supported', device_id=device_id) == 0
    assert not m.has('modemmanager_cell_info', device_id=device_id)
    assert not m.has('modemmanager_modem_carriers', device_id=device_id)
    assert m.value('modemmanager_scrape_errors_total', kind='unsupported') == 1
    before = {l['state']: v for l, v in
              m.find('modemmanager_modem_state_transitions_total', device_id=device_id)}

    monitor = subprocess.Popen(
        ['dbus-monitor', '--system',
         "type='signal',interface='org.freedesktop.ModemManager1.Modem',member='StateChanged'"],
        env=realmm.bus.env(), stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)  # subscribed
        realmm.mmcli('-m', modem.index, '-d')
        harness.wait_until(lambda: int(_dbus_get(realmm, modem, MM_MODEM, 'State')) == 3, 15,
                           what='disabled')
        realmm.mmcli('-m', modem.index, '-e')
        harness.wait_until(lambda: int(_dbus_get(realmm, modem, MM_MODEM, 'State')) >= 8, 20,
                           what='registered again')
        time.sleep(1)
    finally:
        monitor.terminate()
        out, _ = monitor.communicate(timeout=5)
    seen = _state_changes(out)
    assert {3, 4, 5, 8} <= set(seen), seen  # disabling, disabled, enabling, registered
    expected = dict(before)
    for state in seen:
        name = MODEM_STATE_NAMES[state]
        expected[name] = expected.get(name, 0) + 1
    m = exporter.wait_metrics(
        lambda m: {l['state']: v for l, v in m.find('modemmanager_modem_state_transitions_total',
                                                    device_id=device_id)} == expected,
        timeout=5, what=f'the state changes dbus-monitor saw: {seen}')
    assert m.value('modemmanager_modem_state_change_reasons_total', device_id=device_id,
                   reason='user-requested') >= 4
    # Still unsupported, still counted once.
    assert m.value('modemmanager_scrape_errors_total', kind='unsupported') == 1
