#!/usr/bin/env python3
"""Writes an mmsim scenario with N modems, every interface populated: LTE and
NR5G signal, a connected bearer with statistics, a SIM, a GPS fix and a cell.

    gen_scenario.py N > scenario.json
"""

import hashlib
import json
import sys


def modem(i):
    device_id = hashlib.sha1(f"bench-modem-{i}".encode()).hexdigest()
    return {
        "device_id": device_id,
        "interfaces": ["3gpp", "signal", "location", "messaging", "simple"],
        "modem": {
            "manufacturer": "Quectel", "model": "RM500Q-GL", "revision": f"RM500QGLABR11A06M4G_{i:04d}",
            "plugin": "quectel", "primary_port": "cdc-wdm0", "drivers": ["qmi_wwan", "option"],
            "ports": [["cdc-wdm0", "qmi"], ["ttyUSB2", "at"], [f"wwan{i}", "net"]],
            "equipment_identifier": f"86{i:013d}", "state": "connected", "power_state": "on",
            "signal_quality": [40 + i % 60, True], "access_technologies": ["lte", "5gnr"],
            "unlock_required": "none", "unlock_retries": {"sim-pin": 3, "sim-puk": 10},
            "current_modes": [["3g", "4g", "5g"], "5g"], "current_bands": ["eutran-3", "eutran-20", "ngran-78"],
            "max_bearers": 4, "max_active_bearers": 4,
        },
        "3gpp": {"imei": f"86{i:013d}", "registration_state": "home", "operator_code": "21401",
                 "operator_name": "vodafone ES", "packet_service_state": "attached"},
        "signal": {"lte": {"rssi": -67.0 - i % 20, "rsrq": -9.0, "rsrp": -96.0, "snr": 11.5},
                   "nr5g": {"rsrq": -11.0, "rsrp": -90.0 - i % 15, "snr": 14.0}},
        "location": {"3gpp-lac-ci": {"mcc": "214", "mnc": "01", "lac": "FFFE", "ci": f"{0x1A2B000 + i:X}", "tac": "2B0F"},
                     "gps-raw": {"utc-time": "093015.00", "latitude": 40.4 + i / 1000, "longitude": -3.7, "altitude": 650.0}},
        "messaging": {"supported_storages": ["me"], "default_storage": "me"},
        "sim": {"iccid": f"893401{i:014d}", "imsi": f"21401{i:010d}", "operator_identifier": "21401",
                "operator_name": "vodafone ES"},
        "bearers": [{
            "interface": f"wwan{i}", "connected": True,
            "stats": {"rx-bytes": 123456789 + i, "tx-bytes": 23456789, "duration": 3600, "attempts": 1,
                      "failed-attempts": 0, "total-rx-bytes": 9876543210 + i, "total-tx-bytes": 1234567890,
                      "total-duration": 86400, "uplink-speed": 50000000, "downlink-speed": 150000000},
            "properties": {"apn": "internet", "ip-type": "ipv4v6"},
        }],
    }


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: gen_scenario.py N")
    n = int(sys.argv[1])
    json.dump({"description": f"{n} fully populated 5G modems for benchmarks",
               "modems": [modem(i) for i in range(n)]}, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
