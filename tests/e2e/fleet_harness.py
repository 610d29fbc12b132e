"""The fleet of docs/FLEET.md on loopback, shared by tests/e2e/test_fleet.py
and bench/fleet_measure.py: a Prometheus receiver running
examples/fleet/central/ and simulated gateways (each its own private bus,
mmsim, mm-exporter and a Prometheus agent running examples/fleet/gateway/),
the agents pushing through byte-counting TCP proxies. The shipped files are
used as they are, only filled in (gateway ids, addresses, paths, a test
certificate chain) and sped up by text replacement: every interval is
divided by SCALE (scrape every second, batches every 2 s: still two scrapes
per request, as shipped)."""

import base64
import json
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import harness
from exporter import Exporter, parse_exposition, wait_for

ROOT = Path(__file__).resolve().parents[2]
FLEET_DIR = ROOT / "examples" / "fleet"
GATEWAY_DIR = FLEET_DIR / "gateway"
CENTRAL_DIR = FLEET_DIR / "central"
PROM_DIR = ROOT / "examples" / "prometheus"

PROMETHEUS = shutil.which("prometheus")
OPENSSL = shutil.which("openssl")

# Shipped rhythm / test rhythm: 30 s scrapes become 1 s ones.
SCALE = 30
SCRAPE_INTERVAL = 30.0
SCRAPES_PER_DAY = 86400 / SCRAPE_INTERVAL

# Modems of tests/mmsim/scenarios/two-modems.json.
LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
UMTS = "a27b99d8ea607432fe05f0075f707fca17a825c8"
# gw-0001 serves the LTE modem alone; gw-0002 the same two modems as the demo,
# its LTE modem with another RSRP. ModemManager's DeviceIdentifier is "not
# guaranteed to be unique and may be shared between identical devices with the
# same firmware": both gateways have a modem with device_id LTE.
GATEWAYS = {"gw-0001": {"rsrp": -96.0, "modems": {LTE}},
            "gw-0002": {"rsrp": -101.0, "modems": {LTE, UMTS}}}

PASSWORD = "fleet-test-password"
# bcrypt of PASSWORD, cost 4 (the minimum; fast): what web.yml holds per user.
PASSWORD_HASH = "$2b$04$PpQ1CmdoZ4cuCX87VQlMoukCbERDOD9Wxu3MoKBCzweRaml.HuSk."


def render(path, replacements, edits=()):
    """The text of a shipped file, changed by each of `edits` (functions of
    the text), then with each (old, new) replaced; every `old` must be there,
    so that a changed file fails here, not silently."""
    text = Path(path).read_text()
    for edit in edits:
        text = edit(text)
    for old, new in replacements:
        assert old in text, f"{Path(path).name} no longer has {old!r}"
        text = text.replace(old, new)
    return text


def default_args(path):
    """The ARGS of a shipped /etc/default/prometheus, as a list."""
    m = re.search(r'^ARGS="(.*)"$', Path(path).read_text(), re.M)
    assert m, f"{path} has no ARGS line"
    return shlex.split(m.group(1))


def override_flags(args, values):
    """args with each --flag=value of `values` ({flag: value}) replaced; every
    flag must be there already."""
    out = list(args)
    for flag, value in values.items():
        hits = [i for i, a in enumerate(out) if a.split("=", 1)[0] == flag]
        assert hits, f"{flag} is not among {args}"
        out[hits[0]] = f"{flag}={value}"
    return out


def scaled(duration, scale):
    """A Prometheus duration divided by scale, in milliseconds."""
    m = re.fullmatch(r"(\d+)(ms|s|m|h)", duration)
    ms = int(m.group(1)) * {"ms": 1, "s": 1000, "m": 60000, "h": 3600000}[m.group(2)]
    return f"{max(1, round(ms / scale))}ms"


