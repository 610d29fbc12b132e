"""A stand-in for polkitd on a private system bus: owns
org.freedesktop.PolicyKit1 and authorizes everything, so that the real
ModemManager lets mmcli (and the exporter) call its privileged methods
(Modem.Enable, Signal.Setup, Location.Setup, ...).

Run with Debian's python (python3-dbus, python3-gi) against the bus named by
DBUS_SYSTEM_BUS_ADDRESS; prints READY once the name is owned, logs every
check to stderr, and exits on SIGTERM or when its parent dies.
"""

import signal
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = 'org.freedesktop.PolicyKit1'
PATH = '/org/freedesktop/PolicyKit1/Authority'
IFACE = 'org.freedesktop.PolicyKit1.Authority'


class Authority(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, PATH)
        self.checks = 0

    # CheckAuthorization(in (sa{sv}) subject, in s action_id, in a{ss} details,
    #                    in u flags, in s cancellation_id, out (bba{ss}) result)
    @dbus.service.method(IFACE, in_signature='(sa{sv})sa{ss}us', out_signature='(bba{ss})')
    def CheckAuthorization(self, subject, action_id, details, flags, cancellation_id):
        self.checks += 1
        print(f'polkit: authorized {action_id}', file=sys.stderr, flush=True)
        return (True, False, dbus.Dictionary({}, signature='ss'))

    @dbus.service.method(IFACE, in_signature='s', out_signature='')
    def CancelCheckAuthorization(self, cancellation_id):
        pass

    @dbus.service.method(IFACE, in_signature='', out_signature='a(ssssssuuua{ss})')
    def EnumerateActions(self, locale=''):
        return dbus.Array([], signature='(ssssssuuua{ss})')

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='ss', out_signature='v')
    def Get(self, interface, name):
        return self.GetAll(interface)[name]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature='s', out_signature='a{sv}')
    def GetAll(self, interface):
        if interface != IFACE:
            return {}
        return {'BackendName': 'mm-exporter-tests', 'BackendVersion': '1',
                'BackendFeatures': dbus.UInt32(0)}


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SystemBus()
    loop = GLib.MainLoop()
    authority = Authority(bus)  # exported while it lives
    name = dbus.service.BusName(NAME, bus, do_not_queue=True)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print('READY', flush=True)
    loop.run()
    print(f'polkit: {authority.checks} checks answered as {name.get_name()}', file=sys.stderr)


if __name__ == '__main__':
    main()
