"""Scenario values (JSON, or whatever dbus-python decoded) -> dbus-python values of
one exact D-Bus signature, and back to plain Python for logs.

libmm-glib checks every property against the type in its interface description
and drops what does not match, so nothing leaves the simulator with a guessed
type: every value is converted against the signature from mmapi.py. A hint says
how to read friendly forms: an enum type name lets "connected" or ["lte",
"umts"] stand for the number or the OR of flags, and V(...) gives the type that
a variant holds where the signature alone says only "v".
"""

import dbus

from mmenums import ENUMS

_INTS = {'y': dbus.Byte, 'n': dbus.Int16, 'q': dbus.UInt16, 'i': dbus.Int32,
         'u': dbus.UInt32, 'x': dbus.Int64, 't': dbus.UInt64}
_DBUS_SCALARS = {dbus.Byte: 'y', dbus.Int16: 'n', dbus.UInt16: 'q', dbus.Int32: 'i',
                 dbus.UInt32: 'u', dbus.Int64: 'x', dbus.UInt64: 't', dbus.Double: 'd',
                 dbus.Boolean: 'b', dbus.String: 's', dbus.ObjectPath: 'o'}


class V:
    """Hint for a variant position: it holds a `sig`, read with `hint`."""

    def __init__(self, sig, hint=None):
        self.sig, self.hint = sig, hint

    def __repr__(self):
        return f'V({self.sig!r}, {self.hint!r})'


def enum_value(enum, nick):
    try:
        return ENUMS[enum][nick]
    except KeyError:
        raise ValueError(f'{nick!r} is not a {enum} nick (one of {", ".join(ENUMS[enum])})') from None


def to_dbus(value, sig, hint=None, level=0):
    """Convert `value` to a dbus-python value of exactly the complete type `sig`;
    level=1 marks it as the content of a variant, which is how dbus-python knows
    that a struct member is a "v" (it guesses the rest from the value's class)."""
    head = sig[0]
    if head == 'a':
        return _array(value, sig[1:], hint, level)
    if head == '(':
        fields = list(dbus.Signature(sig[1:-1]))
        hints = hint if hint is not None else (None,) * len(fields)
        if isinstance(value, (dict, str)) or len(value) != len(fields):
            raise ValueError(f'{value!r} does not fit struct {sig}')
        return dbus.Struct([to_dbus(v, f, h) for v, f, h in zip(value, fields, hints)],
                           signature=sig[1:-1], variant_level=level)
    if head == 'v':
        return _variant(value, hint)
    return _scalar(value, head, hint, level)


def _array(value, inner, hint, level):
    if inner.startswith('{'):
        key_sig, val_sig = inner[1], inner[2:-1]
        if not isinstance(value, dict):
            raise ValueError(f'{value!r} is not a dictionary for a{inner}')
        if val_sig == 'v' and isinstance(hint, dict):
            # a{sv} with documented keys: each key has its own type
            items = {k: to_dbus(v, 'v', hint.get(k)) for k, v in value.items()}
            return dbus.Dictionary({to_dbus(k, key_sig): v for k, v in items.items()},
                                   signature=key_sig + val_sig, variant_level=level)
        key_hint, val_hint = hint if hint is not None else (None, None)
        return dbus.Dictionary({to_dbus(k, key_sig, key_hint): to_dbus(v, val_sig, val_hint)
                                for k, v in value.items()}, signature=key_sig + val_sig, variant_level=level)
    if inner == 'y' and isinstance(value, str):
        value = bytes.fromhex(value)  # scenarios write byte arrays as hex
    if isinstance(value, (str, dict)):
        raise ValueError(f'{value!r} is not a list for a{inner}')
    return dbus.Array([to_dbus(v, inner, hint) for v in value], signature=inner, variant_level=level)


def _variant(value, hint):
    if isinstance(hint, V):
        return to_dbus(value, hint.sig, hint.hint, level=1)
    if isinstance(value, dict) and '$type' in value:
        return to_dbus(value['$value'], value['$type'], level=1)
    sig = _typed_signature(value)
    if sig:  # already typed (e.g. decoded from a caller's message): keep its type
        return to_dbus(value, sig, level=1)
    if isinstance(value, bool):
        return dbus.Boolean(value, variant_level=1)
    if isinstance(value, float):
        return dbus.Double(value, variant_level=1)
    if isinstance(value, str):
        return dbus.String(value, variant_level=1)
    if isinstance(value, dict):
        return dbus.Dictionary({str(k): _variant(v, None) for k, v in value.items()},
                               signature='sv', variant_level=1)
    raise ValueError(f'cannot tell the D-Bus type of {value!r} in a variant; '
                     'write it as {"$type": "u", "$value": ...}')


def _typed_signature(value):
    """The D-Bus type of a dbus-python value, or None for plain Python ones."""
    if type(value) in _DBUS_SCALARS:
        return _DBUS_SCALARS[type(value)]
    if isinstance(value, dbus.Dictionary) and value.signature:
        return f'a{{{value.signature}}}'
    if isinstance(value, dbus.Array) and value.signature:
        return 'a' + value.signature
    if isinstance(value, dbus.Struct):  # decoded structs carry no signature
        members = ['v' if getattr(v, 'variant_level', 0) else _typed_signature(v) for v in value]
        if None not in members:
            return '(' + ''.join(members) + ')'
    return None


def _scalar(value, code, hint, level):
    if code in _INTS:
        if isinstance(value, str):
            if hint is None:
                raise ValueError(f'{value!r} given where a number is expected')
            value = enum_value(hint, value)
        elif isinstance(value, (list, tuple)):  # flags: OR of the nicks
            bits = 0
            for nick in value:
                bits |= enum_value(hint, nick) if isinstance(nick, str) else int(nick)
            value = bits
        return _INTS[code](int(value), variant_level=level)
    if code == 'd':
        return dbus.Double(float(value), variant_level=level)
    if code == 'b':
        return dbus.Boolean(bool(value), variant_level=level)
    if code == 's':
        if not isinstance(value, str):
            raise ValueError(f'{value!r} is not a string')
        return dbus.String(value, variant_level=level)
    if code == 'o':
        return dbus.ObjectPath(value or '/', variant_level=level)
    raise ValueError(f'unsupported D-Bus type {code!r}')


def zero(sig):
    """The value GDBus sends for an unset property of type `sig` (its default)."""
    head = sig[0]
    if head == 'a':
        return to_dbus({} if sig[1] == '{' else [], sig)
    if head == '(':
        return dbus.Struct([zero(f) for f in dbus.Signature(sig[1:-1])], signature=sig[1:-1])
    if head == 'v':
        return dbus.Boolean(False, variant_level=1)
    return to_dbus({'d': 0.0, 'b': False, 's': '', 'o': '/'}.get(head, 0), sig)


def to_plain(value):
    """dbus-python value -> JSON-able Python value (for the call log)."""
    if isinstance(value, dbus.Boolean):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return {str(to_plain(k)): to_plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, bytes)):
        return [to_plain(v) for v in value]
    return repr(value)
