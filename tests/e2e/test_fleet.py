"""Fleets behind carrier NAT: examples/fleet/ and docs/FLEET.md.

Static checks run promtool on the shipped files. The live checks start, on
loopback, two simulated gateways (fleet_harness.py: each its own private
bus, mmsim and mm-exporter, and a Prometheus 2.42 in agent mode running
examples/fleet/gateway/agent.yml with the flags of its prometheus.default)
that push over TLS with basic auth, each through a byte-counting TCP proxy,
to a Prometheus receiver running examples/fleet/central/ (prometheus.yml,
web.yml, the flags of its prometheus.default) with the example alerts and
recording rules, every interval divided by SCALE. Every process is stopped
at the end. The live tests share one fleet and run in file order: the
outage test stops the receiver for a while.

The figures of docs/FLEET.md's data-volume and WAL tables are measured by
bench/fleet_measure.py (scripts/measure.sh fleet), on the same set-up."""

import re
import shutil
import subprocess
import tempfile
import time

import pytest

from exporter import wait_for
from fleet_harness import (CENTRAL_DIR, FLEET_DIR, GATEWAY_DIR, GATEWAYS, LTE, OPENSSL, PASSWORD_HASH, PROM_DIR,
                           PROMETHEUS, ROOT, SCALE, SCRAPE_INTERVAL, UMTS, Central, CountingProxy, Gateway,
                           default_args, make_certificates, measure, raw_samples, render, scenarios)
from test_monitoring_stack import dashboard_targets, dashboard_variable_queries, load_yaml, rules

FLEET_DOC = ROOT / "docs" / "FLEET.md"
README = ROOT / "README.md"

PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (package prometheus) missing")


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
