"""TLS, client certificates and basic auth from --web.config.file (the
exporter-toolkit format), and the exporter behind nginx under /mm/: each as a
user would set it up, checked with curl, openssl s_client and nginx.
Certificates are made here with openssl."""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
import warnings

import pytest

from exporter import Exporter, free_port, wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # libxcrypt's crypt(3): the same code the exporter checks with

OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)

pytestmark = pytest.mark.skipif(OPENSSL is None or CURL is None,
                                reason="openssl and curl are installed by scripts/install-deps.sh")

PASSWORD = "correct horse battery staple"


def bcrypt_hash(password, cost=4):
    # Cost 4 keeps the tests fast; the flood test sets its own.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** cost))


class Pki:
    """A CA with a server and a client certificate, and a second CA (with
    its own client certificate) that nobody should trust."""

    def __init__(self, directory):
        self.dir = directory
        for name in ("ca", "other-ca"):
            self._run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                      "-keyout", f"{name}.key", "-out", f"{name}.crt", "-days", "2",
                      "-subj", f"/CN=mm-exporter test {name}")
        self.server_cert, self.server_key = self._leaf(
            "server", "ca", "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n")
        self.client_cert, self.client_key = self._leaf("client", "ca", "extendedKeyUsage=clientAuth\n")
        self.other_client_cert, self.other_client_key = self._leaf(
            "other-client", "other-ca", "extendedKeyUsage=clientAuth\n")
        self.ca = os.path.join(directory, "ca.crt")
        self.other_ca = os.path.join(directory, "other-ca.crt")

    def _run(self, *args):
        subprocess.run([OPENSSL, *args], cwd=self.dir, check=True, capture_output=True)

    def _leaf(self, name, ca, extensions):
        with open(os.path.join(self.dir, f"{name}.ext"), "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\n" + extensions)
        self._run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                  "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}")
        self._run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
                  "-CAcreateserial", "-out", f"{name}.crt", "-days", "2", "-extfile", f"{name}.ext")
        return os.path.join(self.dir, f"{name}.crt"), os.path.join(self.dir, f"{name}.key")


@pytest.fixture(scope="module")
def pki():
    with tempfile.TemporaryDirectory(prefix="mmx-pki-") as directory:
        yield Pki(directory)


def write_config(directory, text):
    path = os.path.join(directory, "web.yml")
    with open(path, "w") as f:
        f.write(text)
    return path


