#include <ModemManager.h>
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "landing_page.h"
#include "signal_levels.h"
#include "snapshot_fixtures.h"

namespace {

mmx::LandingInfo info() {
  mmx::LandingInfo i;
  i.version = "0.1.0";
  i.revision = "0123456789ab";
  i.now_unix_nanos = mmx::test::kSnapshotUnixNanos + 1'500'000'000;
  return i;
}

bool contains(std::string_view page, std::string_view part) {
  return page.find(part) != std::string_view::npos;
}

std::size_t count(std::string_view page, std::string_view part) {
  std::size_t n = 0;
  for (auto at = page.find(part); at != std::string_view::npos; at = page.find(part, at + 1)) ++n;
  return n;
}

// The card of the modem with `index`: from its <article> to the next.
std::string card(const std::string& page, std::size_t index) {
  const auto begin = page.find("data-device-id=\"" + mmx::test::device_id(index) + "\"");
  if (begin == std::string::npos) return {};
  return page.substr(begin, page.find("</article>", begin) - begin);
}

}  // namespace

TEST_CASE("landing_page: links are relative so a reverse proxy prefix keeps working") {
  CHECK(mmx::relative_link("/", "/metrics") == "./metrics");
  CHECK(mmx::relative_link("/", "/health") == "./health");
  CHECK(mmx::relative_link("/index.html", "/metrics") == "./metrics");
  CHECK(mmx::relative_link("/a/", "/metrics") == "../metrics");
  CHECK(mmx::relative_link("/a/b", "/metrics") == "../metrics");
  CHECK(mmx::relative_link("/a/b/", "/x/metrics") == "../../x/metrics");
  CHECK(mmx::relative_link("", "/metrics") == "./metrics");
  CHECK(mmx::relative_link("/", "/mm:metrics") == "./mm:metrics");  // not a URL scheme
  CHECK(mmx::relative_link("/", "/my metrics\"<x>?#") == "./my%20metrics%22%3Cx%3E%3F%23");
}

TEST_CASE("signal_levels: LTE and 5G NR bands, boundaries inclusive") {
  using mmx::RadioTechnology;
  using mmx::SignalLevel;
  using mmx::SignalMeasure;
  for (auto tech : {RadioTechnology::kLte, RadioTechnology::kNr5g}) {
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrp, -80) == SignalLevel::kGood);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrp, -90) == SignalLevel::kGood);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrp, -90.5) == SignalLevel::kFair);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrp, -100) == SignalLevel::kFair);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrp, -101) == SignalLevel::kPoor);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrq, -15) == SignalLevel::kGood);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrq, -18) == SignalLevel::kFair);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRsrq, -21) == SignalLevel::kPoor);
    for (auto m : {SignalMeasure::kSnr, SignalMeasure::kSinr}) {
      CHECK(mmx::rate_signal(tech, m, 20) == SignalLevel::kGood);
      CHECK(mmx::rate_signal(tech, m, 13) == SignalLevel::kGood);
      CHECK(mmx::rate_signal(tech, m, 0) == SignalLevel::kFair);
      CHECK(mmx::rate_signal(tech, m, -0.5) == SignalLevel::kPoor);
    }
  }
  CHECK(mmx::rate_signal(RadioTechnology::kLte, SignalMeasure::kRssi, -75) == SignalLevel::kGood);
  CHECK(mmx::rate_signal(RadioTechnology::kLte, SignalMeasure::kRssi, -80) == SignalLevel::kFair);
  CHECK(mmx::rate_signal(RadioTechnology::kLte, SignalMeasure::kRssi, -86) == SignalLevel::kPoor);
}

