#include <ModemManager.h>
#include <doctest/doctest.h>

#include <string>

#include "landing_page.h"
#include "snapshot_fixtures.h"

namespace {

mmx::LandingInfo info() {
  mmx::LandingInfo i;
  i.version = "0.1.0";
  i.revision = "0123456789ab";
  return i;
}

bool contains(std::string_view page, std::string_view part) {
  return page.find(part) != std::string_view::npos;
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

TEST_CASE("landing_page: shows name, version, links and the modems at a glance") {
  mmx::test::SnapshotFixture f(2);
  const std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK(page.starts_with("<!DOCTYPE html>"));
  CHECK(contains(page, "<meta charset=\"utf-8\">"));
  CHECK(contains(page, "<h1>mm-exporter</h1>"));
  CHECK(contains(page, "Version 0.1.0 (revision 0123456789ab)"));
  CHECK(contains(page, "<a href=\"./metrics\">Metrics</a>"));
  CHECK(contains(page, "<a href=\"./health\">Health</a>"));
  CHECK(contains(page, "running, version 1.20.4"));
  const std::string id = mmx::test::device_id(1);
  CHECK(contains(page, "<code title=\"" + id + "\">" + id.substr(0, 8) + "</code>"));
  CHECK(contains(page,
                 "<td>Quectel EM12-G</td><td>connected</td><td>vodafone ES</td><td>lte</td>"
                 "<td>54 %</td><td>connected (wwan1)</td>"));
  CHECK_FALSE(contains(page, "<script"));
  CHECK_FALSE(contains(page, "http://"));
  CHECK_FALSE(contains(page, "https://"));
  CHECK(page.ends_with("</html>\n"));
}

TEST_CASE("landing_page: links follow the page's own path and metrics path") {
  mmx::test::SnapshotFixture f(0);
  mmx::LandingInfo i = info();
  i.page_path = "/exporter/";
  i.metrics_path = "/prom/metrics";
  const std::string page = mmx::render_landing_page(f.reader(), i);
  CHECK(contains(page, "<a href=\"../prom/metrics\">Metrics</a>"));
  CHECK(contains(page, "<a href=\"../health\">Health</a>"));
  CHECK(contains(page, "<p>No modem.</p>"));
}

TEST_CASE("landing_page: every snapshot string is HTML-escaped and valid UTF-8") {
  mmx::test::SnapshotFixture f(1);
  f.modem(0).setManufacturer("<script>alert('x')</script>");
  f.modem(0).setModel("A&B \"q\" \xFF");
  f.modem(0).setDeviceId("\"><img src=x>");
  f.modem(0).getThreeGpp().setOperatorName("O'Neil & <Co>");
  f.builder().getManager().setVersion("1.20<b>");
  const std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK_FALSE(contains(page, "<script>"));
  CHECK_FALSE(contains(page, "<img"));
  CHECK_FALSE(contains(page, "<b>"));
  CHECK(contains(page,
                 "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; A&amp;B &quot;q&quot; "
                 "\xEF\xBF\xBD"));
  CHECK(contains(page, "title=\"&quot;&gt;&lt;img src=x&gt;\""));
  CHECK(contains(page, "O&#39;Neil &amp; &lt;Co&gt;"));
  CHECK(contains(page, "version 1.20&lt;b&gt;"));
}

TEST_CASE("landing_page: says so when the collector is not connected") {
  const std::string page = mmx::render_landing_page(std::nullopt, info());
  CHECK(contains(page, "Collector not connected"));
  CHECK_FALSE(contains(page, "<table>"));
  CHECK(contains(page, "<a href=\"./metrics\">Metrics</a>"));
}

TEST_CASE("landing_page: ModemManager not running, failed and disconnected modems") {
  mmx::test::SnapshotFixture f(1);
  f.modem(0).setState(MM_MODEM_STATE_FAILED);
  f.modem(0).getBearers()[0].setConnected(false);
  f.modem(0).getThreeGpp().setOperatorName("");
  std::string page = mmx::render_landing_page(f.reader(), info());
  CHECK(contains(page, "<td>failed</td><td>21401</td>"));  // operator code when no name
  CHECK(contains(page, "<td>disconnected</td>"));

  f.builder().getManager().setPresent(false);
  page = mmx::render_landing_page(f.reader(), info());
  CHECK(contains(page, "not running"));
  CHECK_FALSE(contains(page, "<table>"));
}
