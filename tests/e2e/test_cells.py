"""Cells: Modem.GetCellInfo polled on --cell-info-interval, exported as the
serving carriers and the strongest neighbours, equal to what
`mmcli --get-cell-info` shows for the same modem."""

import time

import harness

LTE = "92397d9b1c56befea399d67c90e21ba6b53728f8"
NSA = "834756692dafcf6e5d17790d8bd981b397b66fd4"
GSM = "1111111111111111111111111111111111111111"
CDMA = "2222222222222222222222222222222222222222"
MODEM = "org.freedesktop.ModemManager1.Modem"


def mmcli_cells(bus, path):
    """mmcli --get-cell-info, one dict per cell: mmcli's keys and texts."""
    cells = []
    for line in harness.mmcli(bus, "-m", path, "--get-cell-info").splitlines():
        _, _, text = line.partition("|")
        if "cell type:" not in text:
            continue
        cells.append(dict(field.strip().split(": ", 1) for field in text.split(", ")))
    return cells


def exported_cells(m, device_id):
    """(cell_info labels, {family: value}) of every exported cell."""
    cells = []
    for labels, _ in m.find("modemmanager_cell_info", device_id=device_id):
        identity = {k: labels[k] for k in ("cell_type", "role", "pci", "arfcn")}
        values = {}
        for family in ("rsrp_dbm", "rsrq_db", "sinr_db", "rscp_dbm", "ecio_db", "timing_advance"):
            found = m.find(f"modemmanager_cell_{family}", device_id=device_id, **identity)
            if found:
                values[family] = found[0][1]
        cells.append((labels, values))
    return cells


def mmcli_number(text):
    return float(text)


def test_cells_equal_mmcli_and_carrier_aggregation_is_counted(bus, mmsim, start_exporter):
    exp = start_exporter()
    m = exp.wait_metrics(lambda m: m.has("modemmanager_modem_carriers", device_id=LTE),
                         what="cells read")
    shown = mmcli_cells(bus, mmsim.client.modems()[LTE])
    exported = exported_cells(m, LTE)
    # All 3 serving cells and the 4 strongest of 6 neighbours.
    assert len(shown) == 9 and len(exported) == 7
    assert m.value("modemmanager_modem_cells_dropped", device_id=LTE) == 2
    for labels, values in exported:
        key = "physical ci" if labels["cell_type"] == "lte" else "psc"
        channel = "earfcn" if labels["cell_type"] == "lte" else "uarfcn"
        match = [c for c in shown if c.get(key) == labels["pci"] and c.get(channel) == labels["arfcn"]
                 and c["serving"] == ("yes" if labels["serving"] == "true" else "no")]
        assert len(match) == 1, (labels, shown)
        c = match[0]
        assert c["cell type"] == labels["cell_type"]
        for mm_key, label in (("operator id", "operator_id"), ("tac", "tac"), ("ci", "ci"),
                              ("lac", "lac")):
            assert c.get(mm_key, "") == labels[label], (mm_key, c, labels)
        for mm_key, family in (("rsrp", "rsrp_dbm"), ("rsrq", "rsrq_db"), ("rscp", "rscp_dbm"),
                               ("ecio", "ecio_db"), ("timing advance", "timing_advance")):
            if mm_key in c:
                assert values[family] == mmcli_number(c[mm_key]), (mm_key, c, values)
            else:
                assert family not in values
    # The neighbours kept are the strongest.
    neighbours = sorted(v["rsrp_dbm"] for l, v in exported if l["role"] == "neighbour" and "rsrp_dbm" in v)
    assert neighbours == [-108, -103, -101]
    pcell = [l for l, _ in exported if l["role"] == "pcell"]
    assert pcell[0]["band"] == "20" and pcell[0]["bandwidth"] == "10000"
    assert {l["role"]: v for l, v in m.find("modemmanager_modem_carriers", device_id=LTE)} == {
        "pcell": 1, "scell": 2, "pscell": 0, "sscell": 0}
    assert m.value("modemmanager_modem_cell_info_supported", device_id=LTE) == 1


def test_an_nsa_link_shows_its_pscell(bus, start_mmsim, start_exporter):
    start_mmsim("5g-dual-sim.json")
    exp = start_exporter()
    m = exp.wait_metrics(lambda m: m.has("modemmanager_modem_carriers", device_id=NSA),
                         what="cells read")
    assert {l["role"]: v for l, v in m.find("modemmanager_modem_carriers", device_id=NSA)} == {
        "pcell": 1, "scell": 0, "pscell": 1, "sscell": 0}
    assert m.value("modemmanager_cell_sinr_db", device_id=NSA, cell_type="5gnr", role="pscell",
                   pci="2D6", arfcn="520110") == 17.5


def test_a_modem_without_cell_info_is_counted_once_as_unsupported(bus, start_mmsim, start_exporter):
    sim = start_mmsim("legacy-technologies.json")
    exp = start_exporter("--cell-info-interval=1s")
    m = exp.wait_metrics(lambda m: m.has("modemmanager_modem_cell_info_supported", device_id=GSM),
                         what="unsupported known")
    time.sleep(2.5)  # two more polls of the others
    m = exp.scrape()
    assert m.value("modemmanager_modem_cell_info_supported", device_id=GSM) == 0
    assert not m.has("modemmanager_cell_info", device_id=GSM)
    assert not m.has("modemmanager_modem_carriers", device_id=GSM)
    assert m.value("modemmanager_scrape_errors_total", kind="unsupported") == 1
    path = sim.client.modems()[GSM]
    assert len(sim.client.calls("GetCellInfo", MODEM, path)) == 1
    # An enabled modem with support is asked every second; a scrape asks nothing.
    cdma = sim.client.modems()[CDMA]
    asked = len(sim.client.calls("GetCellInfo", MODEM, cdma))
    assert asked >= 3
    for _ in range(20):
        exp.scrape()
    assert len(sim.client.calls("GetCellInfo", MODEM, cdma)) <= asked + 1
    assert m.value("modemmanager_scrape_success") == 1


def test_no_cells_asked_with_interval_0(bus, mmsim, start_exporter):
    exp = start_exporter("--cell-info-interval=0")
    exp.wait_metrics(lambda m: m.has("modemmanager_modem_info", device_id=LTE), what="modem")
    time.sleep(0.5)
    assert not mmsim.client.calls("GetCellInfo")
    assert not exp.scrape().has("modemmanager_cell_info")
