"""bench/RESULTS.md, written by bench/figures.py from bench/results/bench.json
(bench/run.py) and bench/results/idle.json (bench/idle.py): every cell is the
median of the runs, with their spread."""

import statistics


TITLE = "# Benchmark results\n\n"
NOT_MEASURED = ("*Not yet measured at this commit: `scripts/measure.sh` (or `bench/run.sh` and "
                "`bench/idle.py`) measures these figures and writes them here.*\n")


def pss_total(run, key, kind="pss"):
    return run[key]["collector"][kind] + run[key]["frontend"][kind]


def spread(values, fmt, unit=""):
    """median (min–max) of the runs."""
    values = sorted(values)
    med = statistics.median(values)
    if len(values) == 1:
        return f"{fmt.format(med)}{unit}"
    return f"{fmt.format(med)}{unit} ({fmt.format(values[0])}–{fmt.format(values[-1])})"


# (column, function of one run, format, unit)
COLUMNS = [
    ("render", lambda r: r["render"]["render_us_median"], "{:.0f}", " µs"),
    ("gzip", lambda r: r["render"]["gzip_us_median"], "{:.0f}", " µs"),
    ("body / gzip", None, None, None),
    ("plain p99", lambda r: r["wrk"]["keepalive"]["p99_ms"], "{:.2f}", " ms"),
    ("plain req/s", lambda r: r["wrk"]["keepalive"]["rps"], "{:.0f}", ""),
    ("gzip p99", lambda r: r["wrk"]["keepalive_gzip"]["p99_ms"], "{:.2f}", " ms"),
    ("gzip req/s", lambda r: r["wrk"]["keepalive_gzip"]["rps"], "{:.0f}", ""),
    ("new conn req/s", lambda r: r["wrk"]["new_connection"]["rps"], "{:.0f}", ""),
    ("share of nginx, plain", lambda r: 100 * r["wrk"]["keepalive"]["rps"] / r["nginx"]["keepalive"]["rps"],
     "{:.0f}", " %"),
    ("share of nginx, gzip",
     lambda r: 100 * r["wrk"]["keepalive_gzip"]["rps"] / r["nginx"]["keepalive_gzip"]["rps"], "{:.0f}", " %"),
    ("PSS idle", lambda r: pss_total(r, "memory_idle_kib") / 1024, "{:.1f}", " MiB"),
    ("private idle", lambda r: pss_total(r, "memory_idle_kib", "anonymous") / 1024, "{:.1f}", " MiB"),
    ("D-Bus", lambda r: r["dbus_messages_per_1000_scrapes"], "{}", ""),
    ("change median", lambda r: r["change_visible"]["median_ms"], "{:.0f}", " ms"),
]


def row(entry):
    runs = entry["runs"]
    cells = [str(entry["modems"])]
    for name, get, fmt, unit in COLUMNS:
        if get is None:
            first = runs[0]
            cells.append(f"{first['body_bytes'] / 1024:.0f} / {first['gzip_bytes'] / 1024:.1f} KiB")
        else:
            cells.append(spread([get(r) for r in runs], fmt, unit))
    return "| " + " | ".join(cells) + " |"


