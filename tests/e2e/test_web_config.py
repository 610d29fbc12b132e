"""--web.config.file, --web.route-prefix and --web.external-url as the two
binaries take them: a bad file stops either at start-up with the field named,
and SIGHUP to a one-command mm-exporter starts a frontend that reads the file
again without refusing a connection."""

import os
import signal
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

from exporter import COLLECTOR, FRONTEND, wait_for

BAD_CONFIG = "tls_server_config:\n  client_auth_type: Foo\n"
# No TLS, so the tests can keep using plain HTTP; the headers make it a
# config the frontend loads.
GOOD_CONFIG = "http_server_config:\n  headers:\n    X-Frame-Options: deny\n"


def run(binary, *args):
    if binary == FRONTEND:
        args = ("--collector-socket=/nonexistent",) + args
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=10)


@pytest.mark.parametrize("binary", [COLLECTOR, FRONTEND])
def test_a_bad_web_config_exits_2_naming_file_and_field(binary, tmp_path):
    config = tmp_path / "web.yml"
    config.write_text(BAD_CONFIG)
    result = run(binary, f"--web.config.file={config}")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    program = os.path.basename(binary)
    assert lines[0].startswith(
        f'{program}: --web.config.file: {config}: tls_server_config.client_auth_type: '
        f'unknown value "Foo"'), lines[0]


@pytest.mark.parametrize("binary", [COLLECTOR, FRONTEND])
def test_a_missing_certificate_file_is_named(binary, tmp_path):
    config = tmp_path / "web.yml"
    config.write_text("tls_server_config:\n  cert_file: tls/server.crt\n  key_file: server.key\n")
    result = run(binary, f"--web.config.file={config}")
    assert result.returncode == 2, result.stderr
    assert (f"tls_server_config.cert_file: {tmp_path}/tls/server.crt: No such file or directory"
            in result.stderr)


@pytest.mark.parametrize("binary", [COLLECTOR, FRONTEND])
@pytest.mark.parametrize("flag,needle", [
    ("--web.external-url=proxy/mm", "--web.external-url: \"proxy/mm\" is not an absolute"),
    ("--web.route-prefix=/a/../b", "--web.route-prefix: \"/a/../b\" has a \".\" or \"..\""),
])
def test_bad_route_flags_exit_2(binary, flag, needle):
    result = run(binary, flag)
    assert result.returncode == 2, result.stderr
    assert needle in result.stderr


def test_web_config_file_with_collector_socket_is_refused(tmp_path):
    config = tmp_path / "web.yml"
    config.write_text(GOOD_CONFIG)
    result = run(COLLECTOR, "--collector-socket=/tmp/x.sock", f"--web.config.file={config}")
    assert result.returncode == 2, result.stderr
    assert "give it to mm-exporter-frontend" in result.stderr


def test_sighup_restarts_the_frontend_without_refusing_a_connection(mmsim, start_exporter,
                                                                    tmp_path):
    config = tmp_path / "web.yml"
    config.write_text(GOOD_CONFIG)
    exporter = start_exporter(f"--web.config.file={config}")
    first = exporter.frontend_pid()
    assert first

    failures = []
    stop = threading.Event()

    def hammer():
        while not stop.is_set():
            try:
                with urllib.request.urlopen(exporter.url("/health"), timeout=5) as response:
                    response.read()
            except urllib.error.HTTPError:
                pass  # a 503 while the new frontend gets its first snapshot is an answer
            except OSError as e:
                failures.append(repr(e))

    thread = threading.Thread(target=hammer)
    thread.start()
    try:
        os.kill(exporter.process.pid, signal.SIGHUP)
        second = wait_for(lambda: (pid := exporter.frontend_pid()) not in (None, first) and pid,
                          timeout=5, what="a new frontend")
        wait_for(lambda: not os.path.exists(f"/proc/{first}") or
                 open(f"/proc/{first}/stat").read().split()[2] == "Z",
                 timeout=5, what="the replaced frontend to exit")
        exporter.wait_healthy(timeout=5)

        # A broken file is reported and the running frontend kept.
        config.write_text(BAD_CONFIG)
        os.kill(exporter.process.pid, signal.SIGHUP)
        wait_for(lambda: "not restarting the frontend" in exporter.log_text(), timeout=5,
                 what="the refusal in the log")
        assert exporter.frontend_pid() == second
    finally:
        stop.set()
        thread.join()
    assert failures == [], failures[:5]
    log = exporter.log_text()
    assert "replacing frontend" in log
    assert 'tls_server_config.client_auth_type: unknown value \\"Foo\\"' in log or \
        'unknown value "Foo"' in log


def test_check_web_config_reads_the_file_and_serves_nothing(tmp_path):
    config = tmp_path / "web.yml"
    config.write_text(GOOD_CONFIG)
    # No collector and no listening address: the check needs neither.
    good = subprocess.run([FRONTEND, "--check-web-config", f"--web.config.file={config}",
                           "--web.listen-address=127.0.0.1:1"],
                          capture_output=True, text=True, timeout=10)
    assert good.returncode == 0, good.stderr
    assert "Listening" not in good.stderr
    config.write_text(BAD_CONFIG)
    bad = subprocess.run([FRONTEND, "--check-web-config", f"--web.config.file={config}"],
                         capture_output=True, text=True, timeout=10)
    assert bad.returncode == 2
    assert 'tls_server_config.client_auth_type: unknown value "Foo"' in bad.stderr


def test_the_collector_maps_neither_openssl_nor_yaml_cpp(mmsim, start_exporter, tmp_path):
    """The frontend checks the file for the collector, so the process that
    stays resident as root carries no TLS or YAML code."""
    config = tmp_path / "web.yml"
    config.write_text(GOOD_CONFIG)
    exporter = start_exporter(f"--web.config.file={config}")

    def libraries(pid):
        with open(f"/proc/{pid}/maps") as maps:
            return {os.path.basename(line.split()[-1]) for line in maps if ".so" in line}

    frontend = libraries(exporter.frontend_pid())
    collector = libraries(exporter.process.pid)
    heavy = ("libssl.so", "libcrypto.so", "libyaml-cpp.so")
    assert all(any(lib.startswith(h) for lib in frontend) for h in heavy), sorted(frontend)
    assert not [lib for lib in collector if lib.startswith(heavy)], sorted(collector)
