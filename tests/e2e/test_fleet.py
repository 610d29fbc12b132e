"""Fleets behind carrier NAT: examples/fleet/ and docs/FLEET.md.

Static checks run promtool on the shipped files. The live checks start, on
loopback, two simulated gateways (each its own private bus, mmsim and
mm-exporter, and a Prometheus 2.42 in agent mode running
examples/fleet/gateway/agent.yml with the flags of its prometheus.default)
that push over TLS with basic auth, each through a byte-counting TCP proxy,
to a Prometheus receiver running examples/fleet/central/ (prometheus.yml,
web.yml, the flags of its prometheus.default) with the example alerts and
recording rules. The shipped files are used as they are, only filled in
(gateway ids, addresses, paths, a test certificate chain) and sped up by
text replacement: every interval is divided by SCALE (scrape every second,
batches every 2 s: still two scrapes per request, as shipped). Every process
is stopped at the end. The live tests share one fleet and run in file order:
the outage test stops the receiver for a while.

MMX_FLEET_MEASURE=SECONDS runs test_measure_bandwidth: one gateway with one
modem, each variant of docs/FLEET.md's table for SECONDS seconds, printing
bytes on the wire per scrape and per day (run as root, it also counts IP
bytes through a veth pair with a 1500-byte MTU). MMX_FLEET_MEASURE_SCALE=1
measures at the shipped 30 s rhythm instead of scaling. MMX_FLEET_WAL=1 runs
test_measure_wal_outages, the outages of docs/FLEET.md's WAL table (about
6 minutes)."""

import base64
import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import harness
from exporter import Exporter, parse_exposition, wait_for
from test_monitoring_stack import dashboard_targets, dashboard_variable_queries, load_yaml, rules

ROOT = Path(__file__).resolve().parents[2]
FLEET_DIR = ROOT / "examples" / "fleet"
GATEWAY_DIR = FLEET_DIR / "gateway"
CENTRAL_DIR = FLEET_DIR / "central"
PROM_DIR = ROOT / "examples" / "prometheus"
FLEET_DOC = ROOT / "docs" / "FLEET.md"
README = ROOT / "README.md"

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")
OPENSSL = shutil.which("openssl")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (package prometheus) missing")

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
# A range for benchmarks (RFC 2544), for the veth pair of the measurement.
VETH_NET = ("198.18.249.1", "198.18.249.2")


# =========================================================== helpers


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


class Veth:
    """A network namespace reached through a veth pair with a 1500-byte MTU
    and no segmentation offload, so that its counters see the IP packets a
    cellular link would carry (root only)."""

    def __init__(self):
        tag = f"{os.getpid() % 100000}"
        self.ns, self.outer, self.inner = f"mmxfleet{tag}", f"mmxf{tag}a", f"mmxf{tag}b"
        routes = subprocess.run(["ip", "route"], capture_output=True, text=True).stdout
        if "198.18." in routes:
            raise RuntimeError("198.18.0.0/15 is routed here already")
        commands = [
            ["ip", "netns", "add", self.ns],
            ["ip", "link", "add", self.outer, "type", "veth", "peer", "name", self.inner],
            ["ip", "link", "set", self.inner, "netns", self.ns],
            ["ip", "addr", "add", f"{VETH_NET[0]}/30", "dev", self.outer],
            ["ip", "link", "set", self.outer, "mtu", "1500", "gso_max_segs", "1", "up"],
            ["ip", "-n", self.ns, "addr", "add", f"{VETH_NET[1]}/30", "dev", self.inner],
            ["ip", "-n", self.ns, "link", "set", self.inner, "mtu", "1500", "gso_max_segs", "1", "up"],
            ["ip", "-n", self.ns, "link", "set", "lo", "up"],
        ]
        try:
            for command in commands:
                subprocess.run(command, check=True, capture_output=True)
        except Exception:
            self.stop()
            raise
        self.address = VETH_NET[1]

    def counters(self):
        """(IP bytes, packets) through the pair, both directions, Ethernet
        headers (14 bytes a frame) taken off."""
        out = subprocess.run(["ip", "-s", "-j", "link", "show", self.outer], capture_output=True, text=True,
                             check=True).stdout
        stats = json.loads(out)[0]["stats64"]
        packets = stats["tx"]["packets"] + stats["rx"]["packets"]
        return stats["tx"]["bytes"] + stats["rx"]["bytes"] - 14 * packets, packets

    def stop(self):
        subprocess.run(["ip", "link", "del", self.outer], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.ns], capture_output=True)


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


