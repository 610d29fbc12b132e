"""The monitoring stack that ships with mm-exporter: examples/prometheus
(scrape config, alerts and their promtool unit tests, recording rules),
examples/grafana (dashboard and provisioning), docker/ (Dockerfile, compose)
and the PromQL in README.md and docs/QUICKSTART.md.

Static checks need promtool (Debian's prometheus package) and, for the YAML
structure, python3-yaml. The live checks start a real Prometheus on a free
loopback port with a temporary data directory, scraping mm-exporter every
second against mmsim's fleet.json scenario, with the example alert rules
loaded and every `for:` shortened to 1s; every process is stopped at the end.
The live tests share one stack and run in file order: the last one changes
the scenario (removes a modem, makes a bearer reconnect)."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

import harness
from exporter import BUILD, COLLECTOR, FRONTEND, Exporter, wait_for

ROOT = Path(__file__).resolve().parents[2]
PROM_DIR = ROOT / "examples" / "prometheus"
GRAFANA_DIR = ROOT / "examples" / "grafana"
DASHBOARD = GRAFANA_DIR / "dashboards" / "mm-exporter.json"
DOCKER_DIR = ROOT / "docker"
README = ROOT / "README.md"
QUICKSTART = ROOT / "docs" / "QUICKSTART.md"
METRICS_DOC = ROOT / "docs" / "METRICS.md"
SCENARIO = harness.SCENARIOS / "fleet.json"

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (package prometheus) missing")

REQUIRED_ALERTS = {"WeakSignal", "ModemDisconnected", "SimLocked", "ModemManagerDown", "ModemMissing",
                   "ExporterCollectorDown", "RegistrationLost", "Roaming", "LowSignalQuality",
                   "BearerReconnecting", "ModemFlapping", "CarrierAggregationLost", "RegistrationRejected",
                   "SimSwapped", "OperatorChanged"}

# Modems of fleet.json, by role.
ROUTER_5G = "0a5c9e1d7b3f42e8a6d1c4b7e2f9a8d3c6b1e4f7"
WEAK_LTE = "1b6daf2e8c4053f9b7e2d5c8f3a0b9e4d7c2f5a8"
ROAMING_3G = "2c7eb03f9d5164a0c8f3e6d9a4b1c0f5e8d3a6b9"
PIN_LOCKED = "3d8fc1409ea275b1d9f4a7e0b5c2d1a6f9e4b7c0"
# What fleet.json must fire (alert name, device_id); every other alert stays silent.
EXPECTED_FIRING = {("WeakSignal", WEAK_LTE), ("LowSignalQuality", WEAK_LTE), ("Roaming", ROAMING_3G),
                   ("ModemDisconnected", ROAMING_3G), ("SimLocked", PIN_LOCKED)}


def load_yaml(path):
    yaml = pytest.importorskip("yaml", reason="python3-yaml missing")
    return yaml.safe_load(Path(path).read_text())


def promtool(*args, cwd=PROM_DIR):
    result = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def rules(path):
    return [rule for group in load_yaml(path)["groups"] for rule in group["rules"]]


def dashboard_targets():
    """(panel title, expr) of every query in the dashboard, rows' panels included."""
    found = []

    def walk(panels):
        for panel in panels:
            for target in panel.get("targets", []):
                found.append((panel.get("title", ""), target["expr"]))
            walk(panel.get("panels", []))

    walk(json.loads(DASHBOARD.read_text())["panels"])
    return found


def dashboard_variable_queries():
    """The PromQL behind each query variable: label_values(SELECTOR, label)
    becomes `count by (label) (SELECTOR)`, which returns data when the variable
    has values."""
    out = []
    for var in json.loads(DASHBOARD.read_text())["templating"]["list"]:
        if var["type"] != "query":
            continue
        query = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
        m = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", query.strip())
        assert m, f"variable {var['name']}: unexpected query {query!r}"
        out.append((f"variable {var['name']}", f"count by ({m.group(2)}) ({m.group(1)})"))
    return out


