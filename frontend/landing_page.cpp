#include "landing_page.h"

#include <algorithm>
#include <charconv>
#include <vector>

#include "exposition_writer.h"
#include "mm_names.h"

namespace mmx {
namespace {

// Device identifiers are 40 hex digits; 8 tell modems apart on one host
// (the full id is in the cell's title and in every series).
constexpr std::size_t kShortDeviceId = 8;

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:72em}"
    "h1{font-size:1.5em;margin-bottom:.2em}"
    "table{border-collapse:collapse;margin-top:1em}"
    "th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}"
    "th{background:#f2f2f2}"
    "code{font-size:.95em}"
    ".bad{color:#a00;font-weight:bold}"
    ".muted{color:#777}";

std::string_view text(capnp::Text::Reader t) {
  return {t.cStr(), t.size()};
}

const char* html_escape(char c) {
  switch (c) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return nullptr;
  }
}

// Appends `s` HTML-escaped (text and attribute values alike) with its UTF-8
// repaired. The escaped characters are ASCII, which never continues a
// multi-byte sequence, so repairing the runs between them is exact.
void append_html(std::string& out, std::string_view s) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char* entity = html_escape(s[i]);
    if (entity == nullptr) continue;
    append_repaired_utf8(out, s.substr(run, i - run));
    out.append(entity);
    run = i + 1;
  }
  append_repaired_utf8(out, s.substr(run));
}

void append_number(std::string& out, std::uint64_t n) {
  char buffer[24];
  auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, n);
  out.append(buffer, end);
}

void append_cell(std::string& out, std::string_view content) {
  out.append("<td>");
  if (content.empty()) {
    out.append("<span class=\"muted\">&mdash;</span>");
  } else {
    append_html(out, content);
  }
  out.append("</td>");
}

// "connected (wwan0)" per connected bearer, "disconnected" when none is.
std::string bearer_summary(schema::Modem::Reader modem) {
  std::string summary;
  auto bearers = modem.getBearers();
  if (bearers.size() == 0) return summary;
  for (auto b : bearers) {
    if (!b.getConnected()) continue;
    if (!summary.empty()) summary.append(", ");
    summary.append("connected");
    if (b.getInterface().size() > 0) {
      summary.append(" (");
      summary.append(text(b.getInterface()));
      summary.push_back(')');
    }
  }
  if (summary.empty()) summary = "disconnected";
  return summary;
}

void append_modem_row(std::string& out, schema::Modem::Reader modem) {
  const std::string_view id = text(modem.getDeviceId());
  out.append("<tr><td><code title=\"");
  append_html(out, id);
  out.append("\">");
  append_html(out, id.substr(0, std::min(id.size(), kShortDeviceId)));
  out.append("</code></td>");

  const bool has_modem = modem.getHasModemInterface();
  std::string model(text(modem.getManufacturer()));
  if (!model.empty() && modem.getModel().size() > 0) model.push_back(' ');
  model.append(text(modem.getModel()));
  append_cell(out, has_modem ? std::string_view(model) : std::string_view());
  append_cell(out, has_modem ? mm::name(mm::Enum::kModemState, modem.getState()) : "");

  std::string_view operator_name;
  if (modem.hasThreeGpp()) {
    auto three_gpp = modem.getThreeGpp();
    operator_name = text(three_gpp.getOperatorName());
    if (operator_name.empty()) operator_name = text(three_gpp.getOperatorCode());
  }
  append_cell(out, operator_name);

  append_cell(out, has_modem ? mm::mask_name(mm::Enum::kModemAccessTechnology,
                                             modem.getAccessTechnologies())
                             : std::string());

  std::string quality;
  if (has_modem) {
    append_number(quality, modem.getSignalQualityPercent());
    quality.append(" %");
  }
  append_cell(out, quality);
  append_cell(out, bearer_summary(modem));
  out.append("</tr>\n");
}

void append_modem_table(std::string& out, schema::Snapshot::Reader snapshot) {
  auto manager = snapshot.getManager();
  out.append("<p>ModemManager: ");
  if (!manager.getPresent()) {
    out.append("<span class=\"bad\">not running</span></p>\n");
    return;
  }
  out.append("running, version ");
  append_html(out, text(manager.getVersion()));
  out.append(".</p>\n");

  std::vector<schema::Modem::Reader> modems;
  for (auto modem : snapshot.getModems()) modems.push_back(modem);
  std::stable_sort(modems.begin(), modems.end(),
                   [](schema::Modem::Reader a, schema::Modem::Reader b) {
                     return text(a.getDeviceId()) < text(b.getDeviceId());
                   });
  if (modems.empty()) {
    out.append("<p>No modem.</p>\n");
    return;
  }
  out.append(
      "<table>\n<tr><th>Device</th><th>Model</th><th>State</th><th>Operator</th>"
      "<th>Technology</th><th>Signal</th><th>Bearer</th></tr>\n");
  for (auto modem : modems) append_modem_row(out, modem);
  out.append("</table>\n");
}

bool keeps_in_url_path(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  // RFC 3986 unreserved, sub-delims, ':', '@' and '/': legal in a path as is.
  return std::string_view("-._~!$&'()*+,;=:@/").find(c) != std::string_view::npos;
}

}  // namespace

std::string relative_link(std::string_view page_path, std::string_view target_path) {
  // The page's directory is everything up to its last '/'; one "../" per
  // directory level below the root.
  const std::size_t last_slash = page_path.rfind('/');
  const std::string_view directory = last_slash == std::string_view::npos
                                         ? std::string_view("/")
                                         : page_path.substr(0, last_slash + 1);
  const auto depth = std::count(directory.begin(), directory.end(), '/') - 1;
  std::string link;
  if (depth <= 0) {
    link = "./";  // "./" also keeps a first segment with ':' from reading as a scheme
  } else {
    for (std::ptrdiff_t i = 0; i < depth; ++i) link.append("../");
  }
  while (target_path.starts_with('/')) target_path.remove_prefix(1);
  constexpr std::string_view kHex = "0123456789ABCDEF";
  for (char c : target_path) {
    if (keeps_in_url_path(c)) {
      link.push_back(c);
    } else {
      const auto byte = static_cast<unsigned char>(c);
      link.push_back('%');
      link.push_back(kHex[byte >> 4]);
      link.push_back(kHex[byte & 0x0F]);
    }
  }
  return link;
}

std::string render_landing_page(std::optional<schema::Snapshot::Reader> snapshot,
                                const LandingInfo& info) {
  std::string out;
  out.reserve(4096 + (snapshot ? snapshot->getModems().size() * 512 : 0));
  out.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
  append_html(out, info.program);
  out.append("</title>\n<style>");
  out.append(kStyle);
  out.append("</style>\n</head>\n<body>\n<h1>");
  append_html(out, info.program);
  out.append("</h1>\n<p>Prometheus exporter for ModemManager. Version ");
  append_html(out, info.version);
  if (!info.revision.empty()) {
    out.append(" (revision ");
    append_html(out, info.revision);
    out.push_back(')');
  }
  out.append(".</p>\n<ul>\n<li><a href=\"");
  append_html(out, relative_link(info.page_path, info.metrics_path));
  out.append("\">Metrics</a></li>\n<li><a href=\"");
  append_html(out, relative_link(info.page_path, info.health_path));
  out.append("\">Health</a></li>\n</ul>\n");
  if (snapshot) {
    append_modem_table(out, *snapshot);
  } else {
    out.append(
        "<p class=\"bad\">Collector not connected: no modem data is served until it "
        "reconnects.</p>\n");
  }
  out.append("</body>\n</html>\n");
  return out;
}

}  // namespace mmx
