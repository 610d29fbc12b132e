"""The checks scripts/test-arm.sh runs inside the emulated ARM machine, as
root, against the installed .deb: the same harness as tests/e2e (private
bus, simulated ModemManager, the real binaries), on an ARM kernel with its
seccomp. Each check prints PASS or FAIL with its name on the serial console;
the last line is the summary the host reads.

    python3 guest_checks.py PAYLOAD_DIR
"""

import gzip
import os
import signal
import ssl
import subprocess
import sys
import time
import traceback
import urllib.request

PAYLOAD = sys.argv[1]
sys.path.insert(0, os.path.join(PAYLOAD, "tests", "e2e"))
# exporter.py finds the binaries in $MMX_BUILD_DIR/bin: links to the
# installed ones (the collector then finds its frontend in /usr/libexec).
os.environ["MMX_BUILD_DIR"] = os.path.join(PAYLOAD, "build")

import harness  # noqa: E402
from exporter import Exporter, Metrics, http_get, wait_for  # noqa: E402

SLOW = 120  # seconds: everything runs on an emulated CPU
NO_CAPABILITIES = "0" * 16
results = []


def check(name):
    def run(body):
        started = time.monotonic()
        try:
            body()
            results.append(True)
            print(f"PASS {name} ({time.monotonic() - started:.1f} s)", flush=True)
        except Exception:
            results.append(False)
            print(f"FAIL {name}\n{traceback.format_exc()}", flush=True)
    return run


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return {k: v.strip() for k, _, v in (line.partition(":") for line in f)}


def assert_sandboxed(pid, other_pid):
    status = proc_status(pid)
    assert "0" not in status["Uid"].split(), status["Uid"]
    assert status["CapEff"] == NO_CAPABILITIES, status["CapEff"]
    assert status["NoNewPrivs"] == "1", status["NoNewPrivs"]
    assert status["Seccomp"] == "2", status["Seccomp"]
    assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink(f"/proc/{other_pid}/ns/net")


def assert_no_frontend_death(log):
    assert "SIGSYS" not in log, log
    assert 'msg="frontend exited"' not in log, log


def serves_two_modems(base, context=None):
    def scraped():
        request = urllib.request.Request(base + "/metrics")
        with urllib.request.urlopen(request, timeout=30, context=context) as response:
            m = Metrics(response.read().decode())
        return m if m.has("modemmanager_modems") and m.value("modemmanager_modems") == 2 else None
    return wait_for(scraped, SLOW, what="two modems in /metrics")


bus = harness.PrivateBus()
mmsim = harness.start_mmsim(bus, timeout=SLOW)


@check("dpkg installed the package of this machine's architecture; its postinst made the user")
def _():
    machine = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert machine in ("arm64", "armhf"), machine
    fields = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Architecture}", "mm-exporter"],
                            capture_output=True, text=True, check=True).stdout
    assert fields == f"install ok installed {machine}", fields
    subprocess.run(["getent", "passwd", "mm-exporter"], check=True, stdout=subprocess.DEVNULL)


# --- One-command mode, as root ----------------------------------------------
exp = Exporter(bus.address)