def curl(url, *args, timeout=10):
    """(exit code, HTTP status or 0, headers, body) of one request."""
    proc = subprocess.run([CURL, "-sS", "-D", "-", "--max-time", str(timeout), *args, url],
                          capture_output=True, text=True)
    status, headers, body = 0, {}, proc.stdout
    if proc.returncode == 0:
        # Text mode has turned every CRLF into LF.
        head, _, body = proc.stdout.partition("\n\n")
        lines = head.split("\n")
        status = int(lines[0].split()[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return proc.returncode, status, headers, body


def modem_metrics(url, *args):
    """The body of `url` once it shows the modems (the collector's first
    snapshot may come a moment after /health turns 200)."""
    def ready():
        code, status, _, body = curl(url, *args)
        return body if status == 200 and "modemmanager_modem_info{" in body else None
    return wait_for(ready, 10, what=f"modem series at {url}")


class TlsExporter:
    """mm-exporter in one-command mode with a web config; stopped by close()."""

    def __init__(self, bus, config, *flags, ready_args=()):
        self.exporter = Exporter(bus.address, (f"--web.config.file={config}", *flags))
        self.port = self.exporter.port
        self.https = f"https://127.0.0.1:{self.port}"
        wait_for(lambda: curl(self.https + "/health", *ready_args)[1] in (200, 401), 15,
                 what="the exporter answering over TLS")

    def close(self):
        status, log = self.exporter.stop()
        print(f"--- mm-exporter log ---\n{log}")
        assert status == 0, f"mm-exporter exited with {status}\n{log}"


@pytest.fixture
def tls_exporter(bus, mmsim):
    started = []

    def start(config, *flags, ready_args=()):
        started.append(TlsExporter(bus, config, *flags, ready_args=ready_args))
        return started[-1]

    yield start
    for exp in started:
        exp.close()


def test_tls_with_the_right_ca_and_not_with_another(pki, tls_exporter, tmp_path):
    config = write_config(tmp_path, f"""
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
""")
    exp = tls_exporter(config, ready_args=("--cacert", pki.ca))
    modem_metrics(exp.https + "/metrics", "--cacert", pki.ca)
    code, status, headers, body = curl(exp.https + "/metrics", "--cacert", pki.ca)
    assert (code, status) == (0, 200)
    assert headers["x-content-type-options"] == "nosniff"
    # The same over IPv6 is not listened on here; a wrong CA fails the handshake.
    code, *_ = curl(exp.https + "/metrics", "--cacert", pki.other_ca)
    assert code == 60, "curl: peer certificate cannot be authenticated with the given CA"
    # Plain HTTP to a TLS port gets no page.
    code, status, *_ = curl(f"http://127.0.0.1:{exp.port}/metrics")
    assert status != 200


def s_client(port, *args):
    proc = subprocess.run([OPENSSL, "s_client", "-connect", f"127.0.0.1:{port}", "-brief", *args],
                          input="", capture_output=True, text=True, timeout=20)
    return proc.returncode, proc.stdout + proc.stderr


def test_old_tls_versions_are_refused(pki, tls_exporter, tmp_path):
    config = write_config(tmp_path, f"""
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
""")
    exp = tls_exporter(config, ready_args=("--cacert", pki.ca))
    # The client is made willing (security level 0), so a failure is the server's refusal.
    code, out = s_client(exp.port, "-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert code != 0, out
    assert "Protocol version: TLSv1.1" not in out
    code, out = s_client(exp.port, "-tls1_2")
    assert code == 0, out
    assert "TLSv1.2" in out


def test_min_version_tls13(pki, tls_exporter, tmp_path):
    config = write_config(tmp_path, f"""
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
  min_version: TLS13
""")
    exp = tls_exporter(config, ready_args=("--cacert", pki.ca))
    code, out = s_client(exp.port, "-tls1_2")
    assert code != 0, out
    code, out = s_client(exp.port, "-tls1_3")
    assert code == 0, out


def test_client_certificates_required_and_verified(pki, tls_exporter, tmp_path):
    config = write_config(tmp_path, f"""
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: {pki.ca}
""")
    good = ("--cacert", pki.ca, "--cert", pki.client_cert, "--key", pki.client_key)
    exp = tls_exporter(config, ready_args=good)
    modem_metrics(exp.https + "/metrics", *good)
    code, status, *_ = curl(exp.https + "/metrics", "--cacert", pki.ca)
    assert status == 0 and code != 0, "no client certificate: refused"
    code, status, *_ = curl(exp.https + "/metrics", "--cacert", pki.ca,
                            "--cert", pki.other_client_cert, "--key", pki.other_client_key)
    assert status == 0 and code != 0, "a certificate from another CA: refused"


def test_basic_auth(pki, tls_exporter, tmp_path):
    config = write_config(tmp_path, f"""
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
basic_auth_users:
  prometheus: {bcrypt_hash(PASSWORD)}
""")
    exp = tls_exporter(config, ready_args=("--cacert", pki.ca))
    for path in ("/metrics", "/", "/health"):
        code, status, headers, _ = curl(exp.https + path, "--cacert", pki.ca)
        assert status == 401, path
        assert headers["www-authenticate"].startswith('Basic realm="mm-exporter"')
    modem_metrics(exp.https + "/metrics", "--cacert", pki.ca, "-u", f"prometheus:{PASSWORD}")
    assert curl(exp.https + "/metrics", "--cacert", pki.ca, "-u", "prometheus:wrong")[1] == 401
    assert curl(exp.https + "/metrics", "--cacert", pki.ca, "-u", f"nobody:{PASSWORD}")[1] == 401


def test_a_flood_of_bad_passwords_does_not_starve_a_scrape(pki, tls_exporter, tmp_path):
    # Cost 10, a realistic hash: every wrong password costs a real bcrypt.
    config = write_config(tmp_path, f"""
tls_server_config:
  cert_file: {pki.server_cert}
  key_file: {pki.server_key}
basic_auth_users:
  prometheus: {bcrypt_hash(PASSWORD, cost=10)}
""")
    exp = tls_exporter(config, ready_args=("--cacert", pki.ca))
    auth = ("--cacert", pki.ca, "-u", f"prometheus:{PASSWORD}")
    assert curl(exp.https + "/metrics", *auth)[1] == 200  # a scraper that was there first

    stop = threading.Event()
    refused = []

    def flood(user):
        while not stop.is_set():
            refused.append(curl(exp.https + "/metrics", "--cacert", pki.ca, "-u", f"{user}:guess")[1])

    flooders = [threading.Thread(target=flood, args=(u,)) for u in ("prometheus", "admin") * 4]
    for t in flooders:
        t.start()
    try:
        time.sleep(1)
        latencies = []
        for _ in range(10):
            started = time.monotonic()
            code, status, _, body = curl(exp.https + "/metrics", *auth)
            latencies.append(time.monotonic() - started)
            assert status == 200, (code, status, body[:200])
            time.sleep(0.2)
    finally:
        stop.set()
        for t in flooders:
            t.join()
    print(f"scrape latency under the flood: max {max(latencies) * 1000:.0f} ms; "
          f"{len(refused)} bad attempts answered {sorted(set(refused))}")
    assert max(latencies) < 1.0
    assert refused and set(refused) <= {401, 503}


def test_an_invalid_config_names_the_field(bus, tmp_path):
    config = write_config(tmp_path, """
tls_server_config:
  cert_file: /nonexistent.crt
  key_file: /nonexistent.key
  client_auth_type: Sometimes
""")
    exp = Exporter(bus.address, (f"--web.config.file={config}",))
    try:
        exp.process.wait(10)
    finally:
        status, log = exp.stop()
    assert status == 2, log
    assert "client_auth_type" in log or "cert_file" in log, log


NGINX_CONF = """
daemon off;
user root;
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location /mm/ {{
      proxy_pass http://unix:{socket}:/mm/;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-Proto https;
    }}
  }}
}}
"""


@pytest.mark.skipif(NGINX is None, reason="nginx-light is installed by scripts/install-deps.sh")
def test_behind_nginx_under_a_path_prefix(pki, bus, mmsim, tmp_path):
    socket_path = tmp_path / "mm-exporter.sock"
    port = free_port()
    exp = Exporter(bus.address, (f"--web.listen-address=unix:{socket_path}",
                                 f"--web.external-url=https://127.0.0.1:{port}/mm/"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=tmp_path, port=port, cert=pki.server_cert,
                                      key=pki.server_key, socket=socket_path))
    nginx = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"https://127.0.0.1:{port}/mm/"
    try:
        wait_for(lambda: curl(base + "health", "--cacert", pki.ca)[1] == 200, 15,
                 what="the exporter through nginx")
        modem_metrics(base + "metrics", "--cacert", pki.ca)
        code, status, _, page = curl(base, "--cacert", pki.ca)
        assert status == 200 and "<html" in page
        links = set(re.findall(r'href="([^"#]+)"', page))
        assert links, page[:500]
        for link in links:
            if link.startswith(("http:", "https:", "mailto:")):
                continue
            url = urllib.parse.urljoin(base, link)
            assert url.startswith(base), f"{link} leaves the prefix: {url}"
            assert curl(url, "--cacert", pki.ca)[1] == 200, url
        # The exporter serves only under its prefix, so nothing outside it
        # answers even without nginx in front.
        code, status, *_ = curl("http://localhost/metrics", "--unix-socket", str(socket_path))
        assert status == 404
        code, status, *_ = curl("http://localhost/mm/metrics", "--unix-socket", str(socket_path))
        assert status == 200
    finally:
        nginx.terminate()
        nginx.wait(5)
        status, log = exp.stop()
        print(f"--- mm-exporter log ---\n{log}")
    assert status == 0, log