def targets(bench, idle):
    """Each target is met only when every run meets it; the worst run is shown."""
    by_n = {e["modems"]: e["runs"] for e in bench["results"]}
    lines = ["## Targets", "", "Met only when every run meets it; the figure is the worst run's.", "",
             "| target | worst run | met |", "|---|---|---|"]

    def add(what, values, fmt, ok, worst=max):
        w = worst(values)
        lines.append(f"| {what} | {fmt.format(w)} | {'yes' if all(ok(v) for v in values) else 'no'} |")

    if 64 in by_n:
        runs = by_n[64]
        add("64 modems: p99 < 1 ms (gzip, as Prometheus asks)",
            [r["wrk"]["keepalive_gzip"]["p99_ms"] for r in runs], "{:.2f} ms", lambda v: v < 1)
        add("64 modems: p99 < 1 ms (plain)", [r["wrk"]["keepalive"]["p99_ms"] for r in runs], "{:.2f} ms",
            lambda v: v < 1)
        for kind, name in (("keepalive", "plain"), ("keepalive_gzip", "gzip")):
            add(f"64 modems: req/s ≥ 50 % of nginx ({name})",
                [100 * r["wrk"][kind]["rps"] / r["nginx"][kind]["rps"] for r in runs], "{:.0f} %",
                lambda v: v >= 50, worst=min)
    add("0 D-Bus messages caused by scrapes",
        [r["dbus_messages_per_1000_scrapes"] for e in bench["results"] for r in e["runs"]], "{}",
        lambda v: v == 0)
    for n in (16, 64):
        if n in by_n:
            add(f"{n} modems: change visible < 200 ms median",
                [r["change_visible"]["median_ms"] for r in by_n[n]], "{:.0f} ms", lambda v: v < 200)
    if 16 in by_n:
        add("16 modems: PSS ≤ 8 MiB (idle)", [pss_total(r, "memory_idle_kib") / 1024 for r in by_n[16]],
            "{:.1f} MiB", lambda v: v <= 8)
    if 16 in by_n and 64 in by_n:
        for kind, name in (("pss", "PSS"), ("anonymous", "private")):
            per = [(pss_total(b, "memory_idle_kib", kind) - pss_total(a, "memory_idle_kib", kind)) / 48
                   for a, b in zip(by_n[16], by_n[64])]
            add(f"≤ 32 KiB more per modem (16 → 64, idle {name})", per, "{:.0f} KiB", lambda v: v <= 32)
    if idle:
        add(f"{idle['modems']} modems: idle CPU < 0.1 % of a core", [idle["cpu_percent_of_a_core"]],
            "{:.3f} %", lambda v: v < 0.1)
    return "\n".join(lines) + "\n"


def stamp(data, name):
    m = data["measured"]
    return (f"`bench/results/{name}.json`: measured at commit `{m['commit'][:12]}` on {m['date']}, "
            f"{m['machine']['cores']} cores of {m['machine']['cpu']} (Linux {m['machine']['kernel']}), "
            f"by `{m['command']}`.")


def render(bench, idle):
    if not bench:
        return TITLE + NOT_MEASURED
    runs = len(bench["results"][0]["runs"])
    text = TITLE + f"""Written by `bench/figures.py` from the result files; no figure here is typed
by hand.

- {stamp(bench, "bench")}
- {stamp(idle, "idle") if idle else "idle CPU: not yet measured at this commit (`bench/idle.py`)."}

Every cell is the median of {runs} runs, with the lowest and highest in
brackets. render = time to turn one snapshot into the text exposition, gzip =
time to compress it (the frontend does both once per change, never per
scrape); body = plain / gzip size; plain and gzip = `wrk` with 4 keep-alive
connections for {bench['seconds']} s, without and with `Accept-Encoding: gzip`
(what Prometheus sends); new conn = `Connection: close` on every request;
share of nginx = our req/s against nginx serving the same bytes as static
files in the same run (its configuration is below); PSS = collector +
frontend after a change seen through gzip scrapes only, as Prometheus scrapes;
private = their anonymous memory, which unlike PSS does not move with what
else runs; D-Bus = messages on the bus during 1000 scrapes; change = a
ModemManager property change until /metrics shows it, median over
{bench['changes']} changes. The exporter runs with `{bench['exporter_flags']}`, so that
no resync round falls into a measurement; idle CPU is measured with the
default flags.

| modems | """ + " | ".join(c[0] for c in COLUMNS) + " |\n|---|" + "---|" * len(COLUMNS) + "\n"
    text += "\n".join(row(e) for e in bench["results"]) + "\n"
    if idle:
        text += (f"\nIdle: {idle['modems']} modems, default flags, no scrapes, every modem's signal "
                 f"values changed every {idle['update_every_s']} s for {idle['minutes']:g} minutes: "
                 f"collector and frontend used {idle['cpu_seconds']} s of CPU, "
                 f"{idle['cpu_percent_of_a_core']:.3f} % of one core.\n")
    text += "\n" + targets(bench, idle)
    text += ("\n## nginx, the reference\n\nOne worker, the page and its gzip copy as static files "
             "(`gzip_static on`), access log off, on loopback like the exporter:\n\n```nginx\n"
             + bench["nginx_conf"].strip() + "\n```\n")
    return text
