"""Scenario files: modems described in mmcli's words, turned into raw property
values per D-Bus interface (MMObject converts them to exact types).

A modem spec is a JSON object; see README.md for the format. Each section
("modem", "3gpp", "signal", ...) names one interface, and its keys are that
interface's property names in snake_case (or as spelled on D-Bus). Unknown
keys are errors: a typo must not silently leave a property at its default.
"""

import json
import re

import mmapi
from hints import ALIASES, BEARER, LOCATION, MESSAGING, MODEM, SECTIONS, SIGNAL, SIM, SMS
from dbusvalue import V, to_dbus

# Keys a section may hold besides its properties; modem.py reads them.
EXTRA_KEYS = {
    SIGNAL: {'hidden_until_setup'},
    LOCATION: {'3gpp-lac-ci', 'gps-raw', 'gps-nmea', 'cdma-bs'},
    MESSAGING: {'messages'},
}
# Properties a scenario may not set: the simulator derives them from the spec.
DERIVED = {
    MODEM: {'DeviceIdentifier', 'Sim', 'SimSlots', 'Bearers'},
    MESSAGING: {'Messages'},
    LOCATION: {'Location'},
}
# Where a zero value would misdescribe a modem that a scenario left unspecified.
DEFAULTS = {
    MODEM: {'UnlockRequired': 'none', 'PowerState': 'on', 'State': 'disabled'},
    BEARER: {'ProfileId': -1, 'IpTimeout': 20, 'BearerType': 'default'},
    SIM: {'Active': True, 'SimType': 'physical', 'Removability': 'removable'},
    SMS: {'State': 'received', 'PduType': 'deliver', 'Storage': 'me',
          'Validity': ['unknown', 0]},
}
_GPS_RAW = {'utc-time': V('s'), 'latitude': V('d'), 'longitude': V('d'), 'altitude': V('d')}
_CDMA_BS = {'latitude': V('d'), 'longitude': V('d')}


def snake(name):
    return re.sub(r'(?<=[a-z0-9])(?=[A-Z])', '_', name).lower()


def resolve_interface(name, modem_only=True):
    """'3gpp', 'modem' (or 'sim', 'bearer', 'sms' when not modem_only) or a
    full interface name -> the interface name."""
    name = str(name)
    iface = MODEM if name == 'modem' else SECTIONS.get(name, name)
    if modem_only:
        known = {MODEM, *SECTIONS.values()}
    else:
        iface = {'sim': SIM, 'bearer': BEARER, 'sms': SMS}.get(name, iface)
        known = {*mmapi.PROPERTIES, *mmapi.METHODS}
    if iface not in known:
        raise ValueError(f'unknown {"modem " if modem_only else ""}interface {name!r}')
    return iface


def section_name(iface):
    """The scenario section that describes a modem interface ('modem' for Modem itself)."""
    return 'modem' if iface == MODEM else next(name for name, i in SECTIONS.items() if i == iface)


def resolve_property(iface, key):
    """'signal_quality' or 'SignalQuality' -> 'SignalQuality' on `iface`."""
    props = mmapi.PROPERTIES.get(iface, {})
    if key in props:
        return key
    by_snake = {snake(p): p for p in props}
    by_snake.update(ALIASES.get(iface, {}))
    if key in by_snake:
        return by_snake[key]
    raise ValueError(f'{iface} has no property {key!r} (known: {", ".join(sorted(by_snake))})')


def section_properties(iface, section, defaults=True):
    """A scenario section -> {PropertyName: raw value}, without its extra keys."""
    props = dict(DEFAULTS.get(iface, {})) if defaults else {}
    for key, value in (section or {}).items():
        if key in EXTRA_KEYS.get(iface, ()):
            continue
        name = resolve_property(iface, key)
        if name in DERIVED.get(iface, ()):
            raise ValueError(f'{iface}.{name} is derived by the simulator, not set by a scenario')
        props[name] = value
    if iface == MODEM and isinstance(props.get('SignalQuality'), (int, float)):
        props['SignalQuality'] = [props['SignalQuality'], True]  # "recent" unless stated
    return props


def modem_interfaces(spec):
    """The interfaces a modem exports, each with the raw properties its spec gives."""
    names = spec.get('interfaces')
    if names is None:  # by default: every section present, and Simple as MM always has it
        names = [s for s in SECTIONS if s in spec] + ['simple']
    ifaces = {MODEM: section_properties(MODEM, spec.get('modem'))}
    for iface in map(resolve_interface, names):
        if iface != MODEM:
            ifaces[iface] = section_properties(iface, spec.get(section_name(iface)))
    return ifaces


def sim_properties(sim):
    return section_properties(SIM, sim)


def bearer_properties(bearer):
    return section_properties(BEARER, bearer)


def sms_properties(sms):
    return section_properties(SMS, sms)


def _hex(value):
    return value if isinstance(value, int) else int(value, 16)


def location_data(section):
    """The location section's fixes -> {source nick: typed value}, as GetLocation sends them."""
    section = section or {}
    data = {}
    cell = section.get('3gpp-lac-ci')
    if isinstance(cell, str):  # verbatim, e.g. a malformed string for a hostile test
        data['3gpp-lac-ci'] = to_dbus(cell, 's')
    elif cell:
        # As ModemManager 1.20 sends it (seen from the real daemon in
        # tests/realmm): MCC and MNC as the network gives them (an MNC of "01"
        # keeps its zero), LAC/CI/TAC in upper-case hex without leading zeros.
        data['3gpp-lac-ci'] = to_dbus('%s,%s,%X,%X,%X' % (
            cell['mcc'], cell['mnc'], _hex(cell.get('lac', 0)),
            _hex(cell['ci']), _hex(cell.get('tac', 0))), 's')
    if section.get('gps-raw'):
        data['gps-raw'] = to_dbus(section['gps-raw'], 'a{sv}', _GPS_RAW)
    if section.get('gps-nmea'):
        nmea = section['gps-nmea']
        data['gps-nmea'] = to_dbus(nmea if isinstance(nmea, str) else '\r\n'.join(nmea), 's')
    if section.get('cdma-bs'):
        data['cdma-bs'] = to_dbus(section['cdma-bs'], 'a{sv}', _CDMA_BS)
    return data


def validate(spec):
    """Fail early, with the modem named, on anything the simulator cannot serve."""
    # ModemManager's are 40 hex digits; any non-empty string is allowed so that
    # hostile-input scenarios can test label escaping with it too.
    device_id = spec.get('device_id')
    if not isinstance(device_id, str) or not device_id:
        raise ValueError(f'a modem needs a non-empty string device_id, not {device_id!r}')
    known = {'device_id', 'interfaces', 'modem', 'sim', 'sim_slots', 'bearers', 'cells'} | set(SECTIONS)
    unknown = set(spec) - known
    if unknown:
        raise ValueError(f'modem {device_id}: unknown keys {sorted(unknown)}')
    if 'sim' in spec and 'sim_slots' in spec:
        raise ValueError(f'modem {device_id}: give "sim" or "sim_slots", not both')
    return spec


def load(path):
    """A scenario file -> its list of modem specs (validated)."""
    with open(path, encoding='utf-8') as f:
        scenario = json.load(f)
    modems = [validate(m) for m in scenario.get('modems', [])]
    ids = [m['device_id'] for m in modems]
    if len(ids) != len(set(ids)):
        raise ValueError(f'{path}: device_id values must be unique')
    return modems