def make_certificates(directory, ips):
    """A root CA, an intermediate and an RSA-2048 server certificate for `ips`,
    as a public CA would issue (chain of two in central.crt). Returns
    (ca file, cert file, key file)."""
    d = Path(directory)

    def run(*args):
        subprocess.run([OPENSSL, *map(str, args)], check=True, capture_output=True, cwd=d)

    (d / "ca.ext").write_text("basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n")
    (d / "leaf.ext").write_text("basicConstraints=critical,CA:FALSE\n"
                                "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
                                "subjectAltName=" + ",".join(f"IP:{ip}" for ip in ips) + "\n")
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=mm-exporter fleet test root")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "int.key", "-out", "int.csr",
        "-subj", "/CN=mm-exporter fleet test intermediate")
    run("x509", "-req", "-in", "int.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-set_serial", "2",
        "-days", "2", "-extfile", "ca.ext", "-out", "int.crt")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "central.key", "-out", "central.csr",
        "-subj", "/CN=central.example")
    run("x509", "-req", "-in", "central.csr", "-CA", "int.crt", "-CAkey", "int.key", "-set_serial", "3",
        "-days", "2", "-extfile", "leaf.ext", "-out", "leaf.crt")
    (d / "central.crt").write_text((d / "leaf.crt").read_text() + (d / "int.crt").read_text())
    return d / "ca.crt", d / "central.crt", d / "central.key"


