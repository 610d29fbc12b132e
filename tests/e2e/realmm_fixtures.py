"""The real ModemManager daemon as a test bed: a private system bus, the
polkit stand-in, Debian's ModemManager in test mode, simulated AT modems
(tests/realmm/at_modem.py) registered through its Test.SetProfile method, and
the exporter. See tests/realmm/README.md for how the pieces fit.

    def test_x(realmm):
        modem = realmm.add_modem(manufacturer='Quectel', model='EC25')  # probed + enabled
        exporter = realmm.start_exporter()
        ...

Everything started is stopped when the test ends, however it ends, and the
daemon's debug log and the modems' command logs are printed (pytest shows
them for failed tests).
"""

import itertools
import os
import signal
import subprocess
import sys
from pathlib import Path

import dbus
import dbus.bus
import pytest

import harness
from exporter import Exporter

sys.path.insert(0, str(harness.TESTS_DIR / 'realmm'))
from at_modem import ATModem  # noqa: E402

MODEMMANAGER = '/usr/sbin/ModemManager'
POLKIT_STANDIN = harness.TESTS_DIR / 'realmm' / 'polkit_standin.py'
MM_ARGS = ['--debug', '--test-enable', '--test-no-udev', '--no-auto-scan',
           '--test-no-suspend-resume', '--test-no-qrtr']

MM_SERVICE = 'org.freedesktop.ModemManager1'
MM_PATH = '/org/freedesktop/ModemManager1'
MM_MODEM = MM_SERVICE + '.Modem'
MM_MODEM_3GPP = MM_MODEM + '.Modem3gpp'
MM_SIGNAL = MM_MODEM + '.Signal'
OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
PROPERTIES = 'org.freedesktop.DBus.Properties'

LOCATION_3GPP = 1  # MM_MODEM_LOCATION_SOURCE_3GPP_LAC_CI

# MMModemState
STATE_FAILED, STATE_LOCKED, STATE_DISABLED = -1, 2, 3
STATE_ENABLED, STATE_SEARCHING, STATE_REGISTERED = 6, 7, 8

requires_modemmanager = pytest.mark.skipif(
    not os.path.exists(MODEMMANAGER),
    reason=f'{MODEMMANAGER} is not installed (package modemmanager; '
           'scripts/install-deps.sh installs it): real-daemon tests skipped')

# Abstract socket names are machine-wide: make them unique per test process.
_socket_names = (f'abstract:mmx-{os.getpid()}-{n}' for n in itertools.count())


