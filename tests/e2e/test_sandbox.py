"""Privilege separation under attack (docs/SECURITY.md): the frontend a root
mm-exporter starts keeps nothing of root, and the collector is indifferent
to whatever a frontend, or anything else on its snapshot socket, does.

Tests that need root skip with the reason when not run as root; CI is root."""

import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

import pytest

import harness
from exporter import COLLECTOR, FRONTEND, Exporter, Metrics, http_get, wait_for

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
EMPTY_ROOT = "/run/mm-exporter/empty"
NO_CAPABILITIES = "0" * 16
FRAME_MAGIC = 0x31584D4D

needs_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="the frontend locks itself into a user, an empty root and a network namespace only "
           "when started as root (CI runs these tests as root)")


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def open_fds(pid):
    return {int(fd): os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}


def shared_dir(tmp_path):
    """A directory the frontend user may enter (pytest's tmp_path is root's alone)."""
    tmp_path.chmod(0o755)
    return tmp_path


@pytest.fixture
def exporter(mmsim, start_exporter):
    exp = start_exporter()
    exp.wait_metrics(lambda m: m.has("modemmanager_modems") and m.value("modemmanager_modems") == 2,
                     what="two modems")
    return exp


@needs_root
def test_frontend_started_as_root_keeps_nothing_of_root(exporter):
    pid = exporter.frontend_pid()
    collector = exporter.process.pid
    status = proc_status(pid)
    # The check docs/SECURITY.md gives operators.
    for ids in ("Uid", "Gid"):
        assert "0" not in status[ids].split(), f"{ids}: {status[ids]}"
    assert "0" not in status["Groups"].split()
    for caps in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
        assert status[caps] == NO_CAPABILITIES, f"{caps}: {status[caps]}"
    assert status["NoNewPrivs"] == "1"
    assert status["Seccomp"] == "2"

    # Its own network namespace, with nothing but a loopback device.
    assert os.readlink(f"/proc/{pid}/ns/net") != os.readlink(f"/proc/{collector}/ns/net")
    with open(f"/proc/{pid}/net/dev") as f:
        devices = [line.split(":")[0].strip() for line in f.readlines()[2:]]
    assert devices == ["lo"]

    # An empty root that only root can change.
    assert os.readlink(f"/proc/{pid}/root") == EMPTY_ROOT
    st = os.stat(EMPTY_ROOT)
    assert st.st_uid == 0 and st.st_mode & 0o022 == 0
    assert os.listdir(EMPTY_ROOT) == []

    # Descriptors: stdio as inherited, the snapshot socket, the listening
    # socket (the very one the collector bound), the eventfds of the receiver
    # and of the connection gate, the gate's epoll set and timer, and
    # /proc/self/{stat,fd} for process_*. No file, nothing of the collector's.
    wait_for(lambda: sum(t.startswith("socket:") for t in open_fds(pid).values()) == 2,
             what="no HTTP connection left open")
    fds = open_fds(pid)
    others = sorted(t for fd, t in fds.items() if fd > 2 and not t.startswith("socket:"))
    assert others == sorted(["anon_inode:[eventfd]"] * 2 + ["anon_inode:[eventpoll]", "anon_inode:[timerfd]"]
                            + [f"/proc/{pid}/stat", f"/proc/{pid}/fd"]), fds
    sockets = {t for fd, t in fds.items() if t.startswith("socket:")}
    collector_sockets = {t for t in open_fds(collector).values() if t.startswith("socket:")}
    listening = sockets & collector_sockets
    assert len(listening) == 1, (fds, collector_sockets)  # the listener both hold

    # And it serves, its own process_* read through those descriptors.
    m = exporter.scrape()
    assert m.value("modemmanager_modems") == 2
    assert m.value("process_open_fds", process="frontend") == len(fds)
    assert 16 < m.value("process_max_fds", process="frontend") < 1024
    assert m.value("process_resident_memory_bytes", process="frontend") > 0


@needs_root
def test_frontend_survives_being_stopped_and_continued(exporter):
    """A stopped and continued frontend resumes its waits through
    restart_syscall, which the filter must allow (so must the cgroup freezer)."""
    pid = exporter.frontend_pid()
    os.kill(pid, signal.SIGSTOP)
    time.sleep(0.3)
    os.kill(pid, signal.SIGCONT)
    exporter.wait_healthy(timeout=5)
    assert exporter.frontend_pid() == pid
    assert exporter.scrape().value("modemmanager_modems") == 2


