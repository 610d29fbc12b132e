"""Reusable pieces for end-to-end tests: a private system bus, the simulated
ModemManager on it, mmcli against it, and free TCP ports. Every process started
here is stopped by its owner's stop() (the fixtures in conftest.py call it even
when a test fails) and, should pytest itself die, by the kernel: children get
SIGTERM when their parent exits (PR_SET_PDEATHSIG)."""

import ctypes
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent.parent
MMSIM = TESTS_DIR / 'mmsim' / 'mmsim.py'
SCENARIOS = TESTS_DIR / 'mmsim' / 'scenarios'
# The interpreter running the tests: Debian's, as it alone sees python3-dbus, -gi and -dbusmock.
PYTHON = sys.executable

sys.path.insert(0, str(TESTS_DIR))
from mmsim.client import MMSim  # noqa: E402

_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
"""


def _die_with_parent():
    ctypes.CDLL('libc.so.6', use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(argv, **kwargs):
    """Popen that cannot outlive the test run."""
    return subprocess.Popen(argv, preexec_fn=_die_with_parent, **kwargs)


def stop(proc, timeout=3.0):
    """SIGTERM, then SIGKILL if it lingers; always reaps."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_line(proc, timeout, what):
    """First stdout line of `proc`, or an error showing why it never came."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    line = b''
    while not line.endswith(b'\n'):
        left = deadline - time.monotonic()
        if left <= 0 or not sel.select(left):
            raise TimeoutError(f'{what}: no output within {timeout} s')
        chunk = os.read(proc.stdout.fileno(), 1)
        if not chunk:
            raise RuntimeError(f'{what} exited with status {proc.wait()}')
        line += chunk
    return line.decode().strip()


class PrivateBus:
    """A dbus-daemon with a system-bus configuration that allows everything,
    listening on a socket in its own temporary directory. Point clients at it
    with env() (DBUS_SYSTEM_BUS_ADDRESS)."""

    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix='mm-e2e-')
        self.path = Path(self.dir.name)
        self.config = self.path / 'bus.conf'
        socket_path = self.path / 'system_bus_socket'
        self.config.write_text(_BUS_CONFIG.format(socket=socket_path))
        # The address without the daemon's guid, as /run/dbus/system_bus_socket
        # is known on a real system: clients can then reach a restarted bus.
        self.address = f'unix:path={socket_path}'
        self.proc = None
        self.start()

    def start(self):
        # its stderr (e.g. "Failed to set fd limit" when not root) goes to a file
        with open(self.path / 'dbus-daemon.log', 'ab') as log:
            self.proc = spawn(['dbus-daemon', f'--config-file={self.config}', '--print-address=1',
                               '--nofork'], stdout=subprocess.PIPE, stderr=log)
        try:
            _read_line(self.proc, 5.0, 'dbus-daemon')
        except Exception:
            self.stop()
            raise

    def kill(self):
        """The bus goes away (its socket stays, refusing connections)."""
        stop(self.proc)
        self.proc.stdout.close()

    def restart(self):
        self.kill()
        self.start()

    def env(self, base=None):
        """An environment (default: this process's) whose system bus is this one."""
        env = dict(os.environ if base is None else base)
        env['DBUS_SYSTEM_BUS_ADDRESS'] = self.address
        return env

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.kill()
        self.dir.cleanup()


class MMSimProcess:
    """A running tests/mmsim/mmsim.py; .client drives it (see mmsim/client.py)."""

    def __init__(self, bus, scenario, index_base=0, timeout=10.0):
        self.bus = bus
        scenario = Path(scenario)
        if not scenario.is_absolute() and not scenario.exists():
            scenario = SCENARIOS / scenario
        fd, self.log = tempfile.mkstemp(prefix='mmsim-', suffix='.log', dir=bus.path)
        os.close(fd)
        # stderr goes to a file, not a pipe nobody reads: a chatty mmsim must never block
        self.stderr = open(bus.path / f'mmsim-{os.getpid()}-{time.monotonic_ns()}.stderr', 'w+b')
        self.proc = spawn([PYTHON, str(MMSIM), '--scenario', str(scenario),
                           '--index-base', str(index_base), '--log', self.log],
                          stdout=subprocess.PIPE, stderr=self.stderr, env=bus.env())
        try:
            line = _read_line(self.proc, timeout, 'mmsim')
            if line != 'READY':
                raise RuntimeError(f'mmsim said {line!r} instead of READY')
        except Exception as e:
            stop(self.proc)
            why = f'{e}\n--- mmsim stderr ---\n{self.stderr_text()}'
            self.stop()
            raise RuntimeError(why) from None
        self.client = MMSim(bus.address)

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().decode(errors='replace')

    def stop(self):
        if getattr(self, 'client', None):
            self.client.close()
            self.client = None
        stop(self.proc)
        self.proc.stdout.close()
        self.stderr.close()


def start_mmsim(bus, scenario='two-modems.json', index_base=0, timeout=10.0):
    """Start the simulated ModemManager on `bus` and wait for READY. `scenario`
    is a path, or a file name in tests/mmsim/scenarios/. Call .stop() when done."""
    return MMSimProcess(bus, scenario, index_base, timeout)


def mmcli(bus, *args, check=True, timeout=10.0):
    """Run mmcli against `bus`; with -J/--output-json among args, return the parsed JSON."""
    result = subprocess.run(['mmcli', *args], env=bus.env(), capture_output=True, text=True,
                            timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f'mmcli {" ".join(args)} failed ({result.returncode}): {result.stderr}')
    if '-J' in args or '--output-json' in args:
        return json.loads(result.stdout)
    return result.stdout if check else result


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout=5.0, interval=0.02, what='condition'):
    """Poll `predicate` until it returns a truthy value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f'{what} not met within {timeout} s')
        time.sleep(interval)


def record_figures(name, key, figures):
    """Keeps a test's figures for the documents when scripts/measure.sh runs
    it (MMX_RESULTS_DIR set); a plain test run records nothing."""
    if not os.environ.get("MMX_RESULTS_DIR"):
        return
    sys.path.insert(0, str(TESTS_DIR.parent / "bench"))
    import result_files
    result_files.record(name, key, figures)