class Fleet:
    def __init__(self, central, gateways, proxies):
        self.central, self.gateways, self.proxies = central, gateways, proxies


@pytest.fixture(scope="module")
def fleet():
    """The two gateways and the receiver. Without openssl (no certificates)
    they talk plain HTTP, and say so: everything but TLS is still tested."""
    if PROMETHEUS is None:
        pytest.skip("prometheus (package prometheus) missing")
    work = tempfile.TemporaryDirectory(prefix="mm-fleet-")
    central, gateways, proxies = None, {}, {}
    try:
        if OPENSSL:
            certs, scheme = make_certificates(work.name, ["127.0.0.1"]), "https"
        else:
            certs, scheme = (None, None, None), "http"
            print("\nopenssl missing (package openssl): the fleet talks plain HTTP, TLS is not tested")
        central = Central(work.name, certs, users=[*GATEWAYS, "grafana"], tls=bool(OPENSSL))
        central.wait_ready()
        files = scenarios(work.name)
        for name in GATEWAYS:
            proxies[name] = CountingProxy(("127.0.0.1", central.port))
            gateways[name] = Gateway(name, files[name], f"127.0.0.1:{proxies[name].port}", certs[0], work.name,
                                     scheme=scheme)
        yield Fleet(central, gateways, proxies)
    finally:
        for gateway in gateways.values():
            gateway.stop()
        for proxy in proxies.values():
            proxy.stop()
        if central:
            central.stop()
        work.cleanup()


def by_gateway(results):
    return {(r["metric"].get("gateway"), r["metric"].get("device_id")): float(r["value"][1]) for r in results}


def wait_for_data(central, expr, what, timeout=20):
    return wait_for(lambda: central.query(expr), timeout=timeout, interval=0.2, what=what)


def dashboard_query(expr, instance):
    """What Grafana sends with Host = `instance` and the other variables at All."""
    for name, value in (("__rate_interval", "5s"), ("__interval", "2s"), ("__range", "1m")):
        expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
    expr = re.sub(r"\$\{instance(:\w+)?\}|\$instance\b", lambda _: instance, expr)
    expr = re.sub(r"\$\{(job|device_id)(:\w+)?\}|\$(job|device_id)\b", ".+", expr)
    assert "$" not in expr.replace('"$1"', ""), f"unreplaced variable in {expr}"
    return expr


# =========================================================== static checks


