"""One object of the simulated ModemManager (the manager, a modem, SIM, bearer or SMS)."""

import json
import time
import traceback

import dbus
import dbus.service
from dbusmock.mockobject import DBusMockObject, objects as MOCK_OBJECTS
from gi.repository import GLib

import mmapi
from dbusvalue import to_dbus, to_plain, zero
from hints import HINTS, MODEM

PROPERTIES = dbus.PROPERTIES_IFACE
INVALID_ARGS = 'org.freedesktop.DBus.Error.InvalidArgs'
SIM_FAILED = 'org.mmexporter.MMSim.Error.Failed'

# Every call any object received, oldest first:
# (unix time, sender, object path, interface, member, arguments as a JSON list).
CALLS = []

_PROPERTIES_METHODS = {
    'Get': ((('interface_name', 's'), ('property_name', 's')), (('value', 'v'),)),
    'GetAll': ((('interface_name', 's'),), (('properties', 'a{sv}'),)),
    'Set': ((('interface_name', 's'), ('property_name', 's'), ('value', 'v')), ()),
}


class MMObject(DBusMockObject):
    """A dbusmock object whose properties always carry ModemManager's exact types,
    whose every method call lands in CALLS, and whose interfaces can be told to
    fail or to answer late. Properties.Get/GetAll count as calls on the interface
    they read, so a fault on an interface covers its properties too."""

    # Restart() moves the manager object to a new connection; without this,
    # dbus-python refuses because it remembers the first connection forever.
    SUPPORTS_MULTIPLE_CONNECTIONS = True

    def __init__(self, conn, path, logfile=None):
        DBusMockObject.__init__(self, conn, path, MODEM, {})
        self.logfile, self.is_logfile_owner = logfile, False  # shared with the manager
        self._setup()
        MOCK_OBJECTS[path] = self

    @classmethod
    def adopt(cls, mock):
        """Give dbusmock's own main object (it creates that one itself when started
        as `python3 -m dbusmock --template`) the same behaviour."""
        mock.__class__ = cls
        mock._setup()

    def _setup(self):
        self.props, self.methods, self.faults = {}, {}, {}
        handlers = {'Get': self._get, 'GetAll': self._get_all, 'Set': self._set}
        for name, (ins, outs) in _PROPERTIES_METHODS.items():
            self.export(PROPERTIES, name, ins, outs, handlers[name])

    # -- interfaces and properties ------------------------------------------------

    def add_interface(self, iface, raw_props=None, handlers=None):
        """Export `iface` with every property the XML lists (unset ones at GDBus's
        default for their type) and every method (a no-op unless handled)."""
        props = {name: zero(sig) for name, sig in mmapi.PROPERTIES.get(iface, {}).items()}
        props.update({name: self.convert(iface, name, v) for name, v in (raw_props or {}).items()})
        self.props[iface] = props
        for name, (ins, outs) in mmapi.METHODS.get(iface, {}).items():
            self.export(iface, name, ins, outs, (handlers or {}).get(name))

    def remove_interface(self, iface):
        self.props.pop(iface, None)
        self.methods.pop(iface, None)
        self.faults.pop(iface, None)

    def convert(self, iface, name, raw):
        try:
            sig = mmapi.PROPERTIES[iface][name]
        except KeyError:
            raise ValueError(f'{iface} has no property {name!r}') from None
        try:
            return to_dbus(raw, sig, HINTS.get(iface, {}).get(name))
        except (ValueError, TypeError) as e:
            raise ValueError(f'{iface}.{name}: {e}') from None

    def update(self, iface, raw_changes, reason=0):
        """Set properties and announce them the way ModemManager does: one
        PropertiesChanged per batch, only for values that really changed, and a
        Modem.StateChanged signal before it when the modem state moves, with
        `reason` (MMModemStateChangeReason, a number or a nick)."""
        if iface not in self.props:
            raise ValueError(f'{self.path} has no interface {iface}')
        current = self.props[iface]
        changed = {}
        for name, raw in raw_changes.items():
            value = self.convert(iface, name, raw)
            if current.get(name) != value:
                changed[name] = value
        if not changed:
            return
        old_state = current.get('State')
        current.update(changed)
        if iface == MODEM and 'State' in changed:
            reason = to_dbus(reason, 'u', 'MMModemStateChangeReason')
            self.EmitSignal(MODEM, 'StateChanged', 'iiu', [old_state, changed['State'], reason])
        self.EmitSignal(PROPERTIES, 'PropertiesChanged', 'sa{sv}as',
                        [iface, dbus.Dictionary(changed, signature='sv'), dbus.Array([], signature='s')])

    def set_fault(self, iface, error_name=None, delay_ms=None):
        """From now on, calls on `iface` (Properties ones included) fail with
        `error_name` ('' = succeed) after `delay_ms` (0 = answer at once)."""
        old_error, old_delay = self.faults.get(iface, ('', 0))
        fault = (old_error if error_name is None else error_name,
                 old_delay if delay_ms is None else int(delay_ms))
        self.faults[iface] = fault
        if fault == ('', 0):
            del self.faults[iface]

    def remove(self):
        self.remove_from_connection()
        if MOCK_OBJECTS.get(self.path) is self:
            del MOCK_OBJECTS[self.path]

    # -- methods ------------------------------------------------------------------

    def export(self, iface, name, in_args, out_args, impl=None, logged=True):
        """Serve iface.name on this object only; impl(*args) returns the raw result."""
        out_sig = ''.join(t for _, t in out_args)

        def handler(obj, *args, reply, error, sender):
            obj._call(iface, name, args, out_args, impl, reply, error, sender, logged)

        method = dbus.service.method(iface, out_signature=out_sig)(handler)
        # dbus-python's decorator cannot combine *args with asynchronous replies, so
        # set the attributes it would have set (dbusmock does the same in AddMethod).
        method.__name__ = name
        method._dbus_in_signature = ''.join(t for _, t in in_args)
        method._dbus_args = [n for n, _ in in_args]
        method._dbus_async_callbacks = ('reply', 'error')
        method._dbus_sender_keyword = 'sender'
        self.methods.setdefault(iface, {})[name] = (method._dbus_in_signature, out_sig, '', method)

    def _call(self, iface, name, args, out_args, impl, reply, error, sender, logged):
        if logged:
            args_json = json.dumps(to_plain(list(args)))
            CALLS.append((time.time(), sender or '', self.path, iface, name, args_json))
        self.log(f'call {sender} {self.path} {iface}.{name} {to_plain(list(args))}')
        target = str(args[0]) if iface == PROPERTIES and args else iface
        error_name, delay_ms = self.faults.get(target, ('', 0))

        def answer():
            try:
                if error_name:
                    raise dbus.exceptions.DBusException(f'simulated failure of {target}', name=error_name)
                result = impl(*args) if impl else None
                reply(*_results(result, out_args))
            except dbus.exceptions.DBusException as e:
                error(e)
            except ValueError as e:  # a caller's value that does not fit
                error(dbus.exceptions.DBusException(str(e), name=INVALID_ARGS))
            except Exception as e:  # a simulator bug: say so instead of hanging the caller
                self.log(traceback.format_exc())
                error(dbus.exceptions.DBusException(f'{type(e).__name__}: {e}', name=SIM_FAILED))
            return False

        if delay_ms:
            GLib.timeout_add(delay_ms, answer)
        else:
            answer()

    def _props_of(self, iface):
        if iface in self.props:
            return self.props[iface]
        if iface in self.methods:
            return {}
        raise dbus.exceptions.DBusException(f'No such interface “{iface}”', name=INVALID_ARGS)

    def _get(self, iface, name):
        props = self._props_of(iface)
        if name not in props:
            raise dbus.exceptions.DBusException(f'No such property “{name}”', name=INVALID_ARGS)
        return props[name]

    def _get_all(self, iface):
        return dbus.Dictionary(self._props_of(iface), signature='sv')

    def _set(self, iface, name, _value):
        self._get(iface, name)
        raise dbus.exceptions.DBusException(f'Property “{name}” is not writable', name=INVALID_ARGS)


def _results(result, out_args):
    sigs = [t for _, t in out_args]
    if not sigs:
        return ()
    if len(sigs) == 1:
        result = (result,)
    elif result is None:
        result = (None,) * len(sigs)
    return tuple(zero(sig) if value is None else to_dbus(value, sig) for value, sig in zip(result, sigs))