@needs_root
def test_log_mode_logs_instead_of_killing_and_still_confines(mmsim, start_exporter):
    exp = start_exporter("--sandbox-mode=log")
    status = proc_status(exp.frontend_pid())
    assert status["Seccomp"] == "2"
    assert status["CapEff"] == NO_CAPABILITIES
    assert "0" not in status["Uid"].split()
    log = exp.log_text()
    assert "Sandbox in log mode" in log
    assert "never run like this in production" in log
    assert 'msg="Sandbox entered" mode=log' in log


def test_sandbox_mode_off_does_not_exist():
    for binary in (COLLECTOR, FRONTEND):
        args = [binary, "--sandbox-mode=off"]
        if binary == FRONTEND:
            args.insert(1, "--collector-socket=/nonexistent")
        result = subprocess.run(args, capture_output=True, text=True, timeout=10)
        assert result.returncode == 2, result.stderr
        assert "enforce or log" in result.stderr


def fake_frontend(tmp_path, body):
    """A script the collector starts in place of mm-exporter-frontend
    (--frontend-path); it gets the same descriptors: 3 = snapshot socket."""
    path = tmp_path / "fake-frontend"
    path.write_text(f"#!{sys.executable}\n" + body)
    path.chmod(0o755)
    return path


def start_times(log):
    stamps = re.findall(r'^time=(\S+) .*msg="started frontend"', log, re.M)
    return [time.mktime(time.strptime(s[:19], "%Y-%m-%dT%H:%M:%S")) + float(s[19:-1] or 0)
            for s in stamps]


def test_a_frontend_that_keeps_dying_makes_the_collector_give_up_loudly(bus, tmp_path):
    # Killed by SIGSYS, as a frontend whose filter misses a syscall would be.
    fake = fake_frontend(tmp_path, "import os, signal\nos.kill(os.getpid(), signal.SIGSYS)\n")
    exp = Exporter(bus.address, [f"--frontend-path={fake}"])
    status = exp.process.wait(20)
    log = exp.log_text()
    print(log)
    assert status == 1
    starts = start_times(log)
    assert len(starts) == 5  # and then no more
    # With backoff: 100, 200, 400, 800 ms between the starts.
    assert starts[-1] - starts[0] >= 1.4
    assert log.count("killed by its syscall filter (SIGSYS)") >= 4
    assert "--sandbox-mode=log names it" in log
    assert re.search(r'level=error .*giving up, exiting.* deaths=5', log), log


def test_a_frontend_that_writes_garbage_and_hangs_leaves_the_collector_unaffected(bus, mmsim,
                                                                                tmp_path):
    report = tmp_path / "writes"
    fake = fake_frontend(tmp_path, f"""
import errno, os, time
results = []
for _ in range(50):
    try:
        os.write(3, b"\\xff" * 4096 + b"GET /metrics HTTP/1.1\\r\\n\\r\\n")
        results.append("written")
    except OSError as e:
        results.append(errno.errorcode[e.errno])
open({str(report)!r}, "w").write(" ".join(sorted(set(results))))
time.sleep(600)  # and never read a snapshot
""")
    exp = Exporter(bus.address, [f"--frontend-path={fake}"])
    try:
        wait_for(lambda: report.exists() and report.read_text(), what="the fake's writes")
        # The collector's end was shut for reading: every write is refused.
        assert report.read_text() == "EPIPE"
        time.sleep(2)  # heartbeats pile up unread
        assert exp.process.poll() is None
        mmsim.client.update_modem(LTE, {"modem": {"signal_quality": [41, True]}})
        exp.process.send_signal(signal.SIGHUP)
        wait_for(lambda: "SIGHUP: resyncing" in exp.log_text(), what="the collector to resync")
    finally:
        started = time.monotonic()
        status, log = exp.stop(timeout=10)
    print(log)
    assert status == 0
    assert time.monotonic() - started < 5  # the hung frontend is killed after its grace
    assert "level=error" not in log
    # SIGHUP replaces the frontend (the hung one is stopped on purpose and
    # logged as "replaced frontend exited"); none exits by itself.
    assert 'msg="frontend exited"' not in log


def snapshot_client_as(uid, path):
    """A process of `uid` that connects to the snapshot socket and says
    whether the collector hung up on it ("eof") or sent it a snapshot."""
    directory, name = os.path.split(path)
    # Entered as root: pytest's directories above it are root's alone.
    code = ("import os, socket\n"
            f"os.chdir({directory!r})\n"
            f"os.setgid({uid}); os.setgroups([]); os.setuid({uid})\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            f"s.connect({name!r})\n"
            "print('connected', flush=True)\n"
            "s.settimeout(5)\n"
            "print('eof' if s.recv(1) == b'' else 'data', flush=True)\n")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)


