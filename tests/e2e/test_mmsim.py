"""The simulated ModemManager is faithful: Debian's mmcli (through libmm-glib,
which drops any property whose type differs from ModemManager's XML) shows what
the scenario says, and the control interface changes what clients see."""

import shutil
import subprocess
import time

import dbus
import dbus.mainloop.glib
import pytest
from gi.repository import GLib

import harness
from harness import mmcli

LTE = '92397d9b1c56befea399d67c90e21ba6b53728f8'   # two-modems.json, Modem/0
UMTS = 'a27b99d8ea607432fe05f0075f707fca17a825c8'  # two-modems.json, Modem/1
MM = 'org.freedesktop.ModemManager1'
ROOT = '/org/freedesktop/ModemManager1'
MODEM = MM + '.Modem'
SIGNAL = MODEM + '.Signal'
OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
CORE_FAILED = MM + '.Error.Core.Failed'

NEW_MODEM = {
    'device_id': '0123456789abcdef0123456789abcdef01234567',
    'modem': {'manufacturer': 'Sierra Wireless', 'model': 'EM7455', 'state': 'searching',
              'access_technologies': ['umts', 'hspa-plus'], 'signal_quality': 31},
    '3gpp': {'imei': '359072060000000', 'registration_state': 'searching'},
    'sim': {'iccid': '8944500000000000001', 'imsi': '234150000000001'},
}


def owner_of(conn):
    try:
        return str(conn.get_name_owner(MM))
    except dbus.exceptions.DBusException:  # NameHasNoOwner
        return None


def modem_paths(bus):
    return sorted(line.split()[0] for line in mmcli(bus, '-L').splitlines() if '/Modem/' in line)


class SignalRecorder:
    """Collects the simulator's signals (member, path, signature, args) from a
    connection of its own, driven by a GLib main loop iterated on demand."""

    def __init__(self, bus):
        loop = dbus.mainloop.glib.DBusGMainLoop()
        self.conn = dbus.bus.BusConnection(bus.address, mainloop=loop)
        self.seen = []
        self.conn.add_signal_receiver(self._record, bus_name=MM, member_keyword='member',
                                      path_keyword='path', message_keyword='message')

    def _record(self, *args, member, path, message):
        self.seen.append((member, path, message.get_signature(), args))

    def wait_for(self, member, timeout=3.0):
        deadline = time.monotonic() + timeout
        context = GLib.MainContext.default()
        while time.monotonic() < deadline:
            found = [s for s in self.seen if s[0] == member]
            if found:
                return found
            context.iteration(False) or time.sleep(0.005)
        raise TimeoutError(f'no {member} signal within {timeout} s')

    def close(self):
        self.conn.close()


@pytest.fixture
def signals(bus, mmsim):
    recorder = SignalRecorder(bus)
    yield recorder
    recorder.close()