def grafana_to_promql(expr):
    """What Grafana sends for an expression with every variable at All."""
    for name, value in (("__rate_interval", "5s"), ("__interval", "2s"), ("__range", "1m")):
        expr = expr.replace("${" + name + "}", value).replace("$" + name, value)
    expr = re.sub(r"\$\{(job|instance|device_id)(:\w+)?\}", ".+", expr)
    expr = re.sub(r"\$(job|instance|device_id)\b", ".+", expr)
    assert "$" not in expr.replace('"$1"', ""), f"unreplaced variable in {expr}"
    return expr


def promql_blocks(path):
    """Queries of the ```promql blocks of a Markdown file (one per line,
    comments skipped)."""
    text = Path(path).read_text()
    queries = []
    for block in re.findall(r"```promql\n(.*?)```", text, re.S):
        queries += [l.strip() for l in block.splitlines() if l.strip() and not l.strip().startswith("#")]
    return queries


def documented_metrics():
    names = set(re.findall(r"^\| `([a-z0-9_:]+)` \|", METRICS_DOC.read_text(), re.M))
    assert len(names) > 50, "docs/METRICS.md table not found"
    return names


# =========================================================== static checks


@needs_promtool
def test_promtool_check_config_and_rules():
    out = promtool("check", "config", "prometheus.yml")
    assert "2 rule files found" in out
    promtool("check", "rules", "alerts.yml", "recording.yml")


@needs_promtool
def test_promtool_unit_tests_of_every_alert():
    promtool("test", "rules", "alerts_test.yml")


