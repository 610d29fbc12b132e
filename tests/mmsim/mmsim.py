#!/usr/bin/python3
"""Run the simulated ModemManager on the bus named by DBUS_SYSTEM_BUS_ADDRESS.

    /usr/bin/python3 tests/mmsim/mmsim.py --scenario tests/mmsim/scenarios/two-modems.json [--index-base N]

Prints READY on stdout once org.freedesktop.ModemManager1 is owned, and exits on
SIGTERM/SIGINT or when the bus goes away. It runs the dbusmock template in
modemmanager.py itself, rather than through `python3 -m dbusmock`, to export the
modems before taking the name (a client that sees the name sees them too), to
say READY, and to own its bus connection so Restart() can drop it and come back
with a new unique name, as a restarted daemon does.
"""

import argparse
import os
import signal
import sys

import dbus
import dbus.mainloop.glib
import dbus.service
from dbusmock.mockobject import DBusMockObject, objects as MOCK_OBJECTS
from gi.repository import GLib

import modemmanager


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--scenario', help='scenario JSON file (default: no modems)')
    parser.add_argument('--index-base', type=int, default=0,
                        help='first index of Modem/SIM/Bearer/SMS objects, as after N earlier modems')
    parser.add_argument('--log', default=os.devnull, help='dbusmock call/signal log file')
    return parser.parse_args()


class Service:
    """The bus connection and name, which Restart() drops and re-takes."""

    def __init__(self, loop):
        self.loop = loop
        self.conn = self.name = None

    def connect(self):
        address = os.environ.get('DBUS_SYSTEM_BUS_ADDRESS') or dbus.bus.BUS_SYSTEM
        conn = dbus.bus.BusConnection(address)
        conn.add_signal_receiver(lambda: self._disconnected(conn), signal_name='Disconnected',
                                 dbus_interface='org.freedesktop.DBus.Local',
                                 path='/org/freedesktop/DBus/Local')
        self.conn = conn
        return conn

    def _disconnected(self, conn):
        if conn is self.conn:  # the bus died, not a Restart() of ours
            self.loop.quit()

    def own_name(self):
        self.name = dbus.service.BusName(modemmanager.BUS_NAME, self.conn, do_not_queue=True)

    def reconnect(self, manager, down_ms, rebuild):
        old, self.conn, self.name = self.conn, None, None
        manager.remove_from_connection(old)
        old.flush()
        old.close()

        def come_back():
            manager.add_to_connection(self.connect(), modemmanager.MAIN_OBJ)
            manager.bus_name = self.conn
            rebuild(self.conn)
            self.own_name()
            return False

        GLib.timeout_add(down_ms, come_back)


def main():
    args = parse_args()
    dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
    loop = GLib.MainLoop()
    service = Service(loop)
    conn = service.connect()

    manager = DBusMockObject(conn, modemmanager.MAIN_OBJ, modemmanager.MAIN_IFACE, {}, args.log)
    MOCK_OBJECTS[modemmanager.MAIN_OBJ] = manager
    try:
        modemmanager.load(manager, {'scenario': args.scenario, 'index_base': args.index_base})
    except (OSError, ValueError) as e:
        print(f'mmsim: {args.scenario}: {e}', file=sys.stderr)
        return 2
    manager.mmsim.reconnect = lambda down_ms, rebuild: service.reconnect(manager, down_ms, rebuild)

    try:
        service.own_name()
    except dbus.exceptions.NameExistsException:
        print(f'mmsim: {modemmanager.BUS_NAME} is already owned on this bus', file=sys.stderr)
        return 1
    print('READY', flush=True)

    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signum, loop.quit)
    loop.run()
    return 0


if __name__ == '__main__':
    sys.exit(main())
