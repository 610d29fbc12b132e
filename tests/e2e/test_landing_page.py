"""The landing page in a real browser: headless Chromium (Debian's
`chromium`, which scripts/install-deps.sh installs) loads it for a scenario
with every kind of modem the simulator has, with JavaScript on and off. The
rendered DOM must show every modem, its state and its signal; the console
must stay silent (the page carries its own Content-Security-Policy, so a
blocked style or asset would be logged there); screenshots are kept in
$MMX_BUILD_DIR/artifacts/ for a person to look at.

Chromium is driven through the DevTools protocol over --remote-debugging-pipe
(JSON messages on fds 3 and 4): no WebDriver, no websocket client, nothing
outside the standard library. --dump-dom would not do: it reads the DOM with
a script, so it returns nothing when JavaScript is off."""

import base64
import fcntl
import hashlib
import json
import os
import re
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

import harness
from exporter import BUILD, Exporter, wait_for

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(BUILD) / "artifacts"
# Every modem of these, on one simulated ModemManager: LTE with a busy
# bearer, a SIM-PIN-locked UMTS stick, 5G with two SIM slots and a failed
# bearer, GSM, CDMA 1x and EV-DO.
SCENARIOS = ["two-modems.json", "5g-dual-sim.json", "legacy-technologies.json"]

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="chromium is not installed: scripts/install-deps.sh installs it")


def rich_scenario(directory):
    modems = []
    for name in SCENARIOS:
        modems += json.loads((harness.SCENARIOS / name).read_text())["modems"]
    path = Path(directory) / "rich.json"
    path.write_text(json.dumps({"description": "every modem of " + ", ".join(SCENARIOS),
                                "modems": modems}))
    return path, modems