TEST_CASE("signal_levels: UMTS, GSM, CDMA and EV-DO bands") {
  using mmx::RadioTechnology;
  using mmx::SignalLevel;
  using mmx::SignalMeasure;
  CHECK(mmx::rate_signal(RadioTechnology::kUmts, SignalMeasure::kRscp, -80) == SignalLevel::kGood);
  CHECK(mmx::rate_signal(RadioTechnology::kUmts, SignalMeasure::kRscp, -85) == SignalLevel::kFair);
  CHECK(mmx::rate_signal(RadioTechnology::kUmts, SignalMeasure::kRscp, -105) == SignalLevel::kPoor);
  CHECK(mmx::rate_signal(RadioTechnology::kUmts, SignalMeasure::kEcio, -4.5) == SignalLevel::kGood);
  CHECK(mmx::rate_signal(RadioTechnology::kUmts, SignalMeasure::kEcio, -12) == SignalLevel::kFair);
  CHECK(mmx::rate_signal(RadioTechnology::kUmts, SignalMeasure::kEcio, -24) == SignalLevel::kPoor);
  for (auto tech : {RadioTechnology::kGsm, RadioTechnology::kUmts, RadioTechnology::kCdma,
                    RadioTechnology::kEvdo}) {
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRssi, -85) == SignalLevel::kGood);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRssi, -95) == SignalLevel::kFair);
    CHECK(mmx::rate_signal(tech, SignalMeasure::kRssi, -101) == SignalLevel::kPoor);
  }
  CHECK(mmx::rate_signal(RadioTechnology::kCdma, SignalMeasure::kEcio, -6.5) == SignalLevel::kGood);
}

TEST_CASE("signal_levels: no band in common use or no value leaves a measure uncoloured") {
  using mmx::RadioTechnology;
  using mmx::SignalMeasure;
  CHECK_FALSE(mmx::rate_signal(RadioTechnology::kEvdo, SignalMeasure::kSinr, 3.5));
  CHECK_FALSE(mmx::rate_signal(RadioTechnology::kEvdo, SignalMeasure::kIo, -80));
  CHECK_FALSE(mmx::rate_signal(RadioTechnology::kGsm, SignalMeasure::kErrorRate, 2.5));
  CHECK_FALSE(mmx::rate_signal(RadioTechnology::kLte, SignalMeasure::kRscp, -80));
  CHECK_FALSE(mmx::rate_signal(RadioTechnology::kLte, SignalMeasure::kRsrp, std::nan("")));
}

TEST_CASE("signal_levels: signal quality percentage") {
  CHECK(mmx::rate_signal_quality(100) == mmx::SignalLevel::kGood);
  CHECK(mmx::rate_signal_quality(60) == mmx::SignalLevel::kGood);
  CHECK(mmx::rate_signal_quality(59) == mmx::SignalLevel::kFair);
  CHECK(mmx::rate_signal_quality(30) == mmx::SignalLevel::kFair);
  CHECK(mmx::rate_signal_quality(29) == mmx::SignalLevel::kPoor);
  CHECK(mmx::rate_signal_quality(0) == mmx::SignalLevel::kPoor);
}