def test_split_mode_collector_serves_its_frontend_whatever_other_clients_do(bus, mmsim, tmp_path):
    directory = shared_dir(tmp_path)
    sock = str(directory / "collector.sock")
    port = harness.free_port()
    collector_log = open(directory / "collector.log", "w+")
    collector = harness.spawn([COLLECTOR, f"--collector-socket={sock}"], env=bus.env(),
                              stderr=collector_log)
    frontend = None
    rogues = []
    try:
        wait_for(lambda: os.path.exists(sock), what="the snapshot socket")
        frontend = harness.spawn([FRONTEND, f"--collector-socket={sock}",
                                  f"--web.listen-address=127.0.0.1:{port}"],
                                 stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: http_get(base + "/health").status == 200, what="healthy")
        if os.geteuid() == 0:
            # Started as root, it runs as the frontend user inside the
            # socket's directory: the collector's SO_PEERCRED check let
            # that uid in.
            assert "0" not in proc_status(frontend.pid)["Uid"].split()
            assert os.readlink(f"/proc/{frontend.pid}/root") == str(directory)

        # Garbage, a client that never reads, one that comes and goes.
        garbage = socket.socket(socket.AF_UNIX)
        garbage.connect(sock)
        rogues.append(garbage)
        with pytest.raises(BrokenPipeError):
            for _ in range(100):
                garbage.send(b"\x00" * 65536)
        stalled = socket.socket(socket.AF_UNIX)
        stalled.connect(sock)
        rogues.append(stalled)
        for _ in range(20):
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.close()

        sequence = None
        for _ in range(3):
            time.sleep(1.2)  # more than a heartbeat
            m = Metrics(http_get(base + "/metrics").text)
            assert m.value("modemmanager_exporter_collector_up") == 1
            assert m.has("modemmanager_modem_info", device_id=LTE)
            total = m.value("modemmanager_exporter_snapshots_total")
            assert sequence is None or total > sequence  # heartbeats keep coming
            sequence = total
        assert collector.poll() is None

        if os.geteuid() == 0:
            # Anyone else is shut out at once.
            stranger = snapshot_client_as(12345, sock)
            out, _ = stranger.communicate(timeout=10)
            assert out.split() == ["connected", "eof"]
            collector_log.seek(0)
            assert re.search(r'msg="refused snapshot client" uid=12345', collector_log.read())
    finally:
        for s in rogues:
            s.close()
        if frontend:
            harness.stop(frontend)
        harness.stop(collector)
        collector_log.close()


def frame(payload, length=None):
    return struct.pack("<II", FRAME_MAGIC, len(payload) if length is None else length) + payload


MALFORMED_FRAMES = {
    "not a frame": b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
    "oversized": frame(b"", length=1 << 31),
    "segment count overflow": frame(struct.pack("<IIII", 0xFFFFFFFF, 1, 0, 0)),
    "segment beyond the frame": frame(struct.pack("<IIII", 0, 1000, 0, 0)),
    "a list where the snapshot belongs": frame(struct.pack("<II", 0, 1) + struct.pack("<II", 1, 0)),
    "truncated": frame(struct.pack("<IIII", 0, 1, 0, 0))[:12],
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_FRAMES))
def test_malformed_frames_drop_the_connection_and_report_collector_up_0(tmp_path, kind):
    directory = shared_dir(tmp_path)
    sock_path = str(directory / "collector.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(sock_path)
    os.chmod(sock_path, 0o666)
    listener.listen(4)
    listener.settimeout(10)
    port = harness.free_port()
    log = open(directory / "frontend.log", "w+")
    frontend = harness.spawn([FRONTEND, f"--collector-socket={sock_path}",
                              f"--web.listen-address=127.0.0.1:{port}"], stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        for attempt in range(2):  # and again after it reconnected
            connection, _ = listener.accept()
            connection.sendall(MALFORMED_FRAMES[kind])
            if kind == "truncated":
                connection.shutdown(socket.SHUT_WR)
            connection.settimeout(5)
            assert connection.recv(1) == b"", "the frontend kept the connection"
            connection.close()
            m = Metrics(http_get(base + "/metrics").text)
            assert m.value("modemmanager_exporter_collector_up") == 0
            # A stream cut in the middle of a frame is a lost connection,
            # not a refused frame.
            refused = 0 if kind == "truncated" else attempt + 1
            assert m.value("modemmanager_exporter_snapshots_refused_total") == refused
            assert not m.has("modemmanager_up")
            assert http_get(base + "/health").status == 503
            assert frontend.poll() is None
    finally:
        harness.stop(frontend)
        listener.close()
        log.seek(0)
        text = log.read()
        log.close()
        print(text)
    assert re.search(r"Lost the collector connection.* reason=\"(bad frame|malformed snapshot|"
                     r"collector closed the connection in the middle of a frame)", text), text