class Browser:
    """Headless Chromium on a private profile, one tab, driven over the
    DevTools pipe. Everything the page logs (console, CSP violations, failed
    loads, exceptions) is collected in .problems."""

    def __init__(self, profile, *args):
        to_chromium, self._to_chromium = os.pipe()
        self._from_chromium, from_chromium = os.pipe()

        def pipe_fds():
            # High copies first, so neither dup2 overwrites the other's source.
            read_end = fcntl.fcntl(to_chromium, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_chromium, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)
            harness._die_with_parent()

        # --no-sandbox: CI runs the tests as root, where Chromium's sandbox
        # refuses to start.
        self.process = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--disable-extensions", "--disable-background-networking", "--hide-scrollbars",
             "--remote-debugging-pipe", f"--user-data-dir={profile}", *args, "about:blank"],
            close_fds=False, preexec_fn=pipe_fds,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(to_chromium)
        os.close(from_chromium)
        self._buffer = b""
        self._next_id = 0
        self._events = []
        self.problems = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target,
                                  flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable", tab=True)

    def close(self):
        os.close(self._to_chromium)
        os.close(self._from_chromium)
        harness.stop(self.process)

    def _receive(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from_chromium], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from_chromium, 1 << 16)
            if not chunk:
                raise EOFError(f"chromium exited with status {self.process.wait()}")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        message = json.loads(message)
        method = message.get("method", "")
        params = message.get("params", {})
        if method == "Log.entryAdded" and params["entry"]["level"] in ("warning", "error"):
            self.problems.append(f"{params['entry']['source']}: {params['entry']['text']}")
        elif method == "Runtime.consoleAPICalled":
            self.problems.append(f"console.{params['type']}: {params['args']}")
        elif method == "Runtime.exceptionThrown":
            self.problems.append(f"exception: {params['exceptionDetails']}")
        return message

    def call(self, method, tab=False, timeout=30, **params):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if tab:
            message["sessionId"] = self._session
        os.write(self._to_chromium, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout)
            if reply.get("id") == self._next_id:
                assert "error" not in reply, f"{method}: {reply['error']}"
                return reply["result"]
            self._events.append(reply)

    def _wait_event(self, method, timeout=30):
        while True:
            for i, event in enumerate(self._events):
                if event.get("method") == method:
                    return self._events.pop(i)
            self._events.append(self._receive(timeout))

    def load(self, url, width=1280, height=900, mobile=False, dark=False):
        self.call("Emulation.setDeviceMetricsOverride", tab=True, width=width, height=height,
                  deviceScaleFactor=2 if mobile else 1, mobile=mobile)
        self.call("Emulation.setEmulatedMedia", tab=True, features=[
            {"name": "prefers-color-scheme", "value": "dark" if dark else "light"}])
        self._events.clear()
        self.call("Page.navigate", tab=True, url=url)
        self._wait_event("Page.loadEventFired")

    def dom(self):
        root = self.call("DOM.getDocument", tab=True)["root"]["nodeId"]
        return self.call("DOM.getOuterHTML", tab=True, nodeId=root)["outerHTML"]

    def screenshot(self, path, full_page=True):
        params = {"format": "png"}
        if full_page:
            size = self.call("Page.getLayoutMetrics", tab=True)["cssContentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        data = self.call("Page.captureScreenshot", tab=True, **params)["data"]
        Path(path).write_bytes(base64.b64decode(data))


@pytest.fixture
def browser(tmp_path):
    opened = []

    def open_browser(*args):
        opened.append(Browser(tmp_path / f"profile-{len(opened)}", *args))
        return opened[-1]

    yield open_browser
    for b in opened:
        b.close()


class PageModel(HTMLParser):
    """What a reader sees of each modem card: its device id, the state pill,
    the signal quality, the measured values and all of its text."""

    def __init__(self):
        super().__init__()
        self.modems = {}
        self.current = None
        self.depth = 0
        self.capture = None
        self.style_blocks = []
        self.in_style = False
        self.metas = []
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if tag == "style":
            self.in_style = True
            self.style_blocks.append("")
        if tag == "meta":
            self.metas.append(attrs)
        if tag == "a":
            self.links.append(attrs.get("href"))
        if tag == "article" and "modem" in classes:
            self.current = {"text": "", "state": None, "quality": None, "values": [],
                            "levels": []}
            self.modems[attrs["data-device-id"]] = self.current
            self.depth = 0
        if self.current is None:
            return
        self.depth += 1
        if tag == "span" and "pill" in classes and self.current["state"] is None:
            self.capture = "state"
        elif tag == "b" and self.current["quality"] is None:
            self.capture = "quality"
        elif tag == "li" and set(classes) & {"good", "fair", "poor"}:
            self.current["levels"].append(classes[0])

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False
        if self.current is None:
            return
        self.capture = None
        self.depth -= 1
        if tag == "article":
            self.current = None

    def handle_data(self, data):
        if self.in_style:
            self.style_blocks[-1] += data
        if self.current is None:
            return
        self.current["text"] += data + " "
        if self.capture and self.current[self.capture] is None:
            self.current[self.capture] = data.strip()


def parse(dom):
    model = PageModel()
    model.feed(dom)
    return model


def expected_values(modem):
    """'RSRP -96 dBm'-style texts the card must show for the scenario's
    extended signal values."""
    names = {"rssi": ("RSSI", "dBm"), "rsrq": ("RSRQ", "dB"), "rsrp": ("RSRP", "dBm"),
             "snr": ("SNR", "dB"), "sinr": ("SINR", "dB"), "rscp": ("RSCP", "dBm"),
             "ecio": ("Ec/Io", "dB"), "io": ("Io", "dBm"), "error-rate": ("Error rate", "%")}
    texts = []
    for technology, values in modem.get("signal", {}).items():
        if not isinstance(values, dict):
            continue
        for key, value in values.items():
            name, unit = names[key]
            number = f"{value:.1f}".rstrip("0").rstrip(".")
            texts.append(f"{name} {number} {unit}")
    return texts


def signal_quality(modem):
    quality = modem["modem"].get("signal_quality", 0)
    return quality[0] if isinstance(quality, list) else quality


def check_page(model, modems):
    assert set(model.modems) == {m["device_id"] for m in modems}
    for modem in modems:
        card = model.modems[modem["device_id"]]
        what = f"{modem['modem']['model']} ({modem['device_id'][:8]})"
        text = " ".join(card["text"].split())
        assert modem["modem"]["model"] in text, what
        assert card["state"] == modem["modem"]["state"], what
        assert card["quality"] == f"{signal_quality(modem)} %", what
        for value in expected_values(modem):
            assert value in text, f"{what}: {value!r} not in {text!r}"
        operator = modem.get("3gpp", {}).get("operator_name")
        if operator:
            assert operator in text, what
    # The thresholds colour the scenario's values: some good, some not.
    levels = {level for card in model.modems.values() for level in card["levels"]}
    assert {"good", "fair", "poor"} <= levels


def check_self_contained(dom, model):
    """One <style>, whose hash is what the page's own policy allows; no
    script, no style attribute, no absolute link."""
    assert len(model.style_blocks) == 1
    digest = hashlib.sha256(model.style_blocks[0].encode()).digest()
    policy = next(m["content"] for m in model.metas
                  if m.get("http-equiv", "").lower() == "content-security-policy")
    assert f"style-src 'sha256-{base64.b64encode(digest).decode()}'" in policy
    assert "default-src 'none'" in policy
    assert "<script" not in dom
    assert not re.search(r"\sstyle=", dom)
    assert any(m.get("name") == "viewport" for m in model.metas)
    assert model.links and all(link.startswith(("./", "../")) for link in model.links)


@pytest.fixture
def rich_exporter(bus, start_mmsim, tmp_path):
    scenario, modems = rich_scenario(tmp_path)
    start_mmsim(str(scenario))
    exporter = Exporter(bus.address, ["--signal-rate=1s"])
    try:
        exporter.wait_healthy()
        # 5G values appear only once the exporter's Signal.Setup reached the
        # modem: wait for them, so the browser sees the whole picture.
        wait_for(lambda: "5G NR" in exporter.get("/").text and
                 exporter.get("/").text.count('class="modem"') == len(modems),
                 timeout=15, what="every modem with its 5G values on the page")
        yield exporter, modems
    finally:
        status, log = exporter.stop()
        print(f"--- mm-exporter log ---\n{log}")
        assert status == 0, log


def test_landing_page_in_chromium(rich_exporter, browser):
    exporter, modems = rich_exporter
    url = exporter.url("/")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    chromium = browser()
    chromium.load(url)
    dom = chromium.dom()
    model = parse(dom)
    check_page(model, modems)
    check_self_contained(dom, model)
    assert "Collector" in dom and "ModemManager" in dom
    chromium.screenshot(ARTIFACTS / "landing-page.png")
    chromium.load(url, dark=True)
    chromium.screenshot(ARTIFACTS / "landing-page-dark.png")
    # A phone: the first screen as a person sees it, and the whole page.
    chromium.load(url, width=390, height=844, mobile=True)
    check_page(parse(chromium.dom()), modems)
    chromium.screenshot(ARTIFACTS / "landing-page-phone.png", full_page=False)
    chromium.screenshot(ARTIFACTS / "landing-page-phone-full.png")
    assert chromium.problems == []


def test_landing_page_without_javascript(rich_exporter, browser):
    exporter, modems = rich_exporter
    chromium = browser("--blink-settings=scriptEnabled=false")
    # The switch works: a page's script does not run.
    chromium.load("data:text/html,<title>before</title><script>document.title='ran'</script>")
    assert "<title>before</title>" in chromium.dom()
    chromium.problems.clear()
    chromium.load(exporter.url("/"))
    check_page(parse(chromium.dom()), modems)
    assert chromium.problems == []


def test_hostile_strings_stay_text_in_chromium(bus, start_mmsim, start_exporter, browser):
    start_mmsim("hostile-strings.json")
    exporter = start_exporter()
    chromium = browser()
    chromium.load(exporter.url("/"))
    dom = chromium.dom()
    model = parse(dom)
    # The browser read them as text and attribute values: quotes, braces and
    # newlines arrive as characters, and nothing they spell became markup.
    assert list(model.modems) == ['dev"ice\\id\n{with="label"}']
    card = next(iter(model.modems.values()))
    assert 'Acme "Quoted" \\ Backslash' in card["text"]
    assert '}"} 1' in card["text"]
    assert "<script" not in dom and "<img" not in dom
    assert chromium.problems == []