class RealModemManager:
    """One ModemManager process on `bus`, its stderr (debug log) in `log_path`."""

    def __init__(self, bus, log_path):
        self.bus = bus
        self.log_path = Path(log_path)
        # --log-file: without it the daemon also logs through syslog(3), which
        # with no syslog daemon writes to the console.
        with open(self.log_path.with_suffix('.stderr'), 'ab') as stderr:
            self.proc = harness.spawn([MODEMMANAGER, *MM_ARGS, f'--log-file={self.log_path}'],
                                      env=bus.env(), stdout=stderr, stderr=subprocess.STDOUT)

    def stop(self, sig=signal.SIGTERM, timeout=10.0):
        """Signal the daemon and wait until it has exited (it needs > 0.5 s,
        and a new one must not start on the bus before)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def log_tail(self, lines=150):
        try:
            text = self.log_path.read_text(errors='replace').splitlines()
        except OSError:
            return ''
        return '\n'.join(text[-lines:])


class SimulatedModem:
    """An AT modem (`.at`, an ATModem) as the daemon sees it: its profile id,
    D-Bus path and index (both change when the daemon restarts)."""

    def __init__(self, at, profile_id, enable):
        self.at = at
        self.profile_id = profile_id
        self.enable = enable
        self.path = None
        self.removed = False

    @property
    def device(self):
        return f'/virtual/{self.profile_id}'

    @property
    def index(self):
        return self.path.rsplit('/', 1)[1]

    def __repr__(self):
        return f'<SimulatedModem {self.profile_id} {self.at.name} {self.path}>'


class RealMMTestBed:
    """Private bus + polkit stand-in + ModemManager + simulated modems + exporter."""

    def __init__(self, log_dir):
        self.log_dir = Path(log_dir)
        self.modems = []
        self.exporters = []
        self.mm = None
        self.polkit = None
        self._inhibits = []
        self._mm_runs = 0
        self.bus = harness.PrivateBus()
        try:
            self.conn = dbus.bus.BusConnection(self.bus.address)
            self._start_polkit()
            self.start_modemmanager()
        except BaseException:
            self.close()
            raise

    # -- processes ----------------------------------------------------------------

    def _start_polkit(self):
        self.polkit_log = open(self.log_dir / 'polkit.log', 'wb')
        self.polkit = harness.spawn([harness.PYTHON, str(POLKIT_STANDIN)], env=self.bus.env(),
                                    stdout=subprocess.PIPE, stderr=self.polkit_log)
        line = harness._read_line(self.polkit, 10.0, 'polkit stand-in')
        if line != 'READY':
            raise RuntimeError(f'polkit stand-in said {line!r}')

    def start_modemmanager(self, timeout=10.0):
        """Start the daemon, wait until it owns its name, and register every
        modem not removed (a new daemon knows none of them)."""
        self._mm_runs += 1
        self.mm = RealModemManager(self.bus, self.log_dir / f'ModemManager-{self._mm_runs}.log')

        def owned():
            if self.mm.proc.poll() is not None:
                raise RuntimeError(f'ModemManager exited with {self.mm.proc.returncode}:\n'
                                   f'{self.mm.log_tail(40)}')
            return self.conn.name_has_owner(MM_SERVICE)
        harness.wait_until(owned, timeout, what='ModemManager on the bus')
        live = [m for m in self.modems if not m.removed]
        for m in live:
            m.path = None
            self._set_profile(m)
        for m in live:
            self._wait_probed(m)
        self._enable([m for m in live if m.enable])

    def stop_modemmanager(self, sig=signal.SIGTERM):
        status = self.mm.stop(sig)
        harness.wait_until(lambda: not self.conn.name_has_owner(MM_SERVICE), 5,
                           what='ModemManager off the bus')
        return status

    def start_exporter(self, *args, signal_rate='2s'):
        """The exporter against this bus (default --signal-rate=2s), healthy."""
        if signal_rate is not None:
            args = (f'--signal-rate={signal_rate}', *args)
        exp = Exporter(self.bus.address, args)
        self.exporters.append(exp)
        exp.wait_healthy()
        return exp

    # -- modems -------------------------------------------------------------------

    def add_modem(self, enable=True, **state):
        """A new simulated modem (ATModem attributes as keywords), listening,
        registered with the daemon, probed, and enabled unless enable=False
        (a modem whose SIM needs a PIN stays locked either way)."""
        return self.add_modems([state], enable=enable)[0]

    def add_modems(self, states, enable=True):
        """Several modems at once: probed and enabled in parallel."""
        added = []
        for state in states:
            at = ATModem(next(_socket_names), **state).start()  # listening before SetProfile
            m = SimulatedModem(at, f'sim{len(self.modems)}',
                               enable and not state.get('pin_locked'))
            self.modems.append(m)
            added.append(m)
            self._set_profile(m)
        for m in added:
            self._wait_probed(m)
        self._enable([m for m in added if m.enable])
        return added

    def _mm_object(self, path=MM_PATH):
        return self.conn.get_object(MM_SERVICE, path, introspect=False)

    def _set_profile(self, m):
        test = dbus.Interface(self._mm_object(), MM_SERVICE + '.Test')
        test.SetProfile(m.profile_id, 'generic', [m.at.name])

    def managed_objects(self):
        om = dbus.Interface(self._mm_object(), OBJECT_MANAGER)
        return om.GetManagedObjects()

    def _find(self, m):
        for path, interfaces in self.managed_objects().items():
            if interfaces.get(MM_MODEM, {}).get('Device') == m.device:
                return str(path), interfaces
        return None, None

    def modem_property(self, m, name, interface=MM_MODEM):
        props = dbus.Interface(self._mm_object(m.path), PROPERTIES)
        return props.Get(interface, name)

    def _wait_probed(self, m, timeout=20.0):
        def probed():
            path, interfaces = self._find(m)
            if path is None:
                return None
            state = int(interfaces[MM_MODEM]['State'])
            if state == STATE_FAILED:
                raise AssertionError(f'{m}: the daemon marked the modem failed\n'
                                     f'{self.mm.log_tail(60)}')
            return path if state in (STATE_LOCKED, STATE_DISABLED) else None
        m.path = harness.wait_until(probed, timeout, 0.05, what=f'{m} probed')

    def _enable(self, modems, timeout=20.0):
        """mmcli -m N -e for each (in parallel), then wait for the daemon's
        first registration checks to finish."""
        procs = [(m, subprocess.Popen(['mmcli', '-m', m.index, '-e'], env=self.bus.env(),
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
                 for m in modems]
        for m, p in procs:
            out, _ = p.communicate(timeout=timeout)
            if p.returncode != 0:
                raise AssertionError(f'mmcli -m {m.index} -e failed: {out}\n{self.mm.log_tail(60)}')
        for m in modems:
            registers = m.at.get('reg_stat') in (1, 5)
            want = STATE_REGISTERED if registers else STATE_ENABLED
            harness.wait_until(lambda: int(self.modem_property(m, 'State')) >= want, timeout,
                               0.05, what=f'{m} enabled')
            if registers:
                # The cell (LAC/TAC, CI) comes with the last of the daemon's
                # registration queries, just after the state turns
                # "registered", and without a D-Bus signal.
                location = dbus.Interface(self._mm_object(m.path), MM_MODEM + '.Location')
                harness.wait_until(lambda: LOCATION_3GPP in location.GetLocation(), timeout,
                                   0.05, what=f'{m} cell known')

    def remove_modem(self, m):
        """The modem disappears: its AT port hangs up, and the daemon drops
        the device. A virtual (Test.SetProfile) device has no udev device for
        ReportKernelEvent to remove, so the removal is done the one way the
        daemon offers for any device: InhibitDevice on its uid (held until the
        test bed closes)."""
        m.at.vanish()
        inhibitor = dbus.bus.BusConnection(self.bus.address)
        self._inhibits.append(inhibitor)
        manager = dbus.Interface(inhibitor.get_object(MM_SERVICE, MM_PATH, introspect=False),
                                 MM_SERVICE)
        manager.InhibitDevice(m.device, True)
        m.removed = True

    def mmcli(self, *args, **kwargs):
        return harness.mmcli(self.bus, *args, **kwargs)

    # -- teardown -------------------------------------------------------------------

    def report(self):
        """Logs of everything, for a failed test."""
        parts = []
        for i, exp in enumerate(self.exporters):
            parts.append(f'--- mm-exporter #{i} log ---\n{exp.log_text()}')
        for m in self.modems:
            parts.append(f'--- {m} AT commands (last 60) ---\n'
                         + '\n'.join(m.at.transcript().splitlines()[-60:]))
        if self.mm is not None:
            parts.append(f'--- ModemManager log {self.mm.log_path} (tail) ---\n{self.mm.log_tail()}')
        return '\n'.join(parts)

    def close(self):
        problems = []
        for exp in self.exporters:
            status, log = exp.stop()
            if status != 0:
                problems.append(f'mm-exporter exited with {status}')
        if self.mm is not None:
            self.mm.stop()
        if self.polkit is not None:
            harness.stop(self.polkit)
            self.polkit.stdout.close()
            self.polkit_log.close()
        for m in self.modems:
            m.at.vanish()
        for c in self._inhibits:
            c.close()
        if getattr(self, 'conn', None) is not None:
            self.conn.close()
        self.bus.stop()
        return problems


@pytest.fixture
def realmm(tmp_path):
    """A RealMMTestBed; its logs are printed after the test (pytest shows
    them when it failed) and kept in the test's tmp_path."""
    bed = RealMMTestBed(tmp_path)
    try:
        yield bed
    finally:
        report = bed.report()
        problems = bed.close()
        print(report)
        assert not problems, '; '.join(problems)
