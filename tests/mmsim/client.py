"""Test-side handle on the simulated ModemManager's control interface
(org.mmexporter.MMSim on /org/freedesktop/ModemManager1, see README.md).

Needs only dbus-python, no main loop: every call is a blocking call to the
well-known name, so the handle keeps working across Restart()."""

import json
import time
from collections import namedtuple

import dbus

BUS_NAME = 'org.freedesktop.ModemManager1'
PATH = '/org/freedesktop/ModemManager1'
IFACE = 'org.mmexporter.MMSim'
CORE_FAILED = 'org.freedesktop.ModemManager1.Error.Core.Failed'

Call = namedtuple('Call', 'time sender path interface method args')


def _variant(value):
    """Python -> a dbus-python value whose guessed type the simulator can re-type
    exactly: dictionaries become a{sv}, big integers 64-bit, tuples structs."""
    if isinstance(value, dict):
        return dbus.Dictionary({str(k): _variant(v) for k, v in value.items()}, signature='sv')
    if isinstance(value, bool):
        return dbus.Boolean(value)
    if isinstance(value, int) and not -2**31 <= value < 2**31:
        return dbus.Int64(value) if value < 2**63 else dbus.UInt64(value)
    if isinstance(value, tuple):
        return dbus.Struct([_variant(v) for v in value])
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return dbus.Array([_variant(v) for v in value], signature='a{sv}')
    return value


class MMSim:
    def __init__(self, address, timeout=5.0):
        self.bus = dbus.bus.BusConnection(address)
        self.timeout = timeout

    def close(self):
        self.bus.close()

    def _call(self, method, signature='', *args):
        return self.bus.call_blocking(BUS_NAME, PATH, IFACE, method, signature, args,
                                      timeout=self.timeout)

    # modems
    def add_modem(self, spec):
        """Add a modem (a dict in the scenario format); returns its object path."""
        return str(self._call('AddModem', 's', json.dumps(spec)))

    def remove_modem(self, device_id):
        self._call('RemoveModem', 's', device_id)

    def modems(self):
        """{device_id: modem object path}"""
        return {str(k): str(v) for k, v in self._call('ListModems').items()}

    def update_modem(self, device_id, changes):
        """Merge {section: {key: value}} (scenario format) into a modem and publish it."""
        self._call('UpdateModem', 'ss', device_id, json.dumps(changes))

    def set_state(self, device_id, state, reason='unknown'):
        """Move a modem to `state` (nick) with Modem.StateChanged(old, new, reason)."""
        self._call('SetState', 'sss', device_id, state, reason)

    def add_interface(self, device_id, interface, section=None):
        self._call('AddInterface', 'sss', device_id, interface, json.dumps(section or {}))

    def remove_interface(self, device_id, interface):
        self._call('RemoveInterface', 'ss', device_id, interface)

    # properties (interface: full name or a scenario section name such as "3gpp";
    # name: D-Bus or snake_case spelling; value: raw, enum nicks allowed)
    def set_property(self, device_id, interface, name, value):
        self._call('SetProperty', 'sssv', device_id, interface, name, _variant(value))

    def set_properties(self, device_id, interface, values):
        self._call('SetProperties', 'ssa{sv}', device_id, interface, _variant(values))

    def set_object_property(self, path, interface, name, value):
        self._call('SetObjectProperty', 'ossv', path, interface, name, _variant(value))

    def set_object_properties(self, path, interface, values):
        self._call('SetObjectProperties', 'osa{sv}', path, interface, _variant(values))

    def get_property(self, path, interface, name):
        """Read a property the way any client does (this call is logged too)."""
        return self.bus.call_blocking(BUS_NAME, path, dbus.PROPERTIES_IFACE, 'Get', 'ss',
                                      (interface, name), timeout=self.timeout)

    # faults
    def fail_interface(self, device_id, interface, error_name=CORE_FAILED):
        """Calls on that interface of the modem (or of its SIMs/bearers/SMS for
        Sim/Bearer/Sms) fail with error_name; '' makes them succeed again."""
        self._call('FailInterface', 'sss', device_id, interface, error_name)

    def delay_interface(self, device_id, interface, delay_ms):
        self._call('DelayInterface', 'ssu', device_id, interface, delay_ms)

    def fail_object_interface(self, path, interface, error_name=CORE_FAILED):
        self._call('FailObjectInterface', 'oss', path, interface, error_name)

    def delay_object_interface(self, path, interface, delay_ms):
        self._call('DelayObjectInterface', 'osu', path, interface, delay_ms)

    # call log
    def calls(self, method=None, interface=None, path=None):
        """Logged calls, oldest first, optionally filtered; args are plain Python."""
        calls = [Call(float(t), str(s), str(p), str(i), str(m), json.loads(a))
                 for t, s, p, i, m, a in self._call('GetCalls')]
        return [c for c in calls if (method is None or c.method == method)
                and (interface is None or c.interface == interface) and (path is None or c.path == path)]

    def clear_calls(self):
        self._call('ClearCalls')

    def wait_for_call(self, method, interface=None, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            found = self.calls(method, interface)
            if found:
                return found
            if time.monotonic() > deadline:
                raise TimeoutError(f'no call to {method} within {timeout} s')
            time.sleep(0.02)

    def restart(self, down_ms=200):
        """Drop the bus name for down_ms and come back with new indices, as a
        restarted ModemManager does."""
        self._call('Restart', 'u', down_ms)
