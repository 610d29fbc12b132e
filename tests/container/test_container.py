"""The container image of docker/Dockerfile, run with podman the way README.md
and docker/ tell users to run it: the bus socket mounted at
/run/dbus/system_bus_socket, --cap-add SYS_ADMIN, no --privileged. Here the
socket is a private bus's with the simulated ModemManager on it.

scripts/test-container.sh builds the images and runs this file in a network
namespace of its own (so the compose file's fixed ports 9539 and 9090 are
free); it names the images in MMX_CONTAINER_IMAGE and MMX_PROMETHEUS_IMAGE.
"""

import json
import os
import re
import stat
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

import harness
from exporter import free_port, http_get, parse_exposition, wait_for
from test_tls_auth import Pki, curl

IMAGE = os.environ.get("MMX_CONTAINER_IMAGE")
PROMETHEUS_IMAGE = os.environ.get("MMX_PROMETHEUS_IMAGE")
if not IMAGE or not PROMETHEUS_IMAGE:
    raise RuntimeError("MMX_CONTAINER_IMAGE and MMX_PROMETHEUS_IMAGE are unset: "
                       "scripts/test-container.sh builds the images and runs these tests")
# Where the start-up time is written for scripts/test-container.sh to print.
MEASUREMENTS = os.environ.get("MMX_CONTAINER_MEASUREMENTS")

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker" / "docker-compose.yml"
# Every container started here carries it; scripts/test-container.sh removes
# whatever a killed run left behind.
LABEL = "io.mm-exporter.test=container"
COMPOSE_PROJECT = "mmx-container-test"
# The simulated modems (tests/mmsim/scenarios/two-modems.json).
MODEMS = {"92397d9b1c56befea399d67c90e21ba6b53728f8", "a27b99d8ea607432fe05f0075f707fca17a825c8"}
BINARIES = ("usr/local/bin/mm-exporter", "usr/local/bin/mm-exporter-frontend")