def test_checked_in_tables_match_installed_modemmanager():
    """mmapi.py/mmenums.py are ModemManager 1.20's API; regenerate them when it changes."""
    installed = subprocess.run(['pkg-config', '--modversion', 'ModemManager'],
                               capture_output=True, text=True) if shutil.which('pkg-config') else None
    if not installed or installed.returncode != 0:
        pytest.skip('modemmanager-dev is not installed')
    tables = (harness.TESTS_DIR / 'mmsim' / 'mmapi.py').read_text().splitlines()[0]
    if not tables.endswith(f'ModemManager {installed.stdout.strip()}. Do not edit.'):
        pytest.skip(f'tables are for another ModemManager ({tables})')
    check = subprocess.run([harness.PYTHON, str(harness.TESTS_DIR / 'mmsim' / 'gen_tables.py'), '--check'],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def test_mmcli_lists_both_modems(bus, mmsim):
    listing = mmcli(bus, '-L')
    assert ROOT + '/Modem/0 [Quectel] EC25' in listing
    assert ROOT + '/Modem/1 [huawei] E1750' in listing


def test_mmcli_shows_the_lte_modem(bus, mmsim):
    text = mmcli(bus, '-m', '0')
    assert 'manufacturer: Quectel' in text and 'signal quality: 72% (recent)' in text
    generic = mmcli(bus, '-m', '0', '-J')['modem']['generic']
    assert generic['manufacturer'] == 'Quectel'
    assert generic['model'] == 'EC25'
    assert generic['device-identifier'] == LTE
    assert generic['state'] == 'connected'
    assert generic['power-state'] == 'on'
    assert generic['signal-quality'] == {'value': '72', 'recent': 'yes'}
    assert generic['access-technologies'] == ['lte']
    assert generic['ports'][0] == 'cdc-wdm0 (qmi)'
    assert generic['current-modes'] == 'allowed: 3g, 4g; preferred: 4g'
    assert generic['unlock-retries'] == ['sim-pin (3)', 'sim-puk (10)', 'sim-pin2 (3)', 'sim-puk2 (10)']
    assert generic['sim'] == ROOT + '/SIM/0'
    assert generic['bearers'] == [ROOT + '/Bearer/0']
    gpp = mmcli(bus, '-m', '0', '-J')['modem']['3gpp']
    assert (gpp['operator-code'], gpp['operator-name']) == ('21401', 'vodafone ES')
    assert gpp['registration-state'] == 'home'
    assert gpp['imei'] == '861234050123456'


def test_mmcli_shows_the_locked_umts_modem(bus, mmsim):
    generic = mmcli(bus, '-m', '1', '-J')['modem']['generic']
    assert generic['state'] == 'locked'
    assert generic['unlock-required'] == 'sim-pin'
    assert generic['unlock-retries'] == ['sim-pin (2)', 'sim-puk (10)']
    assert generic['bearers'] == []
    assert generic['signal-quality'] == {'value': '0', 'recent': 'no'}


def test_mmcli_shows_sims(bus, mmsim):
    sim = mmcli(bus, '-i', '0', '-J')['sim']['properties']
    assert (sim['imsi'], sim['iccid']) == ('214011234567890', '89340112345678901234')
    assert (sim['operator-code'], sim['operator-name'], sim['active']) == ('21401', 'vodafone ES', 'yes')
    assert mmcli(bus, '-i', '1', '-J')['sim']['properties']['iccid'] == '8944110068256270054'


def test_mmcli_shows_the_bearer(bus, mmsim):
    bearer = mmcli(bus, '-b', '0', '-J')['bearer']
    assert bearer['status']['connected'] == 'yes'
    assert bearer['status']['interface'] == 'wwan0'
    assert bearer['properties']['apn'] == 'internet'
    assert bearer['ipv4-config']['address'] == '10.64.12.34'
    assert bearer['stats']['total-bytes-rx'] == '9876543210'
    assert bearer['stats']['bytes-tx'] == '23456789'
    assert bearer['stats']['duration'] == '3600'
    assert bearer['stats']['downlink-speed'] == '150000000'


def test_mmcli_shows_signal_location_and_messages(bus, mmsim):
    signal = mmcli(bus, '-m', '0', '--signal-get', '-J')['modem']['signal']
    assert signal['lte'] == {'rssi': '-67.00', 'rsrq': '-9.00', 'rsrp': '-96.00', 'snr': '11.20',
                             'error-rate': '--'}
    assert signal['umts']['rscp'] == '-85.00'
    assert signal['gsm']['rssi'] == '--'
    location = mmcli(bus, '-m', '0', '--location-get', '-J')['modem']['location']
    assert location['3gpp'] == {'mcc': '214', 'mnc': '01', 'lac': 'FFFE', 'cid': '01A2B3C4', 'tac': '002B0F'}
    assert (location['gps']['latitude'], location['gps']['longitude']) == ('40.416775', '-3.703790')
    assert mmcli(bus, '-m', '0', '--messaging-list-sms').count('(received)') == 2
    assert mmcli(bus, '-s', '1', '-J')['sms']['content']['text'] == 'Hola, ¿qué tal?'


def test_object_manager_lists_only_modems_with_exact_types(bus, mmsim):
    objects = mmsim.client.bus.call_blocking(MM, ROOT, OBJECT_MANAGER,
                                             'GetManagedObjects', '', ())
    assert sorted(objects) == [ROOT + '/Modem/0', ROOT + '/Modem/1']
    modem = objects[ROOT + '/Modem/0']
    assert isinstance(modem[MODEM]['State'], dbus.Int32)
    assert [type(v) for v in modem[MODEM]['SignalQuality']] == [dbus.UInt32, dbus.Boolean]
    assert modem[MODEM]['UnlockRetries'].signature == 'uu'
    assert modem[MODEM]['Ports'].signature == '(su)'
    assert all(isinstance(v, dbus.Double) for v in modem[SIGNAL]['Lte'].values())
    assert set(objects[ROOT + '/Modem/1']) == {MODEM, MODEM + '.Modem3gpp', MODEM + '.Simple'}
    stats = mmsim.client.get_property(ROOT + '/Bearer/0', MM + '.Bearer', 'Stats')
    assert isinstance(stats['rx-bytes'], dbus.UInt64) and isinstance(stats['duration'], dbus.UInt32)


def test_property_change_reaches_mmcli_with_signals(bus, mmsim, signals):
    mmsim.client.set_property(LTE, 'modem', 'signal_quality', (40, True))
    mmsim.client.update_modem(LTE, {'modem': {'state': 'registered'}, '3gpp': {'operator_name': 'Movistar'}})
    generic = mmcli(bus, '-m', '0', '-J')['modem']['generic']
    assert (generic['signal-quality']['value'], generic['state']) == ('40', 'registered')
    assert mmcli(bus, '-m', '0', '-J')['modem']['3gpp']['operator-name'] == 'Movistar'
    changed = signals.wait_for('PropertiesChanged')
    assert changed[0][1:3] == (ROOT + '/Modem/0', 'sa{sv}as')
    assert changed[0][3][:2] == (MODEM, {'SignalQuality': (40, True)})
    state = signals.wait_for('StateChanged')  # as ModemManager: StateChanged(old, new, reason) too
    assert state[0][2:] == ('iiu', (11, 8, 0))


def test_added_and_removed_modems_reach_mmcli(bus, mmsim, signals):
    path = mmsim.client.add_modem(NEW_MODEM)
    assert path == ROOT + '/Modem/2'
    assert modem_paths(bus)[-1] == path
    assert mmcli(bus, '-m', '2', '-J')['modem']['generic']['access-technologies'] == ['umts', 'hspa-plus']
    added = signals.wait_for('InterfacesAdded')[0]
    assert added[2] == 'oa{sa{sv}}' and added[3][0] == path and MODEM + '.Modem3gpp' in added[3][1]

    mmsim.client.remove_modem(UMTS)
    assert modem_paths(bus) == [ROOT + '/Modem/0', path]
    assert signals.wait_for('InterfacesRemoved')[0][3][0] == ROOT + '/Modem/1'
    with pytest.raises(dbus.exceptions.DBusException):  # its SIM went with it
        mmsim.client.get_property(ROOT + '/SIM/1', MM + '.Sim', 'Imsi')


def test_signal_setup_is_logged_and_sets_rate(bus, mmsim, signals):
    mmsim.client.clear_calls()
    mmcli(bus, '-m', '0', '--signal-setup=5')
    setup = mmsim.client.calls('Setup', SIGNAL)
    assert [(c.path, c.args) for c in setup] == [(ROOT + '/Modem/0', [5])]
    assert mmcli(bus, '-m', '0', '--signal-get', '-J')['modem']['signal']['refresh']['rate'] == '5'
    assert signals.wait_for('PropertiesChanged')[0][3][:2] == (SIGNAL, {'Rate': 5})


def test_faults_make_an_interface_fail_or_answer_late(bus, mmsim):
    client = mmsim.client
    client.fail_interface(LTE, 'signal', CORE_FAILED)
    with pytest.raises(dbus.exceptions.DBusException) as failure:
        client.get_property(ROOT + '/Modem/0', SIGNAL, 'Rate')
    assert failure.value.get_dbus_name() == CORE_FAILED
    assert mmcli(bus, '-m', '0', '--signal-setup=5', check=False).returncode != 0
    client.fail_interface(LTE, 'signal', '')
    assert client.get_property(ROOT + '/Modem/0', SIGNAL, 'Rate') == 0

    client.delay_interface(LTE, 'bearer', 300)
    start = time.monotonic()
    client.get_property(ROOT + '/Bearer/0', MM + '.Bearer', 'Connected')
    assert time.monotonic() - start >= 0.3


def test_index_base_and_restart_change_indices(bus, start_mmsim):
    sim = start_mmsim('two-modems.json', index_base=5)
    assert modem_paths(bus) == [ROOT + '/Modem/5', ROOT + '/Modem/6']
    assert mmcli(bus, '-i', '5', '-J')['sim']['properties']['imsi'] == '214011234567890'
    owner = owner_of(sim.client.bus)
    sim.client.restart(down_ms=100)
    harness.wait_until(lambda: owner_of(sim.client.bus) not in (None, owner), what='ModemManager back')
    assert modem_paths(bus) == [ROOT + '/Modem/7', ROOT + '/Modem/8']
    assert mmcli(bus, '-b', '6', '-J')['bearer']['status']['connected'] == 'yes'


def test_empty_scenario_has_no_modems(bus, start_mmsim):
    start_mmsim('empty.json')
    assert 'No modems were found' in mmcli(bus, '-L')


def test_5g_dual_sim_scenario(bus, start_mmsim):
    start_mmsim('5g-dual-sim.json')
    generic = mmcli(bus, '-m', '0', '-J')['modem']['generic']
    assert generic['sim-slots'] == [ROOT + '/SIM/0', ROOT + '/SIM/1']
    assert generic['primary-sim-slot'] == '1'
    assert mmcli(bus, '-i', '1', '-J')['sim']['properties']['sim-type'] == 'esim'
    error = mmcli(bus, '-b', '0', '-J')['bearer']['status']['connection-error']
    assert error == {'name': MM + '.Error.MobileEquipment.ServiceOptionNotSubscribed',
                     'message': 'Service option not subscribed'}
    assert mmcli(bus, '-m', '0', '--signal-get', '-J')['modem']['signal']['5g']['rsrp'] == '--'
    mmcli(bus, '-m', '0', '--signal-setup=5')  # values appear once ModemManager is asked to poll
    assert mmcli(bus, '-m', '0', '--signal-get', '-J')['modem']['signal']['5g']['rsrp'] == '-95.00'


def test_messaging_create_adds_an_sms(bus, mmsim):
    mmcli(bus, '-m', '0', "--messaging-create-sms=number='+34600999999',text='ping'")
    assert mmcli(bus, '-m', '0', '--messaging-list-sms').count('/SMS/') == 3
    assert mmcli(bus, '-s', '2', '-J')['sms']['content']['text'] == 'ping'


def test_bad_specs_are_refused(bus, mmsim):
    with pytest.raises(dbus.exceptions.DBusException, match='no property'):
        mmsim.client.add_modem({**NEW_MODEM, 'modem': {'manufacturerr': 'typo'}})
    with pytest.raises(dbus.exceptions.DBusException, match='not a MMModemState nick'):
        mmsim.client.set_property(LTE, 'modem', 'state', 'sleeping')
    assert len(modem_paths(bus)) == 2


def test_it_also_runs_as_a_plain_dbusmock_template(bus):
    template = harness.TESTS_DIR / 'mmsim' / 'modemmanager.py'
    params = f'{{"scenario": "{harness.SCENARIOS / "two-modems.json"}", "index_base": 3}}'
    proc = harness.spawn([harness.PYTHON, '-m', 'dbusmock', '--template', str(template), '-p', params],
                         env=bus.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = dbus.bus.BusConnection(bus.address)
        harness.wait_until(lambda: client.name_has_owner(MM), what='dbusmock owning the name')
        client.close()
        assert modem_paths(bus) == [ROOT + '/Modem/3', ROOT + '/Modem/4']
    finally:
        harness.stop(proc)


def test_a_broken_scenario_fails_start_with_its_reason(bus, tmp_path):
    broken = tmp_path / 'broken.json'
    broken.write_text('{"modems": [{"device_id": "x", "modem": {"manufacturerr": "typo"}}]}')
    with pytest.raises(RuntimeError, match="has no property 'manufacturerr'"):
        harness.start_mmsim(bus, broken)


def test_interfaces_and_child_objects_change_at_runtime(bus, mmsim, signals):
    client = mmsim.client
    client.remove_interface(LTE, 'signal')
    assert signals.wait_for('InterfacesRemoved')[0][3] == (ROOT + '/Modem/0', [SIGNAL])
    assert mmcli(bus, '-m', '0', '--signal-get', check=False).returncode != 0
    client.add_interface(LTE, 'signal', {'gsm': {'rssi': -80}})
    assert signals.wait_for('InterfacesAdded')[0][3][1][SIGNAL]['Gsm'] == {'rssi': -80.0}
    assert mmcli(bus, '-m', '0', '--signal-get', '-J')['modem']['signal']['gsm']['rssi'] == '-80.00'

    client.set_object_property(ROOT + '/Bearer/0', 'bearer', 'connected', False)
    client.set_object_properties(ROOT + '/Bearer/0', 'bearer', {'stats': {'rx-bytes': 5, 'duration': 7}})
    bearer = mmcli(bus, '-b', '0', '-J')['bearer']
    assert bearer['status']['connected'] == 'no'
    assert (bearer['stats']['bytes-rx'], bearer['stats']['duration']) == ('5', '7')

    client.update_modem(LTE, {'location': {'gps-raw': {'utc-time': '101010.00', 'latitude': 1.5,
                                                       'longitude': 2.25}}})
    gps = mmcli(bus, '-m', '0', '--location-get', '-J')['modem']['location']['gps']
    assert (gps['utc'], gps['latitude'], gps['longitude']) == ('101010.00', '1.500000', '2.250000')


def test_hostile_strings_pass_through_unchanged(bus, start_mmsim):
    start_mmsim('hostile-strings.json')
    modem = mmcli(bus, '-m', '0', '-J')['modem']
    assert modem['generic']['device-identifier'] == 'dev"ice\\id\n{with="label"}'
    assert modem['generic']['plugin'] == 'ünïcödé ✓ 日本語 🚀'
    assert modem['3gpp']['operator-name'] == '}"} 1\nmodemmanager_up 0\n{"'
    assert modem['3gpp']['registration-state'] == 'home-sms-only'
