"""One simulated modem: its Modem object, and the SIM, bearer and SMS objects its
properties name (which, as in ModemManager, the object manager does not list)."""

import copy

import dbus

import scenario
from dbusvalue import to_dbus
from hints import CELL_INFO, SERVING_CELL_TYPES, BEARER, LOCATION, MESSAGING, MODEM, MODEM_3GPP, SIGNAL, SIM, SIMPLE, SMS
from mmenums import ENUMS

NOT_FOUND = 'org.freedesktop.ModemManager1.Error.Core.NotFound'
UNSUPPORTED = 'org.freedesktop.ModemManager1.Error.Core.Unsupported'
WRONG_STATE = 'org.freedesktop.ModemManager1.Error.Core.WrongState'
SIGNAL_TECHNOLOGIES = ('Cdma', 'Evdo', 'Gsm', 'Umts', 'Lte', 'Nr5g')
_SOURCES = ENUMS['MMModemLocationSource']


def _sources(value):
    """A location source mask from a number or a list of nicks."""
    return int(to_dbus(value, 'u', 'MMModemLocationSource'))


class Modem:
    """Builds the objects from a scenario spec, folds UpdateModem/AddInterface/
    RemoveInterface changes back into that spec (so Restart() brings the same
    modem back), and gives the methods that need behaviour their behaviour."""

    def __init__(self, manager, spec):
        """manager.new_object(kind) gives a fresh MMObject at the next
        /org/freedesktop/ModemManager1/<kind>/N path."""
        self.manager = manager
        self.spec = copy.deepcopy(scenario.validate(spec))
        self.device_id = self.spec['device_id']
        self.children = {}  # path -> MMObject: SIMs, bearers, messages
        self.location = scenario.location_data(self.spec.get('location'))
        self.before_disable = None  # what Enable(true) goes back to
        self.hidden_signal = {} if (self.spec.get('signal') or {}).get('hidden_until_setup') else None

        if 'sim_slots' in self.spec:
            self.sim_slots = [self._new_child('SIM', SIM, scenario.sim_properties(s)) if s else '/'
                              for s in self.spec['sim_slots']]
        else:
            self.sim_slots = None
            self.sim = (self._new_child('SIM', SIM, scenario.sim_properties(self.spec['sim']))
                        if self.spec.get('sim') else '/')
        self.bearers = [self._new_child('Bearer', BEARER, scenario.bearer_properties(b))
                        for b in self.spec.get('bearers', [])]
        self.messages = [self._new_child('SMS', SMS, scenario.sms_properties(m))
                         for m in (self.spec.get('messaging') or {}).get('messages', [])]

        interfaces = scenario.modem_interfaces(self.spec)
        self.spec['interfaces'] = [scenario.section_name(i) for i in interfaces if i != MODEM]
        self.obj = manager.new_object('Modem')
        self.path = self.obj.path
        for iface, props in interfaces.items():
            self.obj.add_interface(iface, self._derive(iface, props), self._handlers(iface))

    def _new_child(self, kind, iface, props, handlers=None):
        obj = self.manager.new_object(kind)
        obj.add_interface(iface, props, handlers)
        self.children[obj.path] = obj
        return obj.path

    def remove(self):
        self.obj.remove()
        for child in self.children.values():
            child.remove()
        self.children.clear()

    # -- properties the simulator derives from the spec ---------------------------

    def _derive(self, iface, props):
        props = dict(props)
        if iface == MODEM:
            props['DeviceIdentifier'] = self.device_id
            props['Bearers'] = self.bearers
            if self.sim_slots is None:
                props['Sim'] = self.sim
            else:
                props['SimSlots'] = self.sim_slots
                active = [i for i, p in enumerate(self.sim_slots)
                          if p != '/' and self.children[p].props[SIM]['Active']]
                props.setdefault('PrimarySimSlot', 1 + (active[0] if active else 0))
                props['Sim'] = self.sim_slots[int(props['PrimarySimSlot']) - 1]
        elif iface == MESSAGING:
            props['Messages'] = self.messages
        elif iface == LOCATION:
            props.setdefault('Enabled', list(self.location))
            props.setdefault('Capabilities', _sources(props['Enabled']) | _sources(list(self.location)))
            props['Location'] = self._location(props['Enabled'], props.get('SignalsLocation', False))
        elif iface == SIGNAL and self.hidden_signal is not None:
            rate = props.get('Rate', self.obj.props.get(SIGNAL, {}).get('Rate', 0))
            if not rate:  # ModemManager has measured nothing until Setup() asks it to
                for tech in SIGNAL_TECHNOLOGIES:
                    if tech in props:
                        self.hidden_signal[tech] = props.pop(tech)
        return props

    def _location(self, enabled, signals_location):
        """The a{uv} of the enabled sources' fixes; the Location property shows it
        only while signals are on (GetLocation always does)."""
        if not signals_location:
            return dbus.Dictionary({}, signature='uv')
        mask = _sources(enabled)
        return dbus.Dictionary({dbus.UInt32(_SOURCES[nick]): value for nick, value in self.location.items()
                                if mask & _SOURCES[nick]}, signature='uv')

    def update(self, changes):
        """Merge scenario-format `changes` ({section: {key: value}}) into the modem
        and publish exactly the properties they touch (plus what derives from them)."""
        for section, values in changes.items():
            iface = scenario.resolve_interface(section)
            if iface not in self.obj.props:
                raise ValueError(f'modem {self.device_id} has no interface {iface} to update')
            if iface == MESSAGING and 'messages' in values:
                raise ValueError('messages change through Messaging.Create/Delete')
            section = scenario.section_name(iface)
            self.spec[section] = {**(self.spec.get(section) or {}), **values}
            props = scenario.section_properties(iface, values, defaults=False)
            if iface == LOCATION:
                self.location = scenario.location_data(self.spec[section])
                current = {**self.obj.props[LOCATION], **{k: self.obj.convert(LOCATION, k, v)
                                                         for k, v in props.items()}}
                props['Location'] = self._location(current['Enabled'], current['SignalsLocation'])
            elif iface == SIGNAL and self.hidden_signal is not None:
                props = self._derive(SIGNAL, props)
            self.obj.update(iface, props)

    def add_interface(self, section, values):
        iface = scenario.resolve_interface(section)
        name = scenario.section_name(iface)
        if iface in self.obj.props:
            raise ValueError(f'modem {self.device_id} already has {iface}')
        self.spec[name] = values
        self.spec['interfaces'].append(name)
        if iface == LOCATION:
            self.location = scenario.location_data(values)
        props = scenario.section_properties(iface, values)
        self.obj.add_interface(iface, self._derive(iface, props), self._handlers(iface))
        return iface

    def remove_interface(self, section):
        iface = scenario.resolve_interface(section)
        if iface == MODEM or iface not in self.obj.props:
            raise ValueError(f'modem {self.device_id} has no removable interface {iface}')
        self.obj.remove_interface(iface)
        self.spec['interfaces'].remove(scenario.section_name(iface))
        return iface

    # -- methods with behaviour (every other method is a logged no-op) -------------

    def _handlers(self, iface):
        return {
            MODEM: {'ListBearers': lambda: self.bearers, 'CreateBearer': self._create_bearer,
                    'DeleteBearer': self._delete_bearer, 'Enable': self._enable,
                    'GetCellInfo': self._get_cell_info},
            SIGNAL: {'Setup': self._signal_setup, 'SetupThresholds': self._signal_thresholds},
            LOCATION: {'Setup': self._location_setup, 'GetLocation': self._get_location},
            MESSAGING: {'List': lambda: self.messages, 'Create': self._create_sms,
                        'Delete': self._delete_sms},
            SIMPLE: {'GetStatus': self._simple_status},
        }.get(iface, {})

    def set_state(self, state, reason):
        """Move the modem to `state` with StateChanged(old, new, reason); kept in
        the spec, so a Restart() brings the modem back in that state."""
        self.obj.update(MODEM, {'State': state}, reason=reason)
        self.spec.setdefault('modem', {})['state'] = int(self.obj.props[MODEM]['State'])

    def _enable(self, enable):
        """Modem.Enable(b), as mmcli -e / -d call it: through enabling or
        disabling, each step a StateChanged with reason user-requested. As in
        ModemManager, disabling disconnects the bearers and leaves the network
        (registration idle); enabling comes back to the state, registration and
        connections there were before."""
        states = ENUMS['MMModemState']
        current = int(self.obj.props[MODEM]['State'])
        gpp = self.obj.props.get(MODEM_3GPP)
        if enable:
            if current >= states['enabled']:
                return
            for state in ['enabling', 'enabled']:
                self.set_state(state, 'user-requested')
            before = self.before_disable or {}
            if gpp is not None and 'registration' in before:
                self.obj.update(MODEM_3GPP, {'RegistrationState': before['registration']})
            if before.get('state', 0) > states['enabled']:
                self.set_state(before['state'], 'user-requested')
            for path in before.get('connected', []):
                if path in self.children:
                    self.children[path].update(BEARER, {'Connected': True})
            self.before_disable = None
        else:
            if current <= states['disabled']:
                return
            self.before_disable = {
                'state': current,
                'connected': [p for p in self.bearers if self.children[p].props[BEARER]['Connected']]}
            if gpp is not None:
                self.before_disable['registration'] = int(gpp['RegistrationState'])
            for path in self.before_disable['connected']:
                self.children[path].update(BEARER, {'Connected': False})
            self.set_state('disabling', 'user-requested')
            if gpp is not None:
                self.obj.update(MODEM_3GPP, {'RegistrationState': 'idle'})
            self.set_state('disabled', 'user-requested')

    def _get_cell_info(self):
        """The scenario's "cells": a list of GetCellInfo dictionaries (keys as
        ModemManager documents them, "cell-type" and "serving-cell-type" by
        nick), or "unsupported" for a modem whose plugin cannot tell, as the
        generic AT plugin answers. None given: no cells. Like ModemManager,
        only an enabled modem is asked."""
        cells = self.spec.get('cells', [])
        if cells == 'unsupported':
            raise dbus.exceptions.DBusException('Cell info not supported', name=UNSUPPORTED)
        if int(self.obj.props[MODEM]['State']) < ENUMS['MMModemState']['enabled']:
            raise dbus.exceptions.DBusException('Modem not enabled', name=WRONG_STATE)
        out = []
        for cell in cells:
            cell = dict(cell)
            if isinstance(cell.get('serving-cell-type'), str):
                cell['serving-cell-type'] = SERVING_CELL_TYPES[cell['serving-cell-type']]
            out.append(to_dbus(cell, 'a{sv}', CELL_INFO))
        return dbus.Array(out, signature='a{sv}')

    def _signal_setup(self, rate):
        changes = {'Rate': rate}
        if self.hidden_signal is not None:
            if rate:
                changes.update(self.hidden_signal)
                self.hidden_signal.clear()
            else:
                props = self.obj.props[SIGNAL]
                self.hidden_signal.update({t: props[t] for t in SIGNAL_TECHNOLOGIES if props[t]})
                changes.update({t: {} for t in SIGNAL_TECHNOLOGIES})
        self.obj.update(SIGNAL, changes)

    def _signal_thresholds(self, settings):
        keys = {'rssi-threshold': 'RssiThreshold', 'error-rate-threshold': 'ErrorRateThreshold'}
        self.obj.update(SIGNAL, {keys[k]: v for k, v in settings.items() if k in keys})

    def _location_setup(self, sources, signal_location):
        self.obj.update(LOCATION, {'Enabled': sources, 'SignalsLocation': signal_location,
                                   'Location': self._location(sources, signal_location)})

    def _get_location(self):
        return self._location(self.obj.props[LOCATION]['Enabled'], signals_location=True)

    def _create_bearer(self, properties):
        path = self._new_child('Bearer', BEARER, {'Properties': properties, **scenario.DEFAULTS[BEARER]})
        self.bearers.append(path)
        self.obj.update(MODEM, {'Bearers': self.bearers})
        return path

    def _delete_bearer(self, path):
        self._forget(path, self.bearers)
        self.obj.update(MODEM, {'Bearers': self.bearers})

    def _create_sms(self, properties):
        props = {'State': 'unknown', 'PduType': 'submit', 'Storage': 'unknown'}
        for key, value in properties.items():
            name = scenario.resolve_property(SMS, key.replace('-', '_'))
            props[name] = ['relative', value] if name == 'Validity' else value
        path = self._new_child('SMS', SMS, props)
        self.messages.append(path)
        self.obj.EmitSignal(MESSAGING, 'Added', 'ob', [dbus.ObjectPath(path), False])
        self.obj.update(MESSAGING, {'Messages': self.messages})
        return path

    def _delete_sms(self, path):
        self._forget(path, self.messages)
        self.obj.EmitSignal(MESSAGING, 'Deleted', 'o', [dbus.ObjectPath(path)])
        self.obj.update(MESSAGING, {'Messages': self.messages})

    def _forget(self, path, paths):
        if path not in paths:
            raise dbus.exceptions.DBusException(f'No object at {path}', name=NOT_FOUND)
        paths.remove(path)
        self.children.pop(path).remove()

    def _simple_status(self):
        modem = self.obj.props[MODEM]
        # ModemManager puts the (signed) state in a "u" here: failed (-1) is 0xffffffff
        status = {'state': dbus.UInt32(int(modem['State']) & 0xffffffff),
                  'signal-quality': modem['SignalQuality'], 'current-bands': modem['CurrentBands'],
                  'access-technologies': modem['AccessTechnologies']}
        if MODEM_3GPP in self.obj.props:
            gpp = self.obj.props[MODEM_3GPP]
            status.update({'m3gpp-registration-state': gpp['RegistrationState'],
                           'm3gpp-operator-code': gpp['OperatorCode'],
                           'm3gpp-operator-name': gpp['OperatorName']})
        return dbus.Dictionary(status, signature='sv')