TEST_CASE("landing_page: a phone-ready page with the exporter's links, version and health") {
  mmx::test::SnapshotFixture f(2);
  const std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(contains(page, "<meta charset=\"utf-8\">"));
  CHECK(contains(page, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
  CHECK(contains(page, "<h1>mm-exporter<small>"));
  CHECK(contains(page, "<nav><a href=\"./metrics\">Metrics</a><a href=\"./health\">Health</a>"));
  CHECK(contains(page,
                 "<footer><div class=\"wrap\">mm-exporter <span class=\"version\">0.1.0</span> "
                 "<span class=\"muted\">(revision 0123456789ab)</span> &middot; "
                 "<a href=\"./metrics\">/metrics</a><a href=\"./health\">/health</a>"));
  CHECK(contains(page, "<li class=\"good\"><span>Collector</span><b>up</b></li>"));
  CHECK(contains(page, "<li class=\"good\"><span>Snapshot age</span><b>1.5 s</b></li>"));
  CHECK(contains(page, "<li class=\"good\"><span>ModemManager</span><b>1.20.4</b></li>"));
  CHECK(contains(page, "<span>Modems</span><b>2 <small class=\"muted\">(2 connected)</small>"));
  CHECK(contains(page, "<span>Last collection</span><b>ok <small class=\"muted\">in 12.5 ms"));
  // Kinds in order, as the checked snapshot has them (the fixture lists
  // timeout first).
  CHECK(contains(page,
                 "<li class=\"fair\"><span>D-Bus errors</span><b>3 <small "
                 "class=\"muted\">(dbus_error 1, timeout 2)</small>"));
  CHECK(count(page, "<article class=\"modem\"") == 2);
  CHECK_FALSE(contains(page, "<script"));
  CHECK_FALSE(contains(page, "http://"));
  CHECK_FALSE(contains(page, "https://"));
  CHECK(page.ends_with("</html>\n"));
}

TEST_CASE("landing_page: a modem's state, operator, technology, signal, bearer and SIM") {
  mmx::test::SnapshotFixture f(2);
  const std::string page = mmx::render_landing_page(f.reader(), info());
  const std::string c = card(page, 1);
  const std::string id = mmx::test::device_id(1);
  CHECK(contains(c, "<h3>Quectel EM12-G</h3>"));
  CHECK(contains(c, "<code title=\"" + id + "\">" + id.substr(0, 8) + "</code>"));
  CHECK(contains(c, "<span class=\"pill good\">connected</span>"));
  CHECK(contains(c, "<dt>Operator</dt><dd>vodafone ES <span class=\"muted\">21401</span></dd>"));
  CHECK(contains(c, "<dt>Registration</dt><dd><span class=\"good\">home</span></dd>"));
  CHECK(contains(c, "<dt>Technology</dt><dd>lte</dd>"));
  // 54 %: fair, and a bar rounded to the nearest 5 %.
  CHECK(contains(c, "<i class=\"fair w55\"></i></div><b class=\"fair\">54 %</b>"));
  CHECK(contains(c,
                 "<dt>LTE</dt><dd><ul class=\"vals\">"
                 "<li class=\"fair\" title=\"fair\"><small>RSRP</small>-96 dBm</li>"
                 "<li class=\"good\" title=\"good\"><small>RSRQ</small>-9.5 dB</li>"
                 "<li class=\"good\" title=\"good\"><small>SNR</small>13.2 dB</li>"
                 "<li class=\"good\" title=\"good\"><small>RSSI</small>-65 dBm</li></ul>"));
  CHECK(contains(c,
                 "<span class=\"pill good\">up</span>wwan1 <span class=\"muted\">APN</span> "
                 "internet<div class=\"detail\">&darr; 117.7 MiB &middot; &uarr; 22.4 MiB "
                 "&middot; up 1 h 0 min</div><div class=\"detail\">1 of 3 attempts failed"));
  CHECK(contains(c,
                 "<span class=\"pill good\">slot 1 \xC2\xB7 active</span>vodafone ES "
                 "<span class=\"muted\">physical</span>"));
  CHECK(contains(c, "Retries left: sim-pin 3 &middot; sim-puk 10"));
  CHECK_FALSE(contains(c, "required"));
}

TEST_CASE("landing_page: locked, failed, disconnected and minimal modems") {
  mmx::test::SnapshotFixture f(3);
  f.modem(0).setState(MM_MODEM_STATE_LOCKED);
  f.modem(0).setUnlockRequired(MM_MODEM_LOCK_SIM_PIN);
  f.modem(0).getUnlockRetries()[0].setRetries(1);
  f.modem(0).setSignalQualityPercent(0);
  f.modem(0).setSignalQualityRecent(false);
  f.modem(1).setState(MM_MODEM_STATE_FAILED);
  f.modem(1).setStateFailedReason(MM_MODEM_STATE_FAILED_REASON_SIM_MISSING);
  f.modem(1).getThreeGpp().setOperatorName("");
  auto bearer = f.modem(1).getBearers()[0];
  bearer.setConnected(false);
  bearer.setConnectionErrorName("org.freedesktop.ModemManager1.Error.Core.Failed");
  bearer.setConnectionErrorMessage("No <carrier>");
  // Only the Modem interface: drop what fill_typical_modem added.
  (void)f.modem(2).disownThreeGpp();
  (void)f.modem(2).disownSignal();
  (void)f.modem(2).disownSims();
  (void)f.modem(2).disownBearers();
  f.modem(2).setState(MM_MODEM_STATE_REGISTERED);
  f.modem(2).setPowerState(MM_MODEM_POWER_STATE_LOW);
  f.modem(2).setAccessTechnologies(MM_MODEM_ACCESS_TECHNOLOGY_UNKNOWN);
  const std::string page = mmx::render_landing_page(f.reader(), info());

  const std::string locked = card(page, 0);
  CHECK(contains(locked, "<span class=\"pill poor\">locked</span>"));
  CHECK(contains(locked, "<span class=\"pill poor\">sim-pin required</span>"));
  CHECK(contains(locked, "sim-pin <span class=\"poor\">1</span>"));
  CHECK(contains(locked,
                 "<i class=\"poor w0\"></i></div><b class=\"poor\">0 %</b>"
                 "<span class=\"muted\">not recent</span>"));

  const std::string failed = card(page, 1);
  CHECK(contains(failed, "<span class=\"pill poor\">failed</span>"));
  CHECK(contains(failed, "<dt>Failed</dt><dd><span class=\"poor\">sim-missing</span></dd>"));
  CHECK(contains(failed, "<dt>Operator</dt><dd><span class=\"muted\">21401</span></dd>"));
  CHECK(contains(failed, "<span class=\"pill\">down</span>wwan1"));
  CHECK(contains(failed, "<div class=\"detail poor\">No &lt;carrier&gt;</div>"));
  CHECK_FALSE(contains(failed, "&darr;"));  // no traffic shown for a bearer that is down

  const std::string minimal = card(page, 2);
  CHECK(contains(minimal, "<span class=\"pill good\">registered</span>"));
  CHECK(contains(minimal, "<dt>Power</dt><dd><span class=\"fair\">low</span></dd>"));
  CHECK(contains(minimal, "<dt>Operator</dt><dd><span class=\"muted\">&mdash;</span></dd>"));
  CHECK(contains(minimal, "<dt>Technology</dt><dd><span class=\"muted\">&mdash;</span></dd>"));
  CHECK_FALSE(contains(minimal, "<dt>Registration</dt>"));
  CHECK_FALSE(contains(minimal, "class=\"vals\""));
  CHECK(contains(minimal, "<dt>Bearer</dt><dd><span class=\"muted\">none</span></dd>"));
  CHECK(contains(minimal, "<dt>SIM</dt><dd><span class=\"muted\">none</span>"));
}

TEST_CASE("landing_page: every technology's own values, newest first, NaN left out") {
  mmx::test::SnapshotFixture f(1);
  auto signal = f.modem(0).getSignal();
  auto nr = signal.initNr5g();
  nr.setRsrp(-85);
  nr.setRsrq(-12);
  nr.setSinr(-3);
  auto umts = signal.initUmts();
  umts.setRscp(-101);
  umts.setEcio(-4.5);
  auto gsm = signal.initGsm();
  gsm.setRssi(-81);
  gsm.setErrorRate(2.5);
  auto evdo = signal.initEvdo();
  evdo.setSinr(3.5);
  evdo.setIo(-80);
  signal.initCdma();  // present, all NaN: not shown
  const std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK(contains(page,
                 "<dt>5G NR</dt><dd><ul class=\"vals\">"
                 "<li class=\"good\" title=\"good\"><small>RSRP</small>-85 dBm</li>"
                 "<li class=\"good\" title=\"good\"><small>RSRQ</small>-12 dB</li>"
                 "<li class=\"poor\" title=\"poor\"><small>SINR</small>-3 dB</li></ul>"));
  CHECK(page.find("<dt>5G NR</dt>") < page.find("<dt>LTE</dt>"));
  CHECK(page.find("<dt>LTE</dt>") < page.find("<dt>UMTS</dt>"));
  CHECK(contains(page,
                 "<li class=\"poor\" title=\"poor\"><small>RSCP</small>-101 dBm</li>"
                 "<li class=\"good\" title=\"good\"><small>Ec/Io</small>-4.5 dB</li>"));
  CHECK(contains(page,
                 "<li class=\"good\" title=\"good\"><small>RSSI</small>-81 dBm</li>"
                 "<li><small>Error rate</small>2.5 %</li>"));
  CHECK(contains(page,
                 "<dt>EV-DO</dt><dd><ul class=\"vals\"><li><small>SINR</small>3.5 dB</li>"
                 "<li><small>Io</small>-80 dBm</li></ul>"));
  CHECK_FALSE(contains(page, "CDMA 1x"));
  CHECK(count(page, "<dt>LTE</dt>") == 1);
}

TEST_CASE("landing_page: links follow the page's own path and metrics path") {
  mmx::test::SnapshotFixture f(0);
  mmx::LandingInfo i = info();
  i.page_path = "/exporter/";
  i.metrics_path = "/prom/metrics";
  const std::string page = mmx::render_landing_page(f.reader(), i);
  CHECK(contains(page, "<a href=\"../prom/metrics\">Metrics</a>"));
  CHECK(contains(page, "<a href=\"../health\">Health</a>"));
  CHECK(contains(page, "<a href=\"../prom/metrics\">/prom/metrics</a>"));
  CHECK(contains(page, "<p class=\"empty\">No modem.</p>"));
  CHECK(contains(page, "<span>Modems</span><b>0</b>"));
}

TEST_CASE("landing_page: every snapshot string is HTML-escaped and valid UTF-8") {
  mmx::test::SnapshotFixture f(1);
  f.modem(0).setManufacturer("<script>alert('x')</script>");
  f.modem(0).setModel("A&B \"q\" \xFF");
  f.modem(0).setDeviceId("\"><img src=x>");
  f.modem(0).setPrimaryPort("<p>");
  f.modem(0).setRevision("</style>");
  f.modem(0).getThreeGpp().setOperatorName("O'Neil & <Co>");
  f.modem(0).getSims()[0].setOperatorName("<sim>");
  f.modem(0).getBearers()[0].setInterface("<if>");
  f.modem(0).getBearers()[0].setApn("\"apn\"");
  f.builder().getManager().setVersion("1.20<b>");
  f.builder().getCollection().getErrors()[0].setKind("<kind>");
  mmx::LandingInfo i = info();
  i.version = "<v>";
  i.revision = "<r>";
  const std::string page = mmx::render_landing_page(f.reader(), i);
  CHECK_FALSE(contains(page, "<script>"));
  CHECK_FALSE(contains(page, "<img"));
  CHECK_FALSE(contains(page, "<b>1.20<b>"));
  CHECK(count(page, "</style>") == 1);
  for (std::string_view raw : {"<p>", "<sim>", "<if>", "<kind>", "<v>", "<r>", "\"apn\""}) {
    CHECK_FALSE(contains(page, raw));
  }
  CHECK(contains(page,
                 "<h3>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; A&amp;B &quot;q&quot; "
                 "\xEF\xBF\xBD</h3>"));
  CHECK(contains(page, "data-device-id=\"&quot;&gt;&lt;img src=x&gt;\""));
  CHECK(contains(page, "title=\"&quot;&gt;&lt;img src=x&gt;\""));
  CHECK(contains(page, "O&#39;Neil &amp; &lt;Co&gt;"));
  CHECK(contains(page, "<b>1.20&lt;b&gt;</b>"));
  CHECK(contains(page, "&lt;/style&gt;"));
}

TEST_CASE("landing_page: collector down shows no modem and says why") {
  mmx::LandingInfo i = info();
  i.collector_problem = "no snapshot for 15 s <stale>";
  const std::string page = mmx::render_landing_page(std::nullopt, i);
  CHECK(contains(page, "<li class=\"poor\"><span>Collector</span><b>down</b></li>"));
  CHECK(contains(page, "Collector not connected"));
  CHECK(contains(page, "no snapshot for 15 s &lt;stale&gt;"));
  CHECK_FALSE(contains(page, "<article"));
  CHECK_FALSE(contains(page, "Snapshot age"));
  CHECK(contains(page, "<a href=\"./metrics\">Metrics</a>"));
  CHECK(contains(page, "<a href=\"./metrics\">/metrics</a>"));
}

TEST_CASE("landing_page: ModemManager not running, and a stale snapshot") {
  mmx::test::SnapshotFixture f(1);
  f.builder().getManager().setPresent(false);
  mmx::LandingInfo i = info();
  i.now_unix_nanos = mmx::test::kSnapshotUnixNanos + 3'600'000'000'000;
  const std::string page = mmx::render_landing_page(f.reader(), i);
  CHECK(contains(page, "<li class=\"poor\"><span>ModemManager</span><b>not running</b></li>"));
  CHECK(contains(page, "ModemManager is not running"));
  CHECK(contains(page, "<li class=\"fair\"><span>Snapshot age</span><b>1 h 0 min</b></li>"));
  CHECK_FALSE(contains(page, "<article"));
}

TEST_CASE("landing_page: before the first collection ends, neither ModemManager nor modems") {
  mmx::test::SnapshotFixture f(1);
  f.builder().getManager().setPresent(false);
  f.builder().setFirstCollectionPending(true);
  const std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK(contains(page, "<span>ModemManager</span><b>looking</b>"));
  CHECK(contains(page, "Reading the modems from ModemManager."));
  CHECK_FALSE(contains(page, "not running"));
  CHECK_FALSE(contains(page, "<article"));
}

TEST_CASE("landing_page: one <style>, allowed by its hash and by nothing looser") {
  // SHA-256("abc"), FIPS 180-2 appendix B.1, and its base64.
  CHECK(
      mmx::csp_sha256_source("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") ==
      "'sha256-ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0='");
  CHECK(mmx::csp_sha256_source("ba78").empty());
  CHECK(mmx::csp_sha256_source(std::string(64, 'g')).empty());

  const std::string_view hash = mmx::landing_page_style_hash();
  CHECK(hash.starts_with("'sha256-"));
  CHECK(hash.size() == 53);
  const std::string_view policy = mmx::landing_page_content_security_policy();
  CHECK(contains(policy, "default-src 'none'"));
  CHECK(contains(policy, std::string("style-src ") + std::string(hash)));
  CHECK(contains(policy, "frame-ancestors 'none'"));
  CHECK_FALSE(contains(policy, "unsafe"));

  mmx::test::SnapshotFixture f(2);
  const std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK(count(page, "<style>") == 1);
  CHECK_FALSE(contains(page, " style="));
  CHECK(contains(page,
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                 "'none'; style-src " +
                     std::string(hash) + "; base-uri 'none'; form-action 'none'\">"));
}

TEST_CASE("landing_page: a modem's serving cells and its state changes since start") {
  mmx::test::SnapshotFixture f(1);
  mmx::LandingInfo i = info();
  i.now_unix_nanos = mmx::test::kSnapshotUnixNanos;
  const std::string page = mmx::render_landing_page(f.reader(), i);
  CHECK(contains(page, "<dt>Cells</dt>"));
  CHECK(contains(page, "PCell</span>lte B20"));
  CHECK(contains(page, "SCell</span>lte B7"));
  CHECK(contains(page, "<span class=\"muted\">PCI</span> 1F4"));
  CHECK(contains(page, "<span class=\"muted\">RSRP</span> -96 dBm"));
  CHECK_FALSE(contains(page, "PCI</span> 12"));  // a neighbour: not listed
  CHECK(contains(page, "<dt>State changes</dt><dd>1 since start"));
  CHECK(contains(page, "(last 1 h 0 min ago)"));
}