def podman(*args, check=True, timeout=60):
    result = subprocess.run(["podman", *args], capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result


def record(name, value):
    if MEASUREMENTS:
        path = Path(MEASUREMENTS)
        values = json.loads(path.read_text()) if path.exists() else {}
        values[name] = value
        path.write_text(json.dumps(values))


@pytest.fixture(scope="module")
def bus():
    private_bus = harness.PrivateBus()
    yield private_bus
    private_bus.stop()


@pytest.fixture(scope="module")
def mmsim(bus):
    sim = harness.start_mmsim(bus, "two-modems.json")
    yield sim
    sim.stop()


@pytest.fixture(scope="module")
def bus_socket(bus, mmsim):
    """The private bus's socket, which containers mount where the host's
    system bus socket would be."""
    return str(bus.path / "system_bus_socket")


@pytest.fixture(scope="module")
def image_root():
    """The image's file system, mounted read-only on the host."""
    path = podman("image", "mount", IMAGE).stdout.strip()
    yield Path(path)
    podman("image", "unmount", IMAGE, check=False)


class Container:
    """`podman run -d` of the image as the README runs it (port 9539
    published, the bus socket mounted, SYS_ADMIN added), with more options
    before the image name and the exporter's flags after it."""

    def __init__(self, bus_socket, *options, flags=()):
        self.port = free_port()
        argv = ["run", "-d", "--label", LABEL, "-p", f"{self.port}:9539", "--cap-add", "SYS_ADMIN",
                "-v", f"{bus_socket}:/run/dbus/system_bus_socket", *options, IMAGE, *flags]
        self.started = time.monotonic()
        self.id = podman(*argv).stdout.strip()

    def state(self, field):
        return podman("inspect", "--format", "{{.State." + field + "}}", self.id).stdout.strip()

    def logs(self):
        result = podman("logs", self.id, check=False)
        return result.stdout + result.stderr

    def frontend_pid(self):
        """The host pid of the frontend: the collector's (the container's
        pid 1) only child."""
        collector = int(self.state("Pid"))
        children = [int(p) for p in Path(f"/proc/{collector}/task/{collector}/children").read_text().split()]
        assert len(children) == 1, f"the collector has children {children}\n{self.logs()}"
        return children[0], collector

    def remove(self):
        podman("rm", "-f", "-t", "0", self.id, check=False)


@pytest.fixture
def run_container(bus_socket):
    started = []

    def run(*options, flags=()):
        started.append(Container(bus_socket, *options, flags=flags))
        return started[-1]

    yield run
    for container in started:
        print(f"--- container {container.id[:12]} log ---\n{container.logs()}")
        container.remove()


def modem_ids(text):
    return {labels["device_id"] for name, labels, _ in parse_exposition(text)
            if name == "modemmanager_modem_info"}


def wait_for_modems(url, container, *curl_args):
    """The /metrics text once it shows both simulated modems."""
    def ready():
        if container.state("Running") != "true":
            raise AssertionError(f"the container stopped:\n{container.logs()}")
        _, status, _, body = curl(url, *curl_args, timeout=2)
        return body if status == 200 and modem_ids(body) == MODEMS else None
    return wait_for(ready, 20, interval=0.02, what=f"both simulated modems at {url}")


def status_field(pid, name):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return line.split(":", 1)[1].split()
    raise AssertionError(f"/proc/{pid}/status has no {name}")


def passwd_entry(image_root, user):
    for line in (image_root / "etc" / "passwd").read_text().splitlines():
        fields = line.split(":")
        if fields[0] == user:
            return int(fields[2]), int(fields[3])
    raise AssertionError(f"the image has no user {user}")


def assert_sandboxed(container, image_root):
    uid, gid = passwd_entry(image_root, "mm-exporter")
    frontend, collector = container.frontend_pid()
    assert status_field(frontend, "Uid") == [str(uid)] * 4
    assert status_field(frontend, "Gid") == [str(gid)] * 4
    assert status_field(frontend, "Seccomp") == ["2"]
    assert status_field(frontend, "NoNewPrivs") == ["1"]
    assert status_field(frontend, "CapEff") == ["0000000000000000"]
    assert status_field(collector, "Uid")[0] == "0", "the collector runs as root in the container"
    ns = lambda pid, kind: os.readlink(f"/proc/{pid}/ns/{kind}")  # noqa: E731
    assert ns(frontend, "pid") == ns(collector, "pid"), "the frontend is not in the container"
    assert ns(frontend, "net") != ns(collector, "net"), "the frontend has no network namespace of its own"
    assert os.readlink(f"/proc/{frontend}/root").endswith("/run/mm-exporter/empty")


# ---------------------------------------------------------------- the image

def needed_libraries(path):
    dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic.stdout)


def interpreter(path):
    headers = subprocess.run(["readelf", "-l", str(path)], capture_output=True, text=True, check=True)
    m = re.search(r"\[Requesting program interpreter: (.+?)\]", headers.stdout)
    return m.group(1) if m else None


def test_image_holds_the_binaries_their_libraries_and_the_user_only(image_root):
    files, directories = set(), set()
    for dirpath, dirnames, filenames in os.walk(image_root):
        rel = Path(dirpath).relative_to(image_root)
        directories.update(str(rel / d) for d in dirnames)
        for name in filenames:
            st = (Path(dirpath) / name).lstat()
            assert not st.st_mode & (stat.S_ISUID | stat.S_ISGID), f"{rel / name} is set-id"
            files.add(str(rel / name))
        for d in dirnames:
            assert not (Path(dirpath) / d).is_symlink(), f"{rel / d} is a symlink"

    # The libraries: what the binaries need, resolved as the loader does
    # (the interpreter's directory and the multiarch directories), and what
    # those need in turn.
    library_dirs = sorted({str(Path(f).parent) for f in files if ".so" in Path(f).name})
    wanted = {BINARIES[0], BINARIES[1]}
    todo = list(wanted)
    while todo:
        path = todo.pop()
        found = [interpreter(image_root / path)] if path in BINARIES else []
        for soname in needed_libraries(image_root / path):
            candidates = [f"{d}/{soname}" for d in library_dirs if f"{d}/{soname}" in files]
            assert candidates, f"{path} needs {soname}, which the image lacks"
            found.append("/" + candidates[0])
        for library in found:
            if library and library.lstrip("/") not in wanted:
                wanted.add(library.lstrip("/"))
                todo.append(library.lstrip("/"))
    assert files == wanted | {"etc/passwd", "etc/group"}, \
        f"beyond the binaries and their libraries: {sorted(files - wanted)}"

    for db in ("passwd", "group"):
        names = [line.split(":")[0] for line in (image_root / "etc" / db).read_text().splitlines()]
        assert sorted(names) == ["mm-exporter", "root"], f"/etc/{db}: {names}"
    uid, gid = passwd_entry(image_root, "mm-exporter")
    assert uid != 0 and gid != 0
    # The frontend's empty root, made in the image for a read-only root.
    empty = image_root / "run" / "mm-exporter" / "empty"
    assert empty.is_dir() and not any(empty.iterdir())
    assert stat.S_IMODE(empty.stat().st_mode) == 0o555 and empty.stat().st_uid == 0