@check("one-command mode: /metrics, gzip, /health and the landing page")
def _():
    serves_two_modems(exp.base)
    m = exp.scrape()
    assert m.has("modemmanager_exporter_build_info")
    zipped = exp.get("/metrics", headers={"Accept-Encoding": "gzip"})
    assert zipped.status == 200 and zipped.headers["Content-Encoding"] == "gzip"
    assert Metrics(gzip.decompress(zipped.body).decode()).value("modemmanager_modems") == 2
    assert exp.get("/health").status == 200
    page = exp.get("/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert b"/metrics" in page.body


@check("one-command mode: the frontend's sandbox (user, CapEff 0, NoNewPrivs, Seccomp 2, netns)")
def _():
    assert_sandboxed(exp.frontend_pid(), exp.process.pid)


@check("one-command mode: a reload (SIGHUP) replaces the frontend, which serves")
def _():
    before = exp.frontend_pid()
    exp.process.send_signal(signal.SIGHUP)
    wait_for(lambda: exp.frontend_pid() not in (None, before), SLOW, what="a new frontend")
    serves_two_modems(exp.base)
    assert_sandboxed(exp.frontend_pid(), exp.process.pid)


@check("one-command mode: stops cleanly, no frontend died (no SIGSYS) during the run")
def _():
    status, log = exp.stop(timeout=SLOW)
    assert status == 0, log
    assert "SIGHUP" in log, log
    assert_no_frontend_death(log)


# --- TLS with a web config --------------------------------------------------
@check("TLS: --web.config.file, /metrics over HTTPS, a reload keeps serving it")
def _():
    tls = os.path.join(PAYLOAD, "tls")
    web = os.path.join(tls, "web.yml")
    with open(web, "w") as f:
        f.write("tls_server_config:\n  cert_file: cert.pem\n  key_file: key.pem\n")
    exp_tls = Exporter(bus.address, [f"--web.config.file={web}"])
    try:
        base = exp_tls.base.replace("http://", "https://")
        context = ssl.create_default_context(cafile=os.path.join(tls, "cert.pem"))
        serves_two_modems(base, context)
        with urllib.request.urlopen(base + "/health", timeout=30, context=context) as r:
            assert r.status == 200
        exp_tls.process.send_signal(signal.SIGHUP)
        time.sleep(2)
        serves_two_modems(base, context)
        assert_sandboxed(exp_tls.frontend_pid(), exp_tls.process.pid)
    finally:
        status, log = exp_tls.stop(timeout=SLOW)
    assert status == 0, log
    assert_no_frontend_death(log)


# --- A forbidden syscall ----------------------------------------------------
@check("a forbidden syscall (socket(AF_INET) after accept) kills the frontend with SIGSYS")
def _():
    os.environ["LD_PRELOAD"] = os.path.join(PAYLOAD, "forbidden_after_accept.so")
    try:
        exp_bad = Exporter(bus.address)
    finally:
        del os.environ["LD_PRELOAD"]
    try:
        wait_for(lambda: exp_bad.frontend_pid(), SLOW, what="the frontend")
        time.sleep(1)
        try:
            http_get(exp_bad.url("/health"), timeout=30)
        except Exception:
            pass  # the connection dies with the frontend
        wait_for(lambda: "killed by its syscall filter (SIGSYS)" in exp_bad.log_text(), SLOW,
                 what="the collector to report SIGSYS")
    finally:
        exp_bad.stop(timeout=SLOW)


# --- The split systemd units ------------------------------------------------
@check("split units: socket-activated frontend under systemd serves, sandboxed")
def _():
    # The units use the system bus: a permissive one at its usual path, with
    # the simulated ModemManager on it.
    os.makedirs("/run/dbus", exist_ok=True)
    config = os.path.join(PAYLOAD, "system-bus.conf")
    with open(config, "w") as f:
        f.write(harness._BUS_CONFIG.format(socket="/run/dbus/system_bus_socket"))
    system_bus = harness.spawn(["dbus-daemon", f"--config-file={config}", "--nofork"])
    env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS="unix:path=/run/dbus/system_bus_socket")
    wait_for(lambda: os.path.exists("/run/dbus/system_bus_socket"), SLOW, what="the system bus")
    sim = harness.spawn([harness.PYTHON, str(harness.MMSIM), "--scenario",
                         str(harness.SCENARIOS / "two-modems.json")], env=env,
                        stdout=subprocess.DEVNULL)
    units = ["mm-exporter-collector.socket", "mm-exporter-collector.service",
             "mm-exporter.socket"]
    try:
        subprocess.run(["systemctl", "start", *units], check=True, timeout=SLOW)
        serves_two_modems("http://127.0.0.1:9539")
        assert http_get("http://127.0.0.1:9539/health", timeout=30).status == 200

        def main_pid(unit):
            out = subprocess.run(["systemctl", "show", "-p", "MainPID", "--value", unit],
                                 capture_output=True, text=True, check=True).stdout.strip()
            return int(out) if out and out != "0" else None
        frontend = wait_for(lambda: main_pid("mm-exporter-frontend.service"), SLOW,
                            what="the frontend service")
        collector = main_pid("mm-exporter-collector.service")
        assert_sandboxed(frontend, collector)
        subprocess.run(["systemctl", "reload", "mm-exporter-collector.service"], check=True,
                       timeout=SLOW)
        serves_two_modems("http://127.0.0.1:9539")
        for unit in ("mm-exporter-frontend.service", "mm-exporter-collector.service"):
            shown = subprocess.run(["systemctl", "show", "-p", "Result", "-p", "NRestarts", unit],
                                   capture_output=True, text=True, check=True).stdout.split()
            assert shown == ["Result=success", "NRestarts=0"], (unit, shown)
    finally:
        subprocess.run(["systemctl", "stop", *units, "mm-exporter-frontend.service"],
                       timeout=SLOW)
        harness.stop(sim)
        harness.stop(system_bus)


# --- The unit tests that need a real kernel's seccomp ------------------------
@check("unit tests that need a real kernel: the filter, the sandbox, a failed exec (not runnable under qemu-user)")
def _():
    with open(os.path.join(PAYLOAD, "kernel-tests.filter")) as f:
        test_filter = f.read().strip()
    result = subprocess.run([os.path.join(PAYLOAD, "unit-tests"), f"-tc={test_filter}"],
                            capture_output=True, text=True, timeout=900)
    print(result.stdout[-3000:], result.stderr[-2000:], flush=True)
    assert result.returncode == 0
    assert "0 failed" in result.stdout and " 0 passed" not in result.stdout


mmsim.stop()
bus.stop()
passed = sum(results)
print(f"MMX-SUMMARY: {passed} passed, {len(results) - passed} failed", flush=True)
sys.exit(0 if passed == len(results) and results else 1)
