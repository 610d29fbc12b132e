"""python-dbusmock template: a simulated ModemManager 1.20 (format and control
interface: README.md). Started by mmsim.py, or directly by dbusmock:

    python3 -m dbusmock --template tests/mmsim/modemmanager.py \\
        -p '{"scenario": "tests/mmsim/scenarios/two-modems.json", "index_base": 0}'
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # dbusmock loads us by path

import dbus  # noqa: E402
from gi.repository import GLib  # noqa: E402

import mmobject  # noqa: E402
import scenario  # noqa: E402
from modem import Modem  # noqa: E402
from mmobject import MMObject  # noqa: E402

BUS_NAME = 'org.freedesktop.ModemManager1'
MAIN_OBJ = '/org/freedesktop/ModemManager1'
MAIN_IFACE = 'org.freedesktop.ModemManager1'
SYSTEM_BUS = True
VERSION = '1.20.4'

OBJECT_MANAGER = 'org.freedesktop.DBus.ObjectManager'
CONTROL_IFACE = 'org.mmexporter.MMSim'
NOT_FOUND = CONTROL_IFACE + '.Error.NotFound'

# The control interface on MAIN_OBJ: name -> (in args, out args).
CONTROL_METHODS = {
    'AddModem': ((('spec_json', 's'),), (('path', 'o'),)),
    'RemoveModem': ((('device_id', 's'),), ()),
    'ListModems': ((), (('modems', 'a{so}'),)),
    'UpdateModem': ((('device_id', 's'), ('changes_json', 's')), ()),
    'SetState': ((('device_id', 's'), ('state', 's'), ('reason', 's')), ()),
    'SetProperty': ((('device_id', 's'), ('interface', 's'), ('name', 's'), ('value', 'v')), ()),
    'SetProperties': ((('device_id', 's'), ('interface', 's'), ('values', 'a{sv}')), ()),
    'SetObjectProperty': ((('path', 'o'), ('interface', 's'), ('name', 's'), ('value', 'v')), ()),
    'SetObjectProperties': ((('path', 'o'), ('interface', 's'), ('values', 'a{sv}')), ()),
    'AddInterface': ((('device_id', 's'), ('interface', 's'), ('section_json', 's')), ()),
    'RemoveInterface': ((('device_id', 's'), ('interface', 's')), ()),
    'FailInterface': ((('device_id', 's'), ('interface', 's'), ('error_name', 's')), ()),
    'DelayInterface': ((('device_id', 's'), ('interface', 's'), ('delay_ms', 'u')), ()),
    'FailObjectInterface': ((('path', 'o'), ('interface', 's'), ('error_name', 's')), ()),
    'DelayObjectInterface': ((('path', 'o'), ('interface', 's'), ('delay_ms', 'u')), ()),
    'GetCalls': ((), (('calls', 'a(dsssss)'),)),
    'ClearCalls': ((), ()),
    'Restart': ((('down_ms', 'u'),), ()),
}


def load(mock, parameters):
    """dbusmock's template entry point; parameters: scenario (a file name, or a
    dict with "modems"), index_base (first object index, default 0)."""
    MMObject.adopt(mock)
    mock.mmsim = Simulator(mock, parameters or {})


class Simulator:
    """The manager object's behaviour: which modems exist, their indices, the
    object manager, and the control interface tests drive it with."""

    def __init__(self, manager, parameters):
        self.manager = manager
        self.conn = manager.connection  # Restart() replaces it
        base = int(parameters.get('index_base', 0))
        # Like ModemManager: one counter per kind, never reused while running.
        self.counters = dict.fromkeys(('Modem', 'SIM', 'Bearer', 'SMS'), base)
        self.modems = {}  # device_id -> Modem, oldest first
        self.reconnect = None  # set by mmsim.py: reconnect(down_ms, come_back(new_connection))

        manager.add_interface(MAIN_IFACE, {'Version': parameters.get('version', VERSION)})
        manager.export(OBJECT_MANAGER, 'GetManagedObjects', (), (('objects', 'a{oa{sa{sv}}}'),),
                       self.managed_objects)
        for name, (ins, outs) in CONTROL_METHODS.items():
            # reading the log must not change it
            manager.export(CONTROL_IFACE, name, ins, outs, getattr(self, name), logged=name != 'GetCalls')

        source = parameters.get('scenario')
        specs = scenario.load(source) if isinstance(source, str) else (source or {}).get('modems', [])
        for spec in specs:
            self._add(spec, announce=False)

    def new_object(self, kind):
        path = f'{MAIN_OBJ}/{kind}/{self.counters[kind]}'
        self.counters[kind] += 1
        return MMObject(self.conn, path, self.manager.logfile)

    def managed_objects(self):
        # Only modems, as ModemManager: SIMs, bearers and SMS are reached through them.
        return {m.path: m.obj.props for m in self.modems.values()}

    def _add(self, spec, announce):
        if spec.get('device_id') in self.modems:
            raise dbus.exceptions.DBusException(f'modem {spec["device_id"]} exists',
                                                name=CONTROL_IFACE + '.Error.Exists')
        modem = Modem(self, spec)
        self.modems[modem.device_id] = modem
        if announce:
            self._interfaces_added(modem, modem.obj.props)
        return modem

    def _modem(self, device_id):
        try:
            return self.modems[device_id]
        except KeyError:
            raise dbus.exceptions.DBusException(f'no modem {device_id}', name=NOT_FOUND) from None

    def _object(self, path):
        obj = mmobject.MOCK_OBJECTS.get(path)
        if not isinstance(obj, MMObject):
            raise dbus.exceptions.DBusException(f'no object {path}', name=NOT_FOUND)
        return obj

    def _interfaces_added(self, modem, props):
        self.manager.EmitSignal(OBJECT_MANAGER, 'InterfacesAdded', 'oa{sa{sv}}', [
            dbus.ObjectPath(modem.path),
            dbus.Dictionary({i: dbus.Dictionary(p, signature='sv') for i, p in props.items()},
                            signature='sa{sv}')])

    def _interfaces_removed(self, modem, ifaces):
        self.manager.EmitSignal(OBJECT_MANAGER, 'InterfacesRemoved', 'oas', [
            dbus.ObjectPath(modem.path), dbus.Array(ifaces, signature='s')])

    # -- control interface (CONTROL_METHODS) ----------------------------------------

    def AddModem(self, spec_json):
        return self._add(json.loads(spec_json), announce=True).path

    def RemoveModem(self, device_id):
        modem = self._modem(device_id)
        self._interfaces_removed(modem, list(modem.obj.props))
        modem.remove()
        del self.modems[device_id]

    def ListModems(self):
        return {d: m.path for d, m in self.modems.items()}

    def UpdateModem(self, device_id, changes_json):
        self._modem(device_id).update(json.loads(changes_json))

    def SetState(self, device_id, state, reason):
        self._modem(device_id).set_state(state, reason)

    def SetProperty(self, device_id, interface, name, value):
        self.SetProperties(device_id, interface, {name: value})

    def SetProperties(self, device_id, interface, values):
        self._set(self._modem(device_id).obj, scenario.resolve_interface(interface), values)

    def SetObjectProperty(self, path, interface, name, value):
        self.SetObjectProperties(path, interface, {name: value})

    def SetObjectProperties(self, path, interface, values):
        self._set(self._object(path), scenario.resolve_interface(interface, modem_only=False), values)

    @staticmethod
    def _set(obj, iface, values):
        obj.update(iface, {scenario.resolve_property(iface, str(k)): v for k, v in values.items()})

    def AddInterface(self, device_id, interface, section_json):
        modem = self._modem(device_id)
        iface = modem.add_interface(interface, json.loads(section_json or '{}'))
        self._interfaces_added(modem, {iface: modem.obj.props[iface]})

    def RemoveInterface(self, device_id, interface):
        modem = self._modem(device_id)
        self._interfaces_removed(modem, [modem.remove_interface(interface)])

    def FailInterface(self, device_id, interface, error_name):
        for obj, iface in self._targets(device_id, interface):
            obj.set_fault(iface, error_name=error_name)

    def DelayInterface(self, device_id, interface, delay_ms):
        for obj, iface in self._targets(device_id, interface):
            obj.set_fault(iface, delay_ms=delay_ms)

    def _targets(self, device_id, interface):
        """A modem interface names the modem object; Sim, Bearer or Sms names all
        of the modem's objects of that kind."""
        modem = self._modem(device_id)
        iface = scenario.resolve_interface(interface, modem_only=False)
        targets = [(o, iface) for o in (modem.obj, *modem.children.values())
                   if iface in o.props or iface in o.methods]
        if not targets:
            raise dbus.exceptions.DBusException(f'modem {device_id} has no {iface}', name=NOT_FOUND)
        return targets

    def FailObjectInterface(self, path, interface, error_name):
        self._object(path).set_fault(interface, error_name=error_name)

    def DelayObjectInterface(self, path, interface, delay_ms):
        self._object(path).set_fault(interface, delay_ms=delay_ms)

    def GetCalls(self):
        return mmobject.CALLS

    def ClearCalls(self):
        mmobject.CALLS.clear()

    def Restart(self, down_ms):
        """Behave like a ModemManager restart: the bus name goes away for
        down_ms, then comes back from a new connection (a new unique name) with
        the same modems at new indices and no faults."""
        if self.reconnect is None:
            raise dbus.exceptions.DBusException('Restart needs mmsim.py',
                                                name=CONTROL_IFACE + '.Error.NotSupported')
        GLib.idle_add(self._restart, down_ms)  # after the reply has gone out

    def _restart(self, down_ms):
        specs = [m.spec for m in self.modems.values()]
        for modem in self.modems.values():
            modem.remove()
        self.modems.clear()
        self.manager.faults.clear()

        def come_back(conn):
            self.conn = conn
            for spec in specs:
                self._add(spec, announce=False)

        self.reconnect(down_ms, come_back)
        return False
