"""Runs the real mm-exporter binaries for end-to-end tests and reads what
they serve."""

import os
import re
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import harness

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("MMX_BUILD_DIR", os.path.join(ROOT, "build"))
COLLECTOR = os.path.join(BUILD, "bin", "mm-exporter")
FRONTEND = os.path.join(BUILD, "bin", "mm-exporter-frontend")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(condition, timeout=10.0, interval=0.05, what="condition"):
    """Polls `condition` until it returns something truthy; returns it."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = condition()
            if last:
                return last
        except (OSError, urllib.error.URLError, ConnectionError) as e:
            last = e
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class HttpResult:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")


def http_get(url, headers=None, method="GET", timeout=5):
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpResult(response.status, response.headers, response.read())
    except urllib.error.HTTPError as e:
        return HttpResult(e.code, e.headers, e.read())


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


def parse_labels(text):
    labels = {}
    pos = 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m:
            raise ValueError(f"bad labels: {text!r}")
        value = m.group(2).replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")
        labels[m.group(1)] = value
        pos = m.end()
    return labels


def parse_exposition(text):
    """Returns [(name, {labels}, value)] of every sample in a text exposition."""
    samples = []
    for line in text.split("\n"):  # not splitlines(): U+2028 etc. are legal in labels
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise ValueError(f"bad sample line: {line!r}")
        samples.append((m.group(1), parse_labels(m.group(3) or ""), float(m.group(4))))
    return samples


class Metrics:
    """One scrape, with lookups by name and labels."""

    def __init__(self, text):
        self.text = text
        self.samples = parse_exposition(text)

    def find(self, name, **labels):
        return [(l, v) for n, l, v in self.samples
                if n == name and all(l.get(k) == str(val) for k, val in labels.items())]

    def value(self, name, **labels):
        found = self.find(name, **labels)
        if len(found) != 1:
            raise AssertionError(f"{name}{labels}: expected one series, found {len(found)}")
        return found[0][1]

    def has(self, name, **labels):
        return bool(self.find(name, **labels))

    def names(self):
        return {n for n, _, _ in self.samples}


class Exporter:
    """mm-exporter in one-command mode on a free loopback port."""

    def __init__(self, bus_address, extra_args=(), port=None):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=bus_address)
        # A file, not a pipe: nobody drains a pipe while a test runs, and a
        # full pipe would block the exporter's log writes.
        self.log = tempfile.NamedTemporaryFile(prefix="mm-exporter-", suffix=".log")
        self.process = harness.spawn(
            [COLLECTOR, f"--web.listen-address=127.0.0.1:{self.port}", *extra_args],
            env=env, stdout=subprocess.DEVNULL, stderr=self.log)

    def url(self, path):
        return self.base + path

    def get(self, path, **kwargs):
        return http_get(self.url(path), **kwargs)

    def scrape(self, path="/metrics"):
        result = self.get(path)
        assert result.status == 200, f"{path}: HTTP {result.status}: {result.body[:200]!r}"
        return Metrics(result.text)

    def wait_healthy(self, timeout=10):
        wait_for(lambda: self.get("/health").status == 200, timeout, what="/health 200")

    def wait_metrics(self, predicate, timeout=10, what="metrics"):
        """Scrapes until predicate(Metrics) holds; returns that scrape."""
        def check():
            m = self.scrape()
            return m if predicate(m) else None
        return wait_for(check, timeout, what=what)

    def frontend_pid(self):
        out = subprocess.run(["pgrep", "-P", str(self.process.pid), "-f", "mm-exporter-frontend"],
                             capture_output=True, text=True).stdout.split()
        return int(out[0]) if out else None

    def stop(self, timeout=5):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode, self.log_text()

    def log_text(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()


def promtool_problems(text):
    """What `promtool check metrics` says about an exposition, less the one
    expected lint: the seed's modemmanager_messaging_sms_count keeps its name
    for its users' queries, and promtool reserves "_count" for summaries and
    histograms."""
    result = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                            capture_output=True)
    problems = [l for l in (result.stdout + result.stderr).splitlines() if l.strip()]
    return [p for p in problems if not p.startswith("modemmanager_messaging_sms_count non-histogram")]