def test_binaries_in_the_image_report_their_version():
    for binary in BINARIES:
        result = podman("run", "--rm", "--label", LABEL, "--network", "none", "--entrypoint", f"/{binary}",
                        IMAGE, "--version")
        assert re.match(rf"{Path(binary).name}, version \d+\.\d+\.\d+", result.stdout), result.stdout


# ------------------------------------------------------------ running it

def test_serves_the_simulated_modems_health_and_landing_page(run_container, image_root):
    container = run_container()
    base = f"http://127.0.0.1:{container.port}"
    metrics = wait_for_modems(base + "/metrics", container)
    startup = time.monotonic() - container.started
    record("startup_seconds", round(startup, 3))
    print(f"start-up: {startup:.2f} s from `podman run -d` to both modems in /metrics")
    samples = {(name, tuple(sorted(labels.items()))): value for name, labels, value in parse_exposition(metrics)}
    assert samples[("modemmanager_up", ())] == 1
    assert samples[("modemmanager_exporter_collector_up", ())] == 1
    health = http_get(base + "/health")
    assert health.status == 200, health.text
    page = http_get(base + "/")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "Quectel" in page.text or "EC25" in page.text, page.text[:2000]
    assert_sandboxed(container, image_root)
    # Run as the README runs it: one capability added, not privileged.
    host_config = json.loads(podman("inspect", container.id).stdout)[0]["HostConfig"]
    assert host_config["Privileged"] is False
    assert "CAP_SYS_ADMIN" in host_config["CapAdd"], host_config["CapAdd"]


def test_web_config_mounted_read_only_serves_tls(run_container, tmp_path):
    config_dir = tmp_path / "web"
    config_dir.mkdir()
    pki = Pki(str(config_dir))
    os.chmod(pki.server_key, 0o600)  # read by the frontend while it is still root
    (config_dir / "web.yml").write_text("tls_server_config:\n"
                                        f"  cert_file: /etc/mm-exporter/{Path(pki.server_cert).name}\n"
                                        f"  key_file: /etc/mm-exporter/{Path(pki.server_key).name}\n")
    container = run_container("-v", f"{config_dir}:/etc/mm-exporter:ro",
                              flags=["--web.config.file=/etc/mm-exporter/web.yml"])
    url = f"https://localhost:{container.port}/metrics"
    wait_for_modems(url, container, "--cacert", pki.ca)
    assert curl(url)[0] == 60, "a certificate nobody trusts was accepted"  # CURLE_PEER_FAILED_VERIFICATION
    assert curl(url, "--cacert", pki.other_ca)[0] == 60
    assert "modemmanager_modem_info" not in curl(url.replace("https:", "http:"))[3]


def test_sigterm_stops_it_within_two_seconds_with_status_0(run_container):
    container = run_container()
    wait_for_modems(f"http://127.0.0.1:{container.port}/metrics", container)
    began = time.monotonic()
    podman("kill", "--signal", "TERM", container.id)
    status = podman("wait", "--interval", "20ms", container.id, timeout=10).stdout.strip()
    took = time.monotonic() - began
    record("sigterm_seconds", round(took, 3))
    assert status == "0", f"exit status {status}\n{container.logs()}"
    assert took < 2.0, f"took {took:.2f} s to stop"