class CountingProxy:
    """A TCP proxy from a free loopback port to upstream, counting the bytes
    each way (TCP payload: TLS records, HTTP and all). With idle_close, it
    closes a connection idle that long, as a carrier NAT drops idle mappings:
    the agent's next request then opens a new connection and TLS session."""

    def __init__(self, upstream, idle_close=None):
        self.upstream = upstream
        self.idle_close = idle_close
        self.lock = threading.Lock()
        self.up = self.down = self.connections = self.refused = 0
        self.last_activity = time.monotonic()
        self.sockets = set()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def counters(self):
        with self.lock:
            return self.up, self.down, self.connections

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                with self.lock:
                    self.refused += 1
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.connections += 1
                self.sockets |= {client, server}
            pair = {"active": time.monotonic()}
            threading.Thread(target=self._pipe, args=(client, server, "up", pair), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, "down", pair), daemon=True).start()
            if self.idle_close:
                threading.Thread(target=self._reaper, args=(client, server, pair), daemon=True).start()

    def _pipe(self, src, dst, direction, pair):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
                now = time.monotonic()
                pair["active"] = now
                with self.lock:
                    setattr(self, direction, getattr(self, direction) + len(data))
                    self.last_activity = now
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _reaper(self, client, server, pair):
        while not self.closed:
            time.sleep(0.05)
            if time.monotonic() - pair["active"] > self.idle_close:
                for s in (client, server):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return

    def quiet_counters(self, quiet=0.4, timeout=10):
        """Counters read while no byte has flowed for `quiet` seconds (between
        two requests), so that they hold whole requests and answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.monotonic() - self.last_activity
                if idle >= quiet:
                    return self.up, self.down, self.connections
            time.sleep(0.02)
        raise AssertionError("the link never went quiet")

    def stop(self):
        self.closed = True
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                try:
                    s.close()
                except OSError:
                    pass


class PromProcess:
    """One Prometheus (server or agent) with its log in `workdir`."""

    def __init__(self, name, argv, port, workdir, host="127.0.0.1", tls_ca=None, user=None, netns=None):
        self.name, self.argv, self.port, self.workdir = name, argv, port, Path(workdir)
        self.host, self.netns = host, netns
        self.context = ssl.create_default_context(cafile=str(tls_ca)) if tls_ca else None
        self.auth = "Basic " + base64.b64encode(f"{user}:{PASSWORD}".encode()).decode() if user else None
        self.base = f"{'https' if tls_ca else 'http'}://{host}:{port}"
        self.proc = self.log = None
        self.start()

    def start(self):
        self.log = open(self.workdir / f"{self.name}.log", "ab")
        prefix = ["ip", "netns", "exec", self.netns] if self.netns else []
        self.proc = harness.spawn([*prefix, PROMETHEUS, *self.argv], stdout=subprocess.DEVNULL, stderr=self.log)

    def stop(self):
        if self.proc:
            harness.stop(self.proc, timeout=15)
            self.proc = None
        if self.log:
            self.log.close()
            self.log = None

    def log_text(self):
        return (self.workdir / f"{self.name}.log").read_text(errors="replace")

    def open(self, path, **params):
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        request = urllib.request.Request(url, headers={"Authorization": self.auth} if self.auth else {})
        return urllib.request.urlopen(request, timeout=5, context=self.context)

    def get(self, path, **params):
        try:
            with self.open(path, **params) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:  # 400 carries the parse error
            return json.load(e)

    def query(self, expr, at=None):
        params = {"query": expr} if at is None else {"query": expr, "time": f"{at:.3f}"}
        answer = self.get("/api/v1/query", **params)
        assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
        return answer["data"]["result"]

    def metrics(self):
        """{(name, frozenset(labels)): value} of its own /metrics."""
        with self.open("/metrics") as response:
            text = response.read().decode()
        return {(n, frozenset(l.items())): v for n, l, v in parse_exposition(text)}

    def metric(self, name, **labels):
        return sum(v for (n, l), v in self.metrics().items() if n == name and set(labels.items()) <= l)

    def wait_ready(self, timeout=30):
        def ready():
            assert self.proc.poll() is None, f"{self.name} exited:\n{self.log_text()}"
            with self.open("/-/ready") as response:
                return response.status == 200
        wait_for(ready, timeout=timeout, interval=0.1, what=f"{self.name} /-/ready")


class Central(PromProcess):
    """The receiver: examples/fleet/central/ with the example rules, `for:`
    and the evaluation interval shortened, TLS and basic auth on."""

    def __init__(self, workdir, certs, users, host="127.0.0.1", netns=None, scale=SCALE, tls=True):
        ca, cert, key = certs
        d = Path(workdir) / "central"
        d.mkdir()
        (d / "prometheus.yml").write_text(render(CENTRAL_DIR / "prometheus.yml", [
            ("evaluation_interval: 30s", f"evaluation_interval: {scaled('30s', scale)}")]))
        for source in (PROM_DIR / "alerts.yml", CENTRAL_DIR / "fleet-alerts.yml"):
            text, n = re.subn(r"(?m)^(\s+for:) \S+$", r"\1 1s", source.read_text())
            (d / source.name).write_text(text)
        shutil.copy(PROM_DIR / "recording.yml", d / "recording.yml")
        lines = "\n".join(f"  {user}: {PASSWORD_HASH}" for user in users)
        web = render(CENTRAL_DIR / "web.yml", [
            ("/etc/prometheus/central.crt", str(cert)), ("/etc/prometheus/central.key", str(key)),
            ("  GATEWAY_ID: GATEWAY_BCRYPT_HASH\n", ""), ("  grafana: GRAFANA_BCRYPT_HASH", lines)])
        if not tls:
            web, n = re.subn(r"(?ms)^tls_server_config:\n.*?(?=^\S)", "", web)
            assert n == 1
        (d / "web.yml").write_text(web)
        port = harness.free_port()
        args = override_flags(default_args(CENTRAL_DIR / "prometheus.default"), {
            "--config.file": d / "prometheus.yml", "--storage.tsdb.path": d / "data",
            "--web.config.file": d / "web.yml", "--web.listen-address": f"{host}:{port}"})
        super().__init__("central", [*args, "--log.level=warn"], port, d, host=host, tls_ca=ca if tls else None,
                         user="grafana", netns=netns)


class Gateway:
    """One simulated gateway: a private bus, mmsim, mm-exporter and a
    Prometheus agent running examples/fleet/gateway/, pushing to `central_host`
    (through a CountingProxy unless direct)."""

    def __init__(self, name, scenario, central_host, ca_file, workdir, scale=SCALE, edits=(), scheme="https",
                 agent_flags=()):
        self.name = name
        self.dir = Path(workdir) / name
        self.dir.mkdir()
        self.bus = harness.PrivateBus()
        self.sim = self.exporter = self.agent = None
        try:
            self.sim = harness.start_mmsim(self.bus, scenario)
            self.exporter = Exporter(self.bus.address)
            self.exporter.wait_healthy()
            (self.dir / "password").write_text(PASSWORD + "\n")
            port = harness.free_port()
            replacements = [
                ("GATEWAY_ID", name), ("CENTRAL_HOST", central_host),
                ("/etc/prometheus/remote-write.password", str(self.dir / "password")),
                ("/etc/prometheus/central-ca.crt", str(ca_file)),
                ('"127.0.0.1:9539"', f'"127.0.0.1:{self.exporter.port}"'),
            ]
            if not edits:
                replacements.append(('"127.0.0.1:9090"', f'"127.0.0.1:{port}"'))
            if scheme == "http":
                replacements.append(("url: https://", "url: http://"))
            if ca_file is None:
                edits = [*edits, lambda c: re.sub(r"(?ms)^    tls_config:\n.*?^      ca_file: \S+\n", "", c)]
                replacements.remove(("/etc/prometheus/central-ca.crt", str(ca_file)))
            config = render(GATEWAY_DIR / "agent.yml", replacements, edits).replace(
                '"127.0.0.1:9090"', f'"127.0.0.1:{port}"')
            if scale != 1:
                for key, value in (("scrape_interval", "30s"), ("scrape_timeout", "10s"), ("min_backoff", "1s"),
                                   ("max_backoff", "2m"), ("batch_send_deadline", "60s"),
                                   ("batch_send_deadline", "5s"), ("send_interval", "1m")):
                    config = config.replace(f"{key}: {value}\n", f"{key}: {scaled(value, scale)}\n")
                assert "scrape_interval: 30s" not in config
            (self.dir / "agent.yml").write_text(config)
            args = override_flags(default_args(GATEWAY_DIR / "prometheus.default"), {
                "--config.file": self.dir / "agent.yml", "--storage.agent.path": self.dir / "data-agent",
                "--web.listen-address": f"127.0.0.1:{port}"})
            self.agent = PromProcess(f"agent-{name}", [*args, *agent_flags], port, self.dir)
            self.agent.wait_ready()
        except Exception:
            self.stop()
            raise

    def stop(self):
        for part in (self.agent, self.exporter, self.sim):
            if part:
                part.stop()
        self.bus.stop()


def scenarios(directory):
    """{gateway: scenario file}: see GATEWAYS."""
    demo = json.loads((harness.SCENARIOS / "two-modems.json").read_text())
    out = {}
    for name, spec in GATEWAYS.items():
        scenario = json.loads(json.dumps(demo))
        scenario["modems"] = [m for m in scenario["modems"] if m["device_id"] in spec["modems"]]
        for modem in scenario["modems"]:
            if "signal" in modem:
                modem["signal"]["lte"]["rsrp"] = spec["rsrp"]
        out[name] = Path(directory) / f"{name}.json"
        out[name].write_text(json.dumps(scenario))
    return out



def measure(agent, counters, central, name, seconds, wal=None):
    """Bytes on the wire per day at the shipped rhythm: bytes between two
    quiet moments `seconds` apart, per sample the agent sent meanwhile, times
    the samples one gateway scrapes in a day at 30 s (both jobs, with the 5
    series Prometheus adds per target)."""
    samples_sent = lambda: agent.metric("prometheus_remote_storage_samples_total")  # noqa: E731
    wait_for(lambda: samples_sent() > 0, timeout=120, what="samples sent")
    wal_size = lambda: sum(p.stat().st_size for p in Path(wal).glob("0*")) if wal else 0  # noqa: E731
    first, sent0, wal0 = counters(), samples_sent(), wal_size()
    time.sleep(seconds)
    last, sent1, wal1 = counters(), samples_sent(), wal_size()
    per_scrape = sum(float(r["value"][1]) for r in central.query(
        f'scrape_samples_post_metric_relabeling{{gateway="{name}"}}')) + 5 * len(
        central.query(f'up{{gateway="{name}"}}'))
    size = [b - a for a, b in zip(first, last)]
    per_sample = sum(size[:2]) / (sent1 - sent0)
    return {"up": size[0], "down": size[1], "connections": size[2], "samples": sent1 - sent0,
            "wal_bytes_per_day": (wal1 - wal0) / (sent1 - sent0) * per_scrape * SCRAPES_PER_DAY,
            "bytes_per_sample": per_sample, "samples_per_scrape": per_scrape,
            "bytes_per_scrape": per_sample * per_scrape, "bytes_per_day": per_sample * per_scrape * SCRAPES_PER_DAY}


def raw_samples(central, expr, start, end):
    """Timestamps of the raw samples of each series of `expr` in [start, end]."""
    window = max(1, int(end - start + 0.999))
    out = {}
    for r in central.query(f"{expr}[{window}s]", at=end):
        key = (r["metric"].get("gateway"), r["metric"].get("device_id"))
        out[key] = [float(t) for t, _ in r["values"] if float(t) >= start]
    return out