@needs_promtool
def test_agent_config_passes_promtool_in_agent_mode(tmp_path):
    (tmp_path / "password").write_text("x\n")
    (tmp_path / "ca.crt").write_text("")
    config = render(GATEWAY_DIR / "agent.yml", [
        ("GATEWAY_ID", "gw-0001"), ("CENTRAL_HOST", "central.example:9090"),
        ("/etc/prometheus/remote-write.password", str(tmp_path / "password")),
        ("/etc/prometheus/central-ca.crt", str(tmp_path / "ca.crt"))])
    (tmp_path / "agent.yml").write_text(config)
    result = subprocess.run([PROMTOOL, "check", "config", "--agent", str(tmp_path / "agent.yml")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_agent_config_says_what_the_fleet_needs():
    config = load_yaml(GATEWAY_DIR / "agent.yml")
    assert config["global"]["scrape_interval"] == "30s"
    assert config["global"]["external_labels"] == {"gateway": "GATEWAY_ID"}
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    exporter = jobs["modemmanager"]["static_configs"][0]
    assert exporter["targets"] == ["127.0.0.1:9539"], "the exporter is scraped over loopback"
    assert exporter["labels"] == {"instance": "GATEWAY_ID"}, "instance names the gateway"
    assert jobs["prometheus-agent"]["static_configs"][0]["labels"] == {"instance": "GATEWAY_ID"}
    (remote,) = config["remote_write"]
    assert remote["url"].startswith("https://")
    assert remote["basic_auth"] == {"username": "GATEWAY_ID", "password_file": "/etc/prometheus/remote-write.password"}
    assert "ca_file" in remote["tls_config"]
    queue = remote["queue_config"]
    assert {"batch_send_deadline", "max_samples_per_send", "capacity", "min_backoff", "max_backoff"} <= set(queue)
    assert queue["capacity"] >= 3 * queue["max_samples_per_send"]
    assert remote["metadata_config"] == {"send": False}
    args = default_args(GATEWAY_DIR / "prometheus.default")
    assert "--enable-feature=agent" in args
    assert "--storage.agent.path=/var/lib/prometheus/data-agent" in args, "the WAL must survive reboots"
    assert "--web.listen-address=127.0.0.1:9090" in args
    central = default_args(CENTRAL_DIR / "prometheus.default")
    assert "--web.enable-remote-write-receiver" in central
    assert "--web.config.file=/etc/prometheus/web.yml" in central
    (source,) = load_yaml(CENTRAL_DIR / "grafana-datasource.yml")["datasources"]
    assert source["type"] == "prometheus" and source["url"] == "https://CENTRAL_HOST"
    assert source["basicAuth"] and source["basicAuthUser"] == "grafana"
    assert source["jsonData"]["timeInterval"] == config["global"]["scrape_interval"]


@needs_promtool
def test_central_config_rules_and_web_config_pass_promtool(tmp_path):
    for source in (CENTRAL_DIR / "prometheus.yml", CENTRAL_DIR / "fleet-alerts.yml",
                   CENTRAL_DIR / "fleet-alerts_test.yml", PROM_DIR / "alerts.yml", PROM_DIR / "recording.yml"):
        shutil.copy(source, tmp_path / source.name)
    certs = make_certificates(tmp_path, ["127.0.0.1"]) if OPENSSL else None
    web = render(CENTRAL_DIR / "web.yml", [("GATEWAY_BCRYPT_HASH", PASSWORD_HASH),
                                           ("GRAFANA_BCRYPT_HASH", PASSWORD_HASH)])
    if certs:
        web = web.replace("/etc/prometheus/central.crt", str(certs[1])).replace("/etc/prometheus/central.key",
                                                                                str(certs[2]))
    (tmp_path / "web.yml").write_text(web)

    def promtool(*args):
        result = subprocess.run([PROMTOOL, *args], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    assert "3 rule files found" in promtool("check", "config", "prometheus.yml")
    promtool("test", "rules", "fleet-alerts_test.yml")
    if certs:
        promtool("check", "web-config", "web.yml")
    names = {rule["alert"] for rule in rules(CENTRAL_DIR / "fleet-alerts.yml")}
    assert {"GatewaySilent", "GatewaySamplesRejected"} <= names


def test_readme_links_the_fleet_guide_and_the_guide_its_files():
    readme = README.read_text()
    section = re.search(r"^## Monitoring a fleet\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no section 'Monitoring a fleet'"
    assert "docs/FLEET.md" in section.group(1)
    doc = FLEET_DOC.read_text()
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc):
        if "://" not in target:
            assert (FLEET_DOC.parent / target).exists(), f"FLEET.md links {target}, which does not exist"
    for path in FLEET_DIR.rglob("*"):
        if path.is_file():
            assert str(path.relative_to(FLEET_DOC.parent.parent)) in doc, f"FLEET.md does not mention {path}"
    assert documented_bytes_per_day() > 0


def documented_bytes_per_day():
    """The shipped configuration's measured figure, from docs/FLEET.md's marker
    line `<!-- measured: N bytes/day -->`."""
    m = re.search(r"<!-- measured: (\d+) bytes/day", FLEET_DOC.read_text())
    assert m, "docs/FLEET.md carries no measured figure"
    return int(m.group(1))


# =========================================================== live fleet


def test_receiver_holds_the_modem_series_under_the_gateway_label(fleet):
    central = fleet.central
    for name, spec in GATEWAYS.items():
        info = wait_for_data(central, f'modemmanager_modem_info{{gateway="{name}"}}', f"modem info of {name}")
        assert {r["metric"]["device_id"] for r in info} == spec["modems"]
        for r in info:
            labels = r["metric"]
            assert (labels["job"], labels["instance"], labels["gateway"]) == ("modemmanager", name, name)
    assert by_gateway(central.query('modemmanager_modem_signal_quality_percent{device_id="%s"}' % LTE)) == {
        ("gw-0001", LTE): 72.0, ("gw-0002", LTE): 72.0}
    # Nothing arrives under the loopback address the agents scrape.
    assert not central.query('count({instance=~"127\\\\.0\\\\.0\\\\.1:.*"})')
    # The agents' own health arrives too, same labels.
    sent = wait_for_data(central, 'prometheus_remote_storage_samples_total{job="prometheus-agent"}', "agent health")
    assert {(r["metric"]["gateway"], r["metric"]["instance"]) for r in sent} == {(n, n) for n in GATEWAYS}
    kept = {r["metric"]["__name__"] for r in central.query('{job="prometheus-agent"}')}
    assert len(kept) < 20, f"the agent sends more of its own metrics than the few it keeps: {sorted(kept)}"


def test_two_gateways_land_side_by_side(fleet):
    central = fleet.central
    # The same device_id on both gateways: two series, told apart by gateway.
    rsrp = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(
        by_gateway(central.query("modemmanager_signal_lte_rsrp_dbm"))), timeout=20, what="RSRP of both")
    assert rsrp == {(name, LTE): spec["rsrp"] for name, spec in GATEWAYS.items()}
    assert by_gateway(central.query("modemmanager_modems")) == {
        (name, None): float(len(spec["modems"])) for name, spec in GATEWAYS.items()}
    assert by_gateway(central.query('modemmanager_modem_unlock_required{lock="sim-pin"} == 1')) == {
        ("gw-0002", UMTS): 1.0}


def test_dashboard_variables_and_queries_separate_the_gateways(fleet):
    central = fleet.central
    wait_for_data(central, 'count_over_time(up{job="modemmanager"}[1m]) > 5', "a few scrapes")
    wait_for_data(central, "device_id:modemmanager_modem_state:code", "recording rules")
    variables = dict(dashboard_variable_queries())
    # Host lists the gateways...
    hosts = {r["metric"]["instance"] for r in central.query(dashboard_query(variables["variable instance"], ".+"))}
    assert hosts == set(GATEWAYS)
    for name, spec in GATEWAYS.items():
        # ...and Modem (device_id) the modems of the hosts picked.
        modems = {r["metric"]["device_id"]
                  for r in central.query(dashboard_query(variables["variable device_id"], name))}
        assert modems == spec["modems"], name
        answered = 0
        for title, expr in dashboard_targets():
            results = central.query(dashboard_query(expr, name))
            answered += bool(results)
            for r in results:
                labels = r["metric"]
                assert labels.get("instance", name) == name and labels.get("gateway", name) == name, \
                    f"{title} with Host={name} returned {labels}"
        assert answered > 30, f"only {answered} dashboard queries returned data for {name}"
        expected = {"Modems": len(spec["modems"]), "Serving cell RSRP": spec["rsrp"]}
        for title, value in expected.items():
            (expr,) = [e for t, e in dashboard_targets() if t == title]
            assert [float(r["value"][1]) for r in central.query(dashboard_query(expr, name))] == [value], title


def test_central_alerts_carry_the_gateway(fleet):
    central = fleet.central

    def firing():
        alerts = central.get("/api/v1/alerts")["data"]["alerts"]
        return [a for a in alerts if a["state"] == "firing"]

    locked = wait_for(lambda: [a for a in firing() if a["labels"]["alertname"] == "SimLocked"], timeout=20,
                      interval=0.25, what="SimLocked firing")
    assert [(a["labels"]["gateway"], a["labels"]["instance"], a["labels"]["device_id"]) for a in locked] == [
        ("gw-0002", "gw-0002", UMTS)]
    assert "on gw-0002 waits for sim-pin" in locked[0]["annotations"]["description"]
    assert not [a for a in firing() if a["labels"]["alertname"].startswith("Gateway")]


def test_bytes_on_the_wire_match_the_documented_figure(fleet):
    """gw-0001 (one modem, as docs/FLEET.md measures it): TCP payload through
    its proxy per sample sent, times the samples of a day at 30 s."""
    gateway, proxy = fleet.gateways["gw-0001"], fleet.proxies["gw-0001"]
    figure = measure(gateway.agent, proxy.quiet_counters, fleet.central, "gw-0001", seconds=12)
    print(f"\ngw-0001: {figure}")
    documented = documented_bytes_per_day()
    assert 0.8 * documented <= figure["bytes_per_day"] <= 1.2 * documented, figure


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


def test_receiver_outage_loses_no_samples(fleet):
    """The receiver goes away for 10 s; the agents keep scraping into their
    WAL, retry, and send everything once it is back: every scrape of the
    outage is there, one per second, in the raw samples and in
    count_over_time."""
    central = fleet.central
    wait_for_data(central, 'count_over_time(up{job="modemmanager"}[1m]) > 3', "scrapes before the outage")
    retried_before = {n: g.agent.metric("prometheus_remote_storage_samples_retried_total")
                      for n, g in fleet.gateways.items()}
    start = time.time()
    time.sleep(2)
    central.stop()
    down = time.time()
    time.sleep(10)
    central.start()
    central.wait_ready()
    back = time.time()
    # Caught up: samples from after the restart have arrived for both gateways.
    wait_for(lambda: len(central.query(f'timestamp(up{{job="modemmanager"}}) > {back + 2}')) == 2,
             timeout=30, interval=0.25, what="both gateways caught up")
    end = back + 2
    interval = SCRAPE_INTERVAL / SCALE
    for name, gateway in fleet.gateways.items():
        assert gateway.agent.metric("prometheus_remote_storage_samples_retried_total") > retried_before[name], \
            f"{name} never retried: was the receiver really away?"
        assert gateway.agent.metric("prometheus_remote_storage_samples_failed_total") == 0
        for expr in (f'up{{gateway="{name}", job="modemmanager"}}',
                     f'modemmanager_modem_signal_quality_percent{{gateway="{name}", device_id="{LTE}"}}'):
            (stamps,) = raw_samples(central, expr, start, end).values()
            gaps = [b - a for a, b in zip(stamps, stamps[1:])]
            assert stamps[0] - start < 1.5 * interval and end - stamps[-1] < 1.5 * interval, (expr, stamps)
            assert max(gaps) < 1.5 * interval, \
                f"{expr}: a gap of {max(gaps):.1f} s in the outage {down:.0f}..{back:.0f}"
            assert len(stamps) >= (end - start) / interval - 1
            # The same, as a query at the scrape interval sees it.
            window = int(end - start)
            (count,) = central.query(f"count_over_time({expr}[{window}s])", at=end)
            assert float(count["value"][1]) >= window / interval - 1, expr


# =========================================================== measurement


def variants():
    """(name, how) of docs/FLEET.md's table. `how` keys: edits to agent.yml,
    idle_close (s, shipped rhythm), scheme, veth."""
    no_queue = lambda c: re.sub(r"(?ms)^    queue_config:\n.*?(?=^    metadata_config:)", "", c)  # noqa: E731
    no_metadata_setting = lambda c: re.sub(r"(?ms)^    metadata_config:\n.*", "", c)  # noqa: E731
    no_self = lambda c: re.sub(r"(?ms)^  # The agent's own health.*?(?=^remote_write:)", "", c)  # noqa: E731
    one_scrape = lambda c: c.replace("batch_send_deadline: 60s", "batch_send_deadline: 5s")  # noqa: E731
    metadata = lambda c: c.replace("      send: false\n", "      send: true\n      send_interval: 1m\n")  # noqa: E731
    return [
        ("shipped (TLS, 2 scrapes a request, no metadata)", {}),
        ("shipped, 1 scrape a request (batch_send_deadline 5s)", {"edits": [one_scrape]}),
        ("shipped, metadata every minute", {"edits": [metadata]}),
        ("shipped, new TCP+TLS connection for every request (NAT idle timeout)", {"idle_close": 45}),
        ("shipped, plain HTTP (no TLS)", {"scheme": "http"}),
        ("shipped without the agent's own metrics", {"edits": [no_self]}),
        ("Prometheus's queue defaults (1 scrape a request, metadata every minute)",
         {"edits": [no_queue, no_metadata_setting], "defaults": True}),
        ("shipped, IP packets at MTU 1500 (veth)", {"veth": True}),
    ]


@pytest.mark.opt_in
@pytest.mark.skipif(not os.environ.get("MMX_FLEET_MEASURE"), reason="set MMX_FLEET_MEASURE=SECONDS to measure")
def test_measure_bandwidth(tmp_path):
    seconds = float(os.environ["MMX_FLEET_MEASURE"])
    scale = float(os.environ.get("MMX_FLEET_MEASURE_SCALE", SCALE))
    scenario = scenarios(tmp_path)["gw-0001"]
    rows = []
    only, skip = os.environ.get("MMX_FLEET_MEASURE_ONLY", ""), os.environ.get("MMX_FLEET_MEASURE_SKIP")
    for label, how in variants():
        if only not in label or (skip and skip in label):
            continue
        veth = None
        if how.get("veth"):
            assert os.geteuid() == 0, f"{label}: a veth pair needs root"
            veth = Veth()
        work = tmp_path / re.sub(r"\W+", "-", label)[:40]
        work.mkdir()
        central = gateway = proxy = None
        try:
            host = veth.address if veth else "127.0.0.1"
            certs = make_certificates(work, [host])
            central = Central(work, certs, users=["gw-0001", "grafana"], host=host,
                              netns=veth.ns if veth else None, scale=scale, tls=how.get("scheme") != "http")
            central.wait_ready()
            edits = list(how.get("edits", []))
            if how.get("defaults"):
                # Prometheus's defaults (batches every 5 s, metadata every
                # minute), written out to be scaled like the rest.
                edits.append(lambda c: c + ("    queue_config:\n      batch_send_deadline: 5s\n"
                                            "    metadata_config:\n      send_interval: 1m\n"))
            if veth:
                counters = lambda: veth_quiet(veth)  # noqa: E731
                target = f"{host}:{central.port}"
            else:
                idle = how.get("idle_close")
                proxy = CountingProxy((host, central.port), idle_close=idle / scale if idle else None)
                counters = proxy.quiet_counters
                target = f"127.0.0.1:{proxy.port}"
            gateway = Gateway("gw-0001", scenario, target, certs[0], work, scale=scale, edits=edits,
                              scheme=how.get("scheme", "https"))
            # The first scrape, then the first batch: up to 90 s at the shipped rhythm.
            wait_for(lambda: central.query('up{gateway="gw-0001"}'), timeout=30 + 150 / scale, what="first samples")
            figure = measure(gateway.agent, counters, central, "gw-0001", seconds,
                             wal=gateway.dir / "data-agent" / "wal")
            rows.append((label, figure))
        finally:
            if gateway:
                gateway.stop()
            if proxy:
                proxy.stop()
            if central:
                central.stop()
            if veth:
                veth.stop()
    print(f"\nmeasured {seconds:.0f} s per variant, rhythm divided by {scale:g}; per day at one scrape every 30 s:")
    for label, figure in rows:
        print(f"  {label}: {figure['bytes_per_day'] / 1e6:.2f} MB/day = {figure['bytes_per_scrape']:.0f} bytes/scrape "
              f"({figure['samples_per_scrape']:.0f} samples, {figure['bytes_per_sample']:.2f} bytes/sample; "
              f"{figure['samples']:.0f} samples sent, {figure['up']}+{figure['down']} bytes, "
              f"{figure['connections']} connections or packets; WAL {figure['wal_bytes_per_day'] / 1e6:.2f} MB/day)")
    assert rows, f"no variant matches MMX_FLEET_MEASURE_ONLY={only!r}"
    for label, figure in rows:
        # (The veth counts IP bytes both ways as "up".)
        assert figure["samples"] > 0 and figure["up"] > 0, (label, figure)
    # What docs/FLEET.md argues from these rows: each shipped choice costs
    # fewer bytes than the setting it replaces.
    by_label = {label: figure["bytes_per_day"] for label, figure in rows}
    shipped = by_label.pop(variants()[0][0], None)
    for label, cost in by_label.items():
        if shipped is not None and ("1 scrape" in label or "metadata every" in label or "new TCP" in label):
            assert cost > shipped, f"{label}: {cost:.0f} bytes/day, shipped {shipped:.0f}"
    harness.record_figures("fleet", "bandwidth", {
        "seconds_per_variant": seconds, "rhythm_divided_by": scale,
        "rows": [{"label": label, **figure} for label, figure in rows]})


def veth_quiet(veth, quiet=0.4):
    """(IP bytes, 0, packets) through the veth pair, read when they have not
    moved for `quiet` seconds."""
    last, since = veth.counters(), time.monotonic()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.05)
        now = veth.counters()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return now[0], 0, now[1]
    raise AssertionError("the veth never went quiet")


def lost_seconds(central, name, down, back):
    """Seconds of scrapes missing from the receiver between `down` - 3 s and
    `back` + 2 s (gaps longer than 1.5 scrape intervals, ends included)."""
    interval = SCRAPE_INTERVAL / SCALE
    (stamps,) = raw_samples(central, f'up{{gateway="{name}", job="modemmanager"}}', down - 3, back + 2).values()
    stamps = [down - 3, *stamps, back + 2]
    return sum(b - a - interval for a, b in zip(stamps, stamps[1:]) if b - a > 1.5 * interval)


@pytest.mark.opt_in
@pytest.mark.skipif(not os.environ.get("MMX_FLEET_WAL"), reason="set MMX_FLEET_WAL=1 to run the WAL experiments")
def test_measure_wal_outages(tmp_path):
    """What an outage of the receiver costs, by its length in WAL truncation
    periods (shortened with the hidden --storage.agent.wal-truncate-frequency),
    and an agent restart during an outage. The queue capacity is cut to 400
    samples so that it holds the same share of a truncation period (2.5 s of
    10 s) as the shipped 10000 hold of 2 h (about 32 minutes)."""
    small_queue = lambda c: c.replace("capacity: 10000", "capacity: 400").replace(  # noqa: E731
        "max_samples_per_send: 2000", "max_samples_per_send: 200")
    cases = [("restart", "2h", 25), *(("outage", f"{f}s", round(f * n)) for f, n in
                                       ((10, 2), (10, 3), (10, 4.5), (10, 6), (40, 2.5)))]
    results = []
    for number, (kind, frequency, outage) in enumerate(cases):
        work = tmp_path / f"case{number}"
        work.mkdir()
        certs = make_certificates(work, ["127.0.0.1"])
        central = Central(work, certs, users=["gw-0001", "grafana"])
        proxy = gateway = None
        try:
            central.wait_ready()
            proxy = CountingProxy(("127.0.0.1", central.port))
            gateway = Gateway("gw-0001", scenarios(work)["gw-0001"], f"127.0.0.1:{proxy.port}", certs[0], work,
                              edits=[small_queue], agent_flags=[f"--storage.agent.wal-truncate-frequency={frequency}"])
            wait_for(lambda: central.query('up{gateway="gw-0001"}'), timeout=30, what="first samples")
            time.sleep(5)
            central.stop()
            down = time.time()
            if kind == "restart":
                time.sleep(5)
                gateway.agent.stop()  # tries to flush until killed (harness.stop)
                gateway.agent.start()
                gateway.agent.wait_ready()
                time.sleep(max(0, down + outage - time.time()))
            else:
                time.sleep(outage)
            central.start()
            central.wait_ready()
            back = time.time()
            wait_for(lambda: central.query(f'timestamp(up{{gateway="gw-0001"}}) > {back + 2}'), timeout=60,
                     interval=0.5, what="caught up")
            results.append((kind, frequency, back - down, lost_seconds(central, "gw-0001", down, back)))
        finally:
            if gateway:
                gateway.stop()
            if proxy:
                proxy.stop()
            central.stop()
    print()
    for kind, frequency, outage, lost in results:
        what = "agent restarted 5 s into" if kind == "restart" else f"truncation every {frequency},"
        print(f"{what} an outage of {outage:.0f} s: {lost:.0f} s of scrapes lost")
    # docs/FLEET.md's table: up to 3 truncation periods nothing is lost, from
    # 4.5 on most of the outage is; a restart loses what was not yet sent.
    for kind, frequency, outage, lost in results:
        periods = outage / float(frequency.rstrip("sh")) / (3600 if frequency.endswith("h") else 1)
        if kind == "restart":
            assert lost >= 5, f"an agent restart in an outage lost only {lost:.0f} s"
        elif periods <= 3.2:
            assert lost < 2, f"{outage:.0f} s outage, truncation every {frequency}: {lost:.0f} s lost"
        elif periods >= 4.4:
            assert lost > outage / 2, f"{outage:.0f} s outage, truncation every {frequency}: {lost:.0f} s lost"
    harness.record_figures("fleet", "wal", [
        {"kind": k, "truncate_every": f, "outage_s": round(o), "lost_s": round(lost)}
        for k, f, o, lost in results])