@pytest.mark.parametrize("options", [
    ["--read-only"],  # podman's: tmpfs on /run, /tmp and /var/tmp
    ["--read-only", "--read-only-tmpfs=false"],  # docker's --read-only: nothing writable
], ids=["podman-read-only", "no-tmpfs"])
def test_read_only_root(run_container, image_root, options):
    container = run_container(*options)
    wait_for_modems(f"http://127.0.0.1:{container.port}/metrics", container)
    assert_sandboxed(container, image_root)


# ---------------------------------------------------------------- compose

# Debian 12's podman-compose cannot start a service with network_mode: host
# by itself; docker/podman-host-network.sh is the podman it is told to use,
# as docs/QUICKSTART.md tells Podman users.
PODMAN_COMPOSE = ["podman-compose", "--podman-path", str(ROOT / "docker" / "podman-host-network.sh"),
                  "-p", COMPOSE_PROJECT]


def compose(*args, files, check=True, timeout=120):
    argv = list(PODMAN_COMPOSE)
    for f in files:
        argv += ["-f", str(f)]
    result = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, f"{' '.join(argv + list(args))} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def test_compose_runs_the_exporter_and_prometheus_scrapes_it(bus_socket, tmp_path):
    """docker/docker-compose.yml as it is, but for what this machine cannot
    have: the host's bus socket (the private bus's is mounted instead) and
    Prometheus's image (Debian's prometheus in a local image); Grafana is left
    to users (not packaged in Debian)."""
    override = tmp_path / "compose.override.yml"
    override.write_text(f"""services:
  mm-exporter:
    volumes:
      - {bus_socket}:/run/dbus/system_bus_socket
  prometheus:
    image: {PROMETHEUS_IMAGE}
""")
    files = [COMPOSE_FILE, override]
    try:
        # The compose file as podman-compose reads it: the podman commands it
        # would run (it has no `config`; a dry run still makes the volumes
        # and the network, removed below).
        planned = compose("--dry-run", "up", "-d", "--no-build", files=[COMPOSE_FILE])
        runs = {m.group(1): m.group(0) for m in re.finditer(r"^\S+ run --name=\S+_(\S+)_1 .*$", planned, re.M)}
        assert set(runs) == {"mm-exporter", "prometheus", "grafana"}, planned
        for option in ("--network host", "--cap-add SYS_ADMIN",
                       "-v /run/dbus/system_bus_socket:/run/dbus/system_bus_socket", "mm-exporter:latest"):
            assert option in runs["mm-exporter"], f"{option} missing: {runs['mm-exporter']}"
        assert "--privileged" not in runs["mm-exporter"]
        # The image the compose file names is the one built from docker/Dockerfile.
        podman("tag", IMAGE, "localhost/mm-exporter:latest")
        compose("up", "-d", "--no-build", "mm-exporter", "prometheus", files=files)
        wait_for(lambda: http_get("http://127.0.0.1:9539/health", timeout=2).status == 200, 30,
                 what="the compose file's exporter on :9539")
        assert modem_ids(http_get("http://127.0.0.1:9539/metrics").text) == MODEMS

        def query(expr):
            result = http_get("http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(expr), timeout=2)
            data = json.loads(result.body)
            return {r["metric"].get("device_id", ""): r["value"][1] for r in data["data"]["result"]}

        # examples/prometheus/prometheus.yml scrapes every 15 s.
        scraped = wait_for(lambda: query("modemmanager_modem_info") or None, 60, interval=1,
                           what="Prometheus's first scrape of the exporter")
        assert set(scraped) == MODEMS
        assert query('up{job="modemmanager"}') == {"": "1"}
    finally:
        print(compose("logs", files=files, check=False)[-4000:])
        compose("down", "-v", files=files, check=False)
        # podman-compose made the project's network, which no service used.
        podman("network", "rm", "-f", f"{COMPOSE_PROJECT}_default", check=False)