def test_every_alert_has_cases_that_fire_and_cases_that_must_not():
    alerts = {rule["alert"] for rule in rules(PROM_DIR / "alerts.yml") if "alert" in rule}
    assert REQUIRED_ALERTS <= alerts, f"missing alerts: {REQUIRED_ALERTS - alerts}"
    tests = load_yaml(PROM_DIR / "alerts_test.yml")
    assert tests["rule_files"] == ["alerts.yml"]
    fires, silent = set(), set()
    for case in tests["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check.get("exp_alerts") else silent).add(check["alertname"])
    assert alerts - fires == set(), f"alerts no test sees firing: {alerts - fires}"
    assert alerts - silent == set(), f"alerts no test sees silent: {alerts - silent}"


def test_rules_and_dashboard_use_only_documented_metrics():
    """docs/METRICS.md is the contract: a misspelt name would silently return nothing."""
    known = documented_metrics() | {"up", "ALERTS"}
    records = {rule["record"] for rule in rules(PROM_DIR / "recording.yml")}
    exprs = [rule["expr"] for path in ("alerts.yml", "recording.yml") for rule in rules(PROM_DIR / path)]
    exprs += [expr for _, expr in dashboard_targets() + dashboard_variable_queries()]
    exprs += promql_blocks(README) + promql_blocks(QUICKSTART)
    for expr in exprs:
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values are not names
        for name in re.findall(r"\b((?:modemmanager|process|device_id)[a-z0-9_:]*)", code):
            if name == "device_id":  # a label
                continue
            assert name in known | records, f"{name} (in {expr!r}) is neither in docs/METRICS.md nor recorded"


def test_dashboard_structure():
    dash = json.loads(DASHBOARD.read_text())
    variables = {v["name"]: v for v in dash["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert variables["device_id"]["type"] == "query" and "device_id" in variables["device_id"]["definition"]
    ids, types, exprs = set(), set(), [expr for _, expr in dashboard_targets()]
    for panel in dash["panels"]:
        assert panel["id"] not in ids, f"duplicate panel id {panel['id']}"
        ids.add(panel["id"])
        types.add(panel["type"])
        pos = panel["gridPos"]
        assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, f"{panel['title']}: off the grid"
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], f"{panel['title']}: no query"
        refs = [t["refId"] for t in panel["targets"]]
        assert len(refs) == len(set(refs)), f"{panel['title']}: duplicate refId"
        for target in panel["targets"]:
            assert target["datasource"] == panel["datasource"]
            if "$device_id" not in target["expr"] and panel["title"] not in EXPORTER_PANELS:
                pytest.fail(f"{panel['title']}: query ignores the device_id variable: {target['expr']}")
    assert {"timeseries", "stat", "table", "state-timeline", "bargauge", "geomap"} <= types
    # What the issue asks the dashboard to show.
    for needle in ("modemmanager_signal_nr5g_rsrp_dbm", "modemmanager_signal_lte_rsrp_dbm",
                   "modemmanager_signal_umts_rscp_dbm", "modemmanager_modem_signal_quality_percent",
                   "device_id:modemmanager_modem_state:code", "modemmanager_modem_3gpp_operator_name",
                   "modemmanager_modem_access_technology", "device_id:modemmanager_bearer_rx_bits:rate5m",
                   "modemmanager_bearer_connection_duration_seconds", "modemmanager_sim_info",
                   "modemmanager_location_latitude_degrees", "modemmanager_exporter_collector_up",
                   "modemmanager_cell_info", "modemmanager_modem_carriers", "modemmanager_cell_rsrp_dbm",
                   "modemmanager_modem_state_transitions_total"):
        assert any(needle in e for e in exprs), f"dashboard shows no {needle}"


EXPORTER_PANELS = {"Modems", "ModemManager", "Scrape", "Collector", "Last collection", "Snapshot age",
                   "Collection duration", "Snapshots per minute", "D-Bus errors", "Memory", "CPU", "Versions"}


def test_grafana_provisioning_matches_compose():
    source = load_yaml(GRAFANA_DIR / "provisioning" / "datasources" / "prometheus.yml")["datasources"][0]
    assert source["type"] == "prometheus" and source["url"] == "http://localhost:9090"
    provider = load_yaml(GRAFANA_DIR / "provisioning" / "dashboards" / "mm-exporter.yml")["providers"][0]
    compose = load_yaml(DOCKER_DIR / "docker-compose.yml")
    mounts = dict(_bind_mounts(compose["services"]["grafana"]))
    assert mounts.get(GRAFANA_DIR / "dashboards") == provider["options"]["path"]
    assert mounts.get(GRAFANA_DIR / "provisioning" / "dashboards") == "/etc/grafana/provisioning/dashboards"
    assert mounts.get(GRAFANA_DIR / "provisioning" / "datasources") == "/etc/grafana/provisioning/datasources"


def _bind_mounts(service):
    """(host path resolved against docker/, container path) of a service's bind mounts."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith((".", "/")):
            yield (DOCKER_DIR / source).resolve() if source.startswith(".") else Path(source), target


def _dockerfile_stages():
    stages = []
    for line in _dockerfile_instructions():
        if line.upper().startswith("FROM "):
            stages.append([line])
        elif stages:
            stages[-1].append(line)
    return stages


def _dockerfile_instructions():
    """Instructions of docker/Dockerfile, continuation lines joined, comments dropped."""
    text = (DOCKER_DIR / "Dockerfile").read_text()
    text = re.sub(r"\\\n", " ", "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#")))
    return [re.sub(r"\s+", " ", l).strip() for l in text.splitlines() if l.strip()]


def test_dockerfile_builds_like_the_readme():
    stages = _dockerfile_stages()
    assert len(stages) >= 2, "not multi-stage"
    assert re.match(r"FROM debian:(12|bookworm)\b", stages[0][0]), stages[0][0]
    build_runs = " && ".join(l[4:] for l in stages[0] if l.startswith("RUN "))
    assert "./scripts/install-deps.sh --build" in build_runs
    assert "apt-get install" not in build_runs, "the builder must use scripts/install-deps.sh, not a copy"
    # The README's build ("Run it for real"), word for word.
    section = re.search(r"^## Run it for real\n(.*?)^## ", README.read_text(), re.S | re.M)
    assert section, "README.md has no section 'Run it for real'"
    block = re.search(r"```sh\n(.*?)```", section.group(1), re.S)
    readme_builds = [l.strip() for l in block.group(1).splitlines() if l.strip().startswith("cmake ")]
    assert readme_builds, "README.md shows no cmake build"
    for command in readme_builds:
        assert command in build_runs, f"Dockerfile does not run the README's `{command}`"
    docker_text = (DOCKER_DIR / "Dockerfile").read_text()
    assert "/run/dbus/system_bus_socket" in docker_text, "the D-Bus socket mount is not documented"
    # The runtime image is the file system docker/make-rootfs.sh makes of the
    # two binaries, and nothing else (scripts/test-container.sh checks the
    # built image file by file).
    assert re.search(r"\./docker/make-rootfs\.sh --user mm-exporter (\S+) build/bin/mm-exporter "
                     r"build/bin/mm-exporter-frontend\b", build_runs)
    final = stages[-1]
    assert final[0] == "FROM scratch", final[0]
    assert [l for l in final if l.split()[0] in ("COPY", "ADD", "RUN")] == ["COPY --from=build /rootfs/ /"]
    assert 'ENTRYPOINT ["/usr/local/bin/mm-exporter"]' in final


def test_runtime_file_system_holds_what_the_binaries_load(tmp_path):
    """docker/make-rootfs.sh, given the binaries built in MMX_BUILD_DIR, makes
    a root in which both start: every library they load is there (the list
    comes from ldd; the Dockerfile names none)."""
    if not (os.path.exists(COLLECTOR) and os.path.exists(FRONTEND)):
        pytest.fail(f"binaries not built in {BUILD}")
    root = tmp_path / "rootfs"
    subprocess.run([str(DOCKER_DIR / "make-rootfs.sh"), str(root), COLLECTOR, FRONTEND], check=True)
    assert sorted(p.name for p in (root / "usr" / "local" / "bin").iterdir()) == \
        ["mm-exporter", "mm-exporter-frontend"]
    others = [p for p in root.rglob("*") if p.is_file() and "bin" not in p.parts]
    assert others and all(".so" in p.name for p in others), others
    chroot = ["chroot"] if os.geteuid() == 0 else ["unshare", "--map-root-user", "chroot"]
    for binary in ("mm-exporter", "mm-exporter-frontend"):
        result = subprocess.run([*chroot, str(root), f"/usr/local/bin/{binary}", "--version"],
                                capture_output=True, text=True)
        assert result.returncode == 0 and result.stdout.startswith(f"{binary}, version"), result.stderr


def test_compose_file_is_valid_and_references_existing_files():
    compose_file = DOCKER_DIR / "docker-compose.yml"
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        result = subprocess.run([docker, "compose", "-f", str(compose_file), "config", "-q"],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
    # Without the compose plugin (no Docker daemon is needed either way), the
    # checks below are the validation; with it, they add the references.
    compose = load_yaml(compose_file)
    services = compose["services"]
    assert {"mm-exporter", "prometheus", "grafana"} <= set(services)
    build = services["mm-exporter"]["build"]
    context = (DOCKER_DIR / build["context"]).resolve()
    assert context == ROOT and (context / build["dockerfile"]).is_file()
    assert "/run/dbus/system_bus_socket:/run/dbus/system_bus_socket" in services["mm-exporter"]["volumes"]
    for name, service in services.items():
        for source, _ in _bind_mounts(service):
            if str(source).startswith("/run/"):
                continue  # the host's, at run time
            assert source.exists(), f"{name} mounts {source}, which does not exist"
        for volume in service.get("volumes", []):
            if not volume.split(":")[0].startswith((".", "/")):
                assert volume.split(":")[0] in compose.get("volumes", {}), f"{name}: undeclared volume {volume}"
    # Prometheus gets its config and, next to it, every rule file it names.
    mounts = dict(_bind_mounts(services["prometheus"]))
    config_target = mounts[PROM_DIR / "prometheus.yml"]
    assert f"--config.file={config_target}" in services["prometheus"]["command"]
    for rule_file in load_yaml(PROM_DIR / "prometheus.yml")["rule_files"]:
        assert mounts.get(PROM_DIR / rule_file) == str(Path(config_target).parent / rule_file), rule_file


def test_docs_link_the_stack():
    readme = README.read_text()
    for link in ("docs/QUICKSTART.md", "examples/prometheus/alerts.yml", "examples/prometheus/recording.yml",
                 "examples/grafana/dashboards/mm-exporter.json", "docker/Dockerfile", "docker/docker-compose.yml"):
        assert link in readme, f"README.md does not link {link}"
    for doc in (README, QUICKSTART):
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" not in target:
                assert (doc.parent / target).exists(), f"{doc.name} links {target}, which does not exist"
    assert promql_blocks(README) and promql_blocks(QUICKSTART)


# =========================================================== live stack


class Prometheus:
    """A real Prometheus with examples/prometheus/ turned to a 1s rhythm and
    every `for:` shortened to 1s, scraping one exporter."""

    def __init__(self, exporter_port):
        self.dir = tempfile.TemporaryDirectory(prefix="mm-prometheus-")
        path = Path(self.dir.name)
        # The example config itself, retargeted by text, so what is tested is the shipped file.
        config = (PROM_DIR / "prometheus.yml").read_text()
        for old, new in (("scrape_interval: 15s", "scrape_interval: 1s"),
                         ("scrape_timeout: 10s", "scrape_timeout: 1s"),
                         ("evaluation_interval: 15s", "evaluation_interval: 1s"),
                         ('"localhost:9539"', f'"127.0.0.1:{exporter_port}"')):
            assert config.count(old) == 1, f"prometheus.yml no longer has {old}"
            config = config.replace(old, new)
        (path / "prometheus.yml").write_text(config)
        alerts, n = re.subn(r"(?m)^(\s+for:) \S+$", r"\1 1s", (PROM_DIR / "alerts.yml").read_text())
        assert n >= len(REQUIRED_ALERTS)
        (path / "alerts.yml").write_text(alerts)
        shutil.copy(PROM_DIR / "recording.yml", path / "recording.yml")
        self.port = harness.free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(path / "prometheus.log", "w+b")
        self.proc = harness.spawn(
            [PROMETHEUS, f"--config.file={path / 'prometheus.yml'}", f"--storage.tsdb.path={path / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}", "--log.level=warn"],
            stdout=subprocess.DEVNULL, stderr=self.log)

    def get(self, path, **params):
        url = f"{self.base}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as e:  # 400 carries the parse error
            return json.load(e)

    def query(self, expr):
        """Instant query; the result list. A bad expression fails the test."""
        answer = self.get("/api/v1/query", query=expr)
        assert answer["status"] == "success", f"{expr}: {answer.get('error')}"
        return answer["data"]["result"]

    def wait_ready(self):
        def ready():
            assert self.proc.poll() is None, f"prometheus exited:\n{self.log_text()}"
            with urllib.request.urlopen(self.base + "/-/ready", timeout=2) as response:
                return response.status == 200
        wait_for(ready, timeout=20, what="Prometheus /-/ready")

    def evaluations(self):
        """{rule group: when it was last evaluated}, from /api/v1/rules."""
        return {g["name"]: g["lastEvaluation"] for g in self.get("/api/v1/rules")["data"]["groups"]}

    def firing(self):
        """{(alertname, device_id)} of the firing alerts in /api/v1/alerts."""
        alerts = self.get("/api/v1/alerts")["data"]["alerts"]
        return {(a["labels"]["alertname"], a["labels"].get("device_id")) for a in alerts if a["state"] == "firing"}

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        harness.stop(self.proc, timeout=10)
        self.log.close()
        self.dir.cleanup()


@pytest.fixture(scope="module")
def stack():
    if PROMETHEUS is None:
        pytest.skip("prometheus (package prometheus) missing")
    bus = harness.PrivateBus()
    sim = exporter = prometheus = None
    try:
        sim = harness.start_mmsim(bus, SCENARIO)
        exporter = Exporter(bus.address)
        exporter.wait_healthy()
        prometheus = Prometheus(exporter.port)
        prometheus.wait_ready()
        yield prometheus, sim, exporter
    finally:
        if prometheus:
            prometheus.stop()
        if exporter:
            exporter.stop()
        if sim:
            sim.stop()
        bus.stop()


def wait_for_samples(prometheus, count):
    """Until Prometheus holds `count` successful scrapes of the exporter."""
    wait_for(lambda: prometheus.query(f'count_over_time(up{{job="modemmanager"}}[1m]) >= {count}'
                                      f' and up{{job="modemmanager"}} == 1'),
             timeout=20, interval=0.25, what=f"{count} scrapes")


def test_prometheus_scrapes_the_exporter(stack):
    prometheus, _, _ = stack
    result = wait_for(lambda: prometheus.query('up{job="modemmanager"} == 1'), timeout=15, interval=0.2,
                      what="up == 1")
    assert len(result) == 1 and result[0]["value"][1] == "1"
    targets = prometheus.get("/api/v1/targets")["data"]["activeTargets"]
    assert [t["health"] for t in targets] == ["up"]


def test_each_modem_has_its_series(stack):
    prometheus, _, _ = stack
    wait_for_samples(prometheus, 2)
    modems = json.loads(SCENARIO.read_text())["modems"]

    def values(expr):
        return {r["metric"].get("device_id"): float(r["value"][1]) for r in prometheus.query(expr)}

    assert values("modemmanager_modems") == {None: len(modems)}
    assert set(values("modemmanager_modem_info")) == {m["device_id"] for m in modems}
    for modem in modems:
        dev = modem["device_id"]
        sel = f'device_id="{dev}"'
        assert values(f'modemmanager_modem_state{{{sel}}} == 1') and \
            prometheus.query(f'modemmanager_modem_state{{{sel}, state="{modem["modem"]["state"]}"}} == 1'), dev
        assert prometheus.query(f'modemmanager_sim_info{{{sel}}}'), dev
        lock = modem["modem"].get("unlock_required", "none")
        assert values(f'modemmanager_modem_unlock_required{{{sel}, lock="{lock}"}}') == \
            {dev: 0.0 if lock == "none" else 1.0}
        registration = modem.get("3gpp", {}).get("registration_state")
        if registration:
            assert prometheus.query(f'modemmanager_modem_3gpp_registration_state{{{sel}, state="{registration}"}} == 1')
        for tech, signals in modem.get("signal", {}).items():
            for key, value in signals.items():
                if key == "error-rate":
                    name, labels = "modemmanager_signal_error_rate_percent", f'{sel}, technology="{tech}"'
                else:
                    unit = "dbm" if key in ("rssi", "rsrp", "rscp", "io") else "db"
                    name, labels = f"modemmanager_signal_{tech}_{key}_{unit}", sel
                assert values(f"{name}{{{labels}}}") == {dev: value}, f"{name} of {dev}"
        bearers = modem.get("bearers", [])
        assert len(prometheus.query(f'modemmanager_bearer_connected{{{sel}}}')) == len(bearers), dev
        for bearer in bearers:
            total = bearer.get("stats", {}).get("total-rx-bytes")
            if total:
                assert values(f'modemmanager_bearer_rx_bytes_total{{{sel}}}') == {dev: total}
        gps = modem.get("location", {}).get("gps-raw")
        if gps:
            assert values(f'modemmanager_location_latitude_degrees{{{sel}}}') == {dev: gps["latitude"]}


def test_alerts_fire_as_the_scenario_says(stack):
    prometheus, _, _ = stack
    # /api/v1/alerts: exactly the expected alerts fire (with the 1s `for:`)...
    firing = wait_for(lambda: (lambda f: f if f >= EXPECTED_FIRING else None)(prometheus.firing()),
                      timeout=20, interval=0.25, what=f"firing alerts {sorted(EXPECTED_FIRING)}")
    # Two more evaluations of every rule group: nothing else may join.
    for _ in range(2):
        seen = prometheus.evaluations()
        wait_for(lambda: all(t != seen[g] for g, t in prometheus.evaluations().items()),
                 timeout=10, interval=0.1, what="the rules evaluated again")
    assert prometheus.firing() == EXPECTED_FIRING
    assert firing == EXPECTED_FIRING
    # ...and each alert's expression, through the query API, selects those modems only.
    for rule in rules(PROM_DIR / "alerts.yml"):
        selected = {r["metric"].get("device_id") for r in prometheus.query(rule["expr"])}
        expected = {dev for name, dev in EXPECTED_FIRING if name == rule["alert"]}
        assert selected == expected, f"{rule['alert']}: {rule['expr']}"
    weak = prometheus.query(next(r["expr"] for r in rules(PROM_DIR / "alerts.yml") if r["alert"] == "WeakSignal"))
    assert float(weak[0]["value"][1]) == -118


def test_every_dashboard_and_recording_query_returns_data(stack):
    prometheus, _, _ = stack
    wait_for_samples(prometheus, 5)
    queries = [(title, grafana_to_promql(expr)) for title, expr in dashboard_targets()]
    queries += [(title, grafana_to_promql(expr)) for title, expr in dashboard_variable_queries()]
    for rule in rules(PROM_DIR / "recording.yml"):
        queries += [(rule["record"], rule["expr"]), (rule["record"], rule["record"])]
    assert len(queries) > 60

    def empty():
        return [f"{title}: {expr}" for title, expr in queries if not prometheus.query(expr)]

    missing = []
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        missing = empty()
        if not missing:
            break
        time.sleep(0.5)
    assert not missing, "queries without data:\n" + "\n".join(missing)


def test_recording_rules_compute_what_the_dashboard_shows(stack):
    prometheus, _, _ = stack
    wait_for(lambda: prometheus.query("device_id:modemmanager_modem_state:code"), timeout=10, what="records")

    def by_device(expr):
        return {r["metric"]["device_id"]: (r["metric"].get("technology"), float(r["value"][1]))
                for r in prometheus.query(expr)}

    assert by_device("device_id:modemmanager_signal_rsrp_dbm:serving") == {
        ROUTER_5G: ("nr5g", -87.0), WEAK_LTE: ("lte", -118.0)}
    assert by_device("device_id:modemmanager_signal_snr_db:serving") == {
        ROUTER_5G: ("nr5g", 19.0), WEAK_LTE: ("lte", -2.5)}
    assert by_device("device_id:modemmanager_modem_state:code") == {
        ROUTER_5G: (None, 11.0), WEAK_LTE: (None, 11.0), ROAMING_3G: (None, 8.0), PIN_LOCKED: (None, 2.0)}


def test_example_queries_in_the_docs_work(stack):
    prometheus, _, _ = stack
    wait_for_samples(prometheus, 5)
    queries = promql_blocks(README) + promql_blocks(QUICKSTART)
    assert queries
    for expr in queries:
        assert prometheus.query(expr), f"no data: {expr}"


def test_modem_leaving_and_bearer_reconnecting_alert(stack):
    """Last: changes the scenario. A modem that leaves fires ModemMissing;
    a bearer whose connection attempts rise fires BearerReconnecting."""
    prometheus, sim, _ = stack
    wait_for_samples(prometheus, 3)
    modem_path = sim.client.modems()[WEAK_LTE]
    bearer_path = str(sim.client.get_property(modem_path, "org.freedesktop.ModemManager1.Modem", "Bearers")[0])
    sim.client.remove_modem(PIN_LOCKED)
    sim.client.set_object_property(bearer_path, "bearer", "Stats", {
        "duration": 5, "attempts": 12, "failed-attempts": 9,
        "total-rx-bytes": 734003300, "total-tx-bytes": 91750500})
    expected = (EXPECTED_FIRING - {("SimLocked", PIN_LOCKED)}) | {
        ("ModemMissing", PIN_LOCKED), ("BearerReconnecting", WEAK_LTE)}
    wait_for(lambda: prometheus.firing() == expected, timeout=20, interval=0.25,
             what=f"firing alerts {sorted(expected)} (now {sorted(prometheus.firing())})")
