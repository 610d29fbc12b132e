"""A simulated AT-command modem for the real ModemManager daemon.

ModemManager's test interface (`Test.SetProfile(id, "generic",
["abstract:NAME"])`) makes the daemon connect to the abstract Unix stream
socket "\\0abstract:NAME" and probe whatever answers there as an AT modem.
ATModem listens on such a socket and answers like a plain 3GPP modem: identity
(manufacturer, model, revision, IMEI), a SIM (IMSI, ICCID, own number, PIN
lock with retries), registration with cell identity, operator, signal
(+CSQ, +CESQ) and SMS in storage. Unknown commands get ERROR, as from a real
modem; ModemManager probes many optional ones.

Standard library only. Each ATModem is an in-process server on its own
threads, so a test drives it by calling methods:

    modem = ATModem('abstract:mmport0', imei='490154203237518').start()
    ...                                  # Test.SetProfile(..., ['abstract:mmport0'])
    modem.set(csq=(25, 99))              # later answers change
    modem.unsolicited('+CIEV: 2,4')      # push an unsolicited line
    modem.commands('AT+CSQ')             # what the daemon asked, in order
    modem.vanish()                       # close everything: the modem is gone

Run as a script it serves one modem until interrupted, logging each command
to stderr (handy to watch a daemon probe it):

    /usr/bin/python3 tests/realmm/at_modem.py abstract:mmport0 --pin 1234
"""

import argparse
import re
import socket
import sys
import threading
import time

# ModemManager's generic plugin reads the SIM's identity with READ BINARY on
# these elementary files (AT+CRSM=176,<file id>,...).
EF_ICCID = 12258   # 0x2FE2
EF_SPN = 28486     # 0x6F46
EF_AD = 28589      # 0x6FAD

# +CME ERROR codes (3GPP TS 27.007 9.2)
CME_SIM_PIN_REQUIRED = 11
CME_INCORRECT_PASSWORD = 16
CME_SIM_PUK_REQUIRED = 12
CME_NOT_SUPPORTED = 4

# <AcT> of +CREG/+COPS (3GPP TS 27.007): 0 GSM, 2 UTRAN, 7 E-UTRAN.
ACT_GSM, ACT_UMTS, ACT_LTE = 0, 2, 7

DEFAULTS = {
    'manufacturer': 'Simulated',
    'model': 'AT-1',
    'revision': 'SIM.01.00',
    'imei': '490154203237518',
    'imsi': '214010123456789',
    'sim_mnc_length': 2,      # digits of the MNC in the IMSI (EF_AD)
    'iccid': '8934071234567890123',
    'own_number': '+34600111222',
    # SIM lock: pin=None means no PIN is set; pin_locked whether it must be
    # entered now.
    'pin': None,
    'pin_locked': False,
    'puk': '12345678',
    'pin_retries': 3,
    'puk_retries': 10,
    # +CREG/+CGREG/+CEREG <stat>: 0 not registered, 1 home, 2 searching,
    # 3 denied, 5 roaming.
    'reg_stat': 1,
    'lac': '1A2B',
    'ci': '01C3D4E5',
    'tac': '1A2B',
    'act': ACT_LTE,
    'operator_code': '21401',
    'operator_name': 'Simulated Operator',
    'spn': None,              # service provider name on the SIM (EF_SPN)
    'csq': (17, 99),          # <rssi>, <ber>
    'cesq': (99, 99, 255, 255, 20, 50),  # rxlev, ber, rscp, ecno, rsrq, rsrp
    'cfun': 1,
    # +WS46 modes offered (None: answer ERROR, the daemon then assumes a
    # GSM/UMTS-only modem without LTE) and the current one.
    'ws46': (12, 22, 25, 28, 29, 30, 31),
    'ws46_current': 25,
    # Answer +CIND (signal indicator 0-5 from +CSQ) so the daemon takes
    # +CIEV unsolicited signal updates.
    'cind': False,
    # Stored SMS: dicts with index, number, text, timestamp
    # ('yy/MM/dd,hh:mm:ss+zz', zz in quarter hours), optional status
    # ('REC UNREAD' (default), 'REC READ', 'STO UNSENT', 'STO SENT') and
    # storage ('SM' (default) or 'ME').
    'sms': [],
    'sms_capacity': 20,
    # Commands to answer ERROR although they are known (e.g. {'AT+CESQ'}).
    'unsupported': set(),
}

_STAT_CODES = {'REC UNREAD': 0, 'REC READ': 1, 'STO UNSENT': 2, 'STO SENT': 3}


class _CommandError(Exception):
    def __init__(self, cme=None):
        super().__init__(cme)
        self.cme = cme


def _swap_nibbles(digits):
    """An ICCID as stored in EF_ICCID: BCD with each digit pair swapped, 'F' padded."""
    if len(digits) % 2:
        digits += 'F'
    return ''.join(digits[i + 1] + digits[i] for i in range(0, len(digits), 2))


def _gsm7_pack(text):
    """GSM 03.38 default alphabet, packed in septets (basic ASCII subset only)."""
    septets = []
    for ch in text:
        if ch == '@':
            septets.append(0)
        elif ch == '_':
            septets.append(0x11)
        elif 0x20 <= ord(ch) < 0x7f and ch not in '$[]{}\\^`|~':
            septets.append(ord(ch))
        else:
            septets.append(ord('?'))
    bits = 0
    nbits = 0
    out = bytearray()
    for s in septets:
        bits |= s << nbits
        nbits += 7
        while nbits >= 8:
            out.append(bits & 0xff)
            bits >>= 8
            nbits -= 8
    if nbits:
        out.append(bits & 0xff)
    return len(septets), bytes(out)


def _semi_octets(digits):
    return bytes.fromhex(_swap_nibbles(digits))


def sms_deliver_pdu(number, text, timestamp):
    """An SMS-DELIVER TPDU with SMSC header (as +CMGL/+CMGR show in PDU mode).
    timestamp is 'yy/MM/dd,hh:mm:ss+zz' (zz in quarter hours)."""
    international = number.startswith('+')
    digits = number.lstrip('+')
    smsc = b'\x00'  # no SMSC address
    first = b'\x04'  # SMS-DELIVER, no more messages to send
    oa = bytes([len(digits), 0x91 if international else 0x81]) + _semi_octets(digits)
    m = re.fullmatch(r'(\d\d)/(\d\d)/(\d\d),(\d\d):(\d\d):(\d\d)([+-])(\d\d)', timestamp)
    if not m:
        raise ValueError(f'bad SMS timestamp {timestamp!r}')
    tz = int(m.group(8))
    scts = _semi_octets(''.join(m.group(i) for i in range(1, 7)))
    tz_octet = _semi_octets(f'{tz:02d}')[0] | (0x08 if m.group(7) == '-' else 0)
    septet_count, ud = _gsm7_pack(text)
    tpdu = first + oa + b'\x00\x00' + scts + bytes([tz_octet, septet_count]) + ud
    return smsc + tpdu, len(tpdu)


class ATModem:
    """One simulated modem on the abstract Unix socket `name` (e.g.
    'abstract:mmport0', the string given to Test.SetProfile)."""

    def __init__(self, name, **state):
        unknown = set(state) - set(DEFAULTS)
        if unknown:
            raise TypeError(f'unknown modem attributes: {sorted(unknown)}')
        self.name = name
        self._lock = threading.RLock()
        self._state = {k: (set(v) if isinstance(v, set) else list(v) if isinstance(v, list) else v)
                       for k, v in DEFAULTS.items()}
        self._state.update(state)
        self._state['sms'] = [dict(s) for s in self._state['sms']]
        # Per-connection settings the daemon changes with commands.
        self._cops_format = 0
        self._creg_mode = {'CREG': 0, 'CGREG': 0, 'CEREG': 0}
        self._cmgf = 0
        self._cpms = ['SM', 'SM', 'SM']   # mem1 (read/list), mem2, mem3
        self._log = []          # (monotonic time, command)
        self._listener = None
        self._connections = set()
        self._threads = []
        self._cond = threading.Condition(self._lock)
        self.connects = 0

    # -- control API (called from the test) -----------------------------------

    def start(self):
        """Listen; returns self. Must happen before Test.SetProfile."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.bind('\0' + self.name)
        sock.listen(4)
        self._listener = sock
        t = threading.Thread(target=self._accept_loop, name=f'at-{self.name}', daemon=True)
        t.start()
        self._threads.append(t)
        return self

    def set(self, **changes):
        """Change what the modem answers from now on."""
        unknown = set(changes) - set(DEFAULTS)
        if unknown:
            raise TypeError(f'unknown modem attributes: {sorted(unknown)}')
        with self._lock:
            self._state.update(changes)

    def get(self, key):
        with self._lock:
            return self._state[key]

    def unsolicited(self, line):
        """Send an unsolicited result line (e.g. '+CREG: 5') to the daemon."""
        self._send_all(f'\r\n{line}\r\n'.encode())

    def vanish(self):
        """The modem disappears: stop listening and hang up every connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            connections = list(self._connections)
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        for t in self._threads:
            t.join(2)

    stop = vanish

    @property
    def connected(self):
        with self._lock:
            return bool(self._connections)

    def commands(self, prefix=None):
        """Every command received so far (optionally only those starting with
        `prefix`, case-insensitive), oldest first."""
        with self._lock:
            return [c for _, c in self._log
                    if prefix is None or c.upper().startswith(prefix.upper())]

    def mark(self):
        """A position in the command log for wait_for_command(since=...)."""
        with self._lock:
            return len(self._log)

    def wait_for_command(self, prefix, timeout=10.0, since=0):
        """Block until a command starting with `prefix` arrives (after log
        position `since`); returns it, or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for _, c in self._log[since:]:
                    if c.upper().startswith(prefix.upper()):
                        return c
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f'{self.name}: no {prefix} within {timeout} s')
                self._cond.wait(left)

    def transcript(self):
        """The command log as text, for failure messages."""
        with self._lock:
            t0 = self._log[0][0] if self._log else 0
            return '\n'.join(f'{t - t0:8.3f} {c}' for t, c in self._log)

    # -- the server -----------------------------------------------------------

    def _accept_loop(self):
        listener = self._listener
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                if self._listener is None:
                    conn.close()
                    return
                self._connections.add(conn)
                self.connects += 1
                # A new connection is a new session of the modem.
                self._cops_format = 0
                self._creg_mode = dict.fromkeys(self._creg_mode, 0)
                self._cpms = ['SM', 'SM', 'SM']
            t = threading.Thread(target=self._serve, args=(conn,), daemon=True,
                                 name=f'at-{self.name}-conn')
            t.start()
            self._threads.append(t)

    def _send_all(self, data):
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.sendall(data)
            except OSError:
                pass

    def _serve(self, conn):
        buf = b''
        try:
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
                # Commands end in CR (S3); a LF after it is ignored.
                while b'\r' in buf:
                    line, buf = buf.split(b'\r', 1)
                    command = line.decode('latin-1').strip('\n ').strip()
                    if not command:
                        continue
                    reply = self._handle(command)
                    try:
                        conn.sendall(reply.encode('latin-1'))
                    except OSError:
                        return
        finally:
            with self._lock:
                self._connections.discard(conn)
            conn.close()

    def _handle(self, command):
        with self._cond:
            self._log.append((time.monotonic(), command))
            self._cond.notify_all()
            try:
                lines = self._answer(command)
            except _CommandError as e:
                if e.cme is not None:
                    return f'\r\n+CME ERROR: {e.cme}\r\n'
                return '\r\nERROR\r\n'
        if lines is None:
            return '\r\nERROR\r\n'
        # Information lines are framed by one CR LF each side and separated
        # by one CR LF (V.250 5.7.2), then the final result code.
        if not lines:
            return '\r\nOK\r\n'
        return '\r\n' + '\r\n'.join(lines) + '\r\n\r\nOK\r\n'

    # -- the commands ---------------------------------------------------------

    def _require_sim(self):
        s = self._state
        if s['pin_locked']:
            if s['pin_retries'] == 0:
                raise _CommandError(CME_SIM_PUK_REQUIRED)
            raise _CommandError(CME_SIM_PIN_REQUIRED)

    def _answer(self, command):
        """Lines of a successful answer, or None for ERROR."""
        s = self._state
        cmd = command.upper()
        base = re.match(r'AT[+%$^*&]?[A-Z0-9]*', cmd)
        base = base.group(0) if base else cmd
        if base in s['unsupported'] or cmd in s['unsupported']:
            return None

        if cmd in ('AT', 'ATE0', 'ATE1', 'ATV1', 'ATQ0', 'ATX4', 'AT&C1', 'ATZ', 'AT&F',
                   'AT+CMEE=1', 'AT+CMEE=2', 'ATS0=0'):
            return []
        if cmd == 'AT+GCAP':
            return ['+GCAP: +CGSM +DS +ES']
        if cmd == 'ATI':
            return [s['manufacturer'], s['model'], f"Revision: {s['revision']}"]
        if cmd in ('AT+CGMI', 'AT+GMI'):
            return [s['manufacturer']]
        if cmd in ('AT+CGMM', 'AT+GMM'):
            return [s['model']]
        if cmd in ('AT+CGMR', 'AT+GMR'):
            return [s['revision']]
        if cmd in ('AT+CGSN', 'AT+GSN'):
            return [s['imei']]
        # access technologies the modem supports (WS46 modes: 12 GSM, 22 UTRAN,
        # 28 E-UTRAN, 25/29/30/31 combinations)
        if cmd == 'AT+WS46=?' and s['ws46']:
            return ['+WS46: (' + ','.join(str(m) for m in s['ws46']) + ')']
        if cmd == 'AT+WS46?' and s['ws46']:
            return [f'+WS46: {s["ws46_current"]}']
        m = re.fullmatch(r'AT\+WS46=(\d+)', cmd)
        if m and s['ws46'] and int(m.group(1)) in s['ws46']:
            s['ws46_current'] = int(m.group(1))
            return []
        if cmd == 'AT+IFC=?':
            return ['+IFC: (0-2),(0-2)']
        if cmd.startswith('AT+IFC='):
            return []

        # SIM
        if cmd == 'AT+CPIN?':
            if not s['pin_locked']:
                return ['+CPIN: READY']
            return ['+CPIN: SIM PUK' if s['pin_retries'] == 0 else '+CPIN: SIM PIN']
        if cmd.startswith('AT+CPIN='):
            return self._enter_pin(command)
        if cmd == 'AT+CLCK=?':
            return ['+CLCK: ("SC","PN","PU","PP","PC","FD")']
        m = re.fullmatch(r'AT\+CLCK="(\w+)",2', cmd)
        if m:
            if m.group(1) == 'SC':
                return [f"+CLCK: {1 if s['pin'] else 0}"]
            return ['+CLCK: 0']
        if cmd == 'AT+CIMI':
            self._require_sim()
            return [s['imsi']]
        if cmd == 'AT+CNUM':
            self._require_sim()
            return [f'+CNUM: "","{s["own_number"]}",{145 if s["own_number"].startswith("+") else 129}']
        m = re.fullmatch(r'AT\+CRSM=176,(\d+),0,0,(\d+)', cmd)
        if m:
            if int(m.group(1)) != EF_ICCID:   # EF_ICCID is readable without the PIN
                self._require_sim()
            return self._read_binary(int(m.group(1)), int(m.group(2)))
        m = re.fullmatch(r'AT\+CSIM=(\d+),"([0-9A-F]+)"', cmd)
        if m:
            return self._csim(m.group(2))
        if cmd == 'AT+CPINR' or cmd.startswith('AT+CPINR='):
            return [f'+CPINR: SIM PIN,{s["pin_retries"]},3',
                    f'+CPINR: SIM PUK,{s["puk_retries"]},10']

        # power
        if cmd == 'AT+CFUN?':
            return [f"+CFUN: {s['cfun']}"]
        if cmd == 'AT+CFUN=?':
            return ['+CFUN: (0,1,4),(0,1)']
        m = re.fullmatch(r'AT\+CFUN=(\d+)(,\d+)?', cmd)
        if m:
            s['cfun'] = int(m.group(1))
            return []

        # character set
        if cmd == 'AT+CSCS=?':
            return ['+CSCS: ("IRA","GSM","UCS2")']
        if cmd == 'AT+CSCS?':
            return ['+CSCS: "IRA"']
        if cmd.startswith('AT+CSCS='):
            return []

        # registration
        m = re.fullmatch(r'AT\+(CREG|CGREG|CEREG)=(\d)', cmd)
        if m:
            self._creg_mode[m.group(1)] = int(m.group(2))
            return []
        m = re.fullmatch(r'AT\+(CREG|CGREG|CEREG)=\?', cmd)
        if m:
            return [f'+{m.group(1)}: (0-2)']
        m = re.fullmatch(r'AT\+(CREG|CGREG|CEREG)\?', cmd)
        if m:
            return [self._registration(m.group(1))]
        if cmd == 'AT+COPS?':
            return [self._cops()]
        m = re.fullmatch(r'AT\+COPS=3,(\d)', cmd)
        if m:
            self._cops_format = int(m.group(1))
            return []
        if cmd == 'AT+COPS=?':
            return [f'+COPS: (2,"{s["operator_name"]}","{s["operator_name"][:16]}",'
                    f'"{s["operator_code"]}",{s["act"]}),,(0-4),(0-2)']
        if re.fullmatch(r'AT\+COPS=0(,.*)?', cmd) or re.fullmatch(r'AT\+COPS=[124],.*', cmd):
            return []
        if cmd == 'AT+CGATT?':
            return [f"+CGATT: {1 if s['reg_stat'] in (1, 5) else 0}"]

        # indicators (+CIND/+CMER/+CIEV), optional
        if cmd == 'AT+CIND=?' and s['cind']:
            return ['+CIND: ("battchg",(0-5)),("signal",(0-5)),("service",(0-1)),'
                    '("call",(0-1)),("roam",(0-1)),("smsfull",(0-1)),("message",(0-1))']
        if cmd == 'AT+CIND?' and s['cind']:
            return [f'+CIND: 5,{self.cind_signal()},{1 if self._registered() else 0},0,'
                    f'{1 if s["reg_stat"] == 5 else 0},0,0']
        if cmd == 'AT+CMER=?' and s['cind']:
            return ['+CMER: (0-3),(0),(0),(0-2),(0-1)']
        if cmd.startswith('AT+CMER=') and s['cind']:
            return []

        # signal
        if cmd == 'AT+CSQ':
            rssi, ber = s['csq']
            return [f'+CSQ: {rssi},{ber}']
        if cmd == 'AT+CSQ=?':
            return ['+CSQ: (0-31,99),(0-7,99)']
        if cmd == 'AT+CESQ=?':
            return ['+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)']
        if cmd == 'AT+CESQ':
            return ['+CESQ: ' + ','.join(str(v) for v in s['cesq'])]

        # packet data contexts
        if cmd == 'AT+CGDCONT=?':
            return ['+CGDCONT: (1-16),"IP",,,(0-2),(0-4)',
                    '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)',
                    '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)']
        if cmd == 'AT+CGDCONT?':
            return ['+CGDCONT: 1,"IP","internet","0.0.0.0",0,0']
        if cmd == 'AT+CGACT?':
            return ['+CGACT: 1,0']

        # SMS
        if cmd == 'AT+CMGF=?':
            return ['+CMGF: (0,1)']
        if cmd == 'AT+CMGF?':
            return [f'+CMGF: {self._cmgf}']
        m = re.fullmatch(r'AT\+CMGF=(\d)', cmd)
        if m:
            self._cmgf = int(m.group(1))
            return []
        if cmd == 'AT+CNMI=?':
            return ['+CNMI: (0-2),(0-3),(0-3),(0-2),(0,1)']
        if cmd.startswith('AT+CNMI='):
            return []
        if cmd == 'AT+CPMS=?':
            return ['+CPMS: ("SM","ME"),("SM","ME"),("SM","ME")']
        if cmd == 'AT+CPMS?':
            return ['+CPMS: ' + ','.join(f'"{m}",{self._sms_used(m)},{s["sms_capacity"]}'
                                         for m in self._cpms)]
        if cmd.startswith('AT+CPMS='):
            chosen = re.findall(r'"(\w+)"', cmd)
            if not chosen or any(m not in ('SM', 'ME') for m in chosen):
                raise _CommandError(CME_NOT_SUPPORTED)
            self._cpms[:len(chosen)] = chosen
            return ['+CPMS: ' + ','.join(f'{self._sms_used(m)},{s["sms_capacity"]}'
                                         for m in self._cpms)]
        if cmd.startswith('AT+CMGL'):
            self._require_sim()
            return self._list_sms()
        m = re.fullmatch(r'AT\+CMGR=(\d+)', cmd)
        if m:
            return self._read_sms(int(m.group(1)))
        m = re.fullmatch(r'AT\+CMGD=(\d+)(,\d)?', cmd)
        if m:
            gone = [x for x in self._stored(self._cpms[0]) if x['index'] == int(m.group(1))]
            s['sms'] = [x for x in s['sms'] if not any(x is g for g in gone)]
            return []
        if cmd == 'AT+CSMS=?':
            return ['+CSMS: (0,1)']
        if cmd == 'AT+CSMS?':
            return ['+CSMS: 0,1,1,1']
        if cmd.startswith('AT+CSMS='):
            return ['+CSMS: 1,1,1']
        return None

    def _enter_pin(self, command):
        s = self._state
        args = re.findall(r'"([^"]*)"', command)
        if not s['pin_locked']:
            return []
        if s['pin_retries'] == 0:
            # SIM PUK: AT+CPIN="puk","newpin"
            if len(args) == 2 and args[0] == s['puk']:
                s.update(pin=args[1], pin_locked=False, pin_retries=3, puk_retries=10)
                return []
            s['puk_retries'] = max(0, s['puk_retries'] - 1)
            raise _CommandError(CME_INCORRECT_PASSWORD)
        if args and args[0] == s['pin']:
            s.update(pin_locked=False, pin_retries=3)
            return []
        s['pin_retries'] = max(0, s['pin_retries'] - 1)
        raise _CommandError(CME_INCORRECT_PASSWORD)

    def _csim(self, apdu):
        """Generic SIM access: VERIFY PIN without data (00 20 00 01 / 81) is how
        ModemManager's generic modem asks for PIN/PUK retries."""
        s = self._state
        if apdu.startswith('002000'):   # VERIFY, no data: retries of PIN1/PIN2
            return [f'+CSIM: 4,"63C{s["pin_retries"]:X}"' if apdu[6:8] == '01' else '+CSIM: 4,"63C3"']
        if apdu.startswith('002C00'):   # UNBLOCK, no data: retries of PUK1/PUK2
            return [f'+CSIM: 4,"63C{min(s["puk_retries"], 15):X}"' if apdu[6:8] == '01'
                    else '+CSIM: 4,"63CA"']
        return None

    def _read_binary(self, file_id, length):
        s = self._state
        if file_id == EF_ICCID:
            data = _swap_nibbles(s['iccid'])
        elif file_id == EF_SPN and s['spn']:
            raw = s['spn'].encode('ascii')[:16]
            data = ('00' + raw.hex() + 'FF' * (16 - len(raw))).upper()
        elif file_id == EF_AD:
            # administrative data: normal operation, then the length of the
            # MNC in the IMSI (how the daemon splits it into MCC and MNC)
            data = f'000000{s["sim_mnc_length"]:02X}'
        else:
            return ['+CRSM: 106,130,""']   # file not found
        return [f'+CRSM: 144,0,"{data}"']

    def cind_signal(self):
        """The +CIND/+CIEV 'signal' indicator (0-5) matching the +CSQ rssi."""
        rssi = self._state['csq'][0]
        return 0 if rssi == 99 else min(5, (rssi * 5 + 15) // 31)

    def _registered(self):
        return self._state['reg_stat'] in (1, 5)

    def _registration(self, which):
        """+CREG/+CGREG/+CEREG answer. With <n>=2 a registered modem adds its
        cell: LAC for the circuit/packet domains (+CREG, +CGREG) on GSM/UMTS,
        TAC for EPS (+CEREG) on LTE, as a modem camping on that technology
        would; the other domains then report the bare status."""
        s = self._state
        mode = self._creg_mode[which]
        stat = s['reg_stat']
        lte = s['act'] == ACT_LTE
        if mode == 2 and stat in (1, 5) and (which == 'CEREG') == lte:
            area = s['tac'] if lte else s['lac']
            return f'+{which}: {mode},{stat},"{area}","{s["ci"]}",{s["act"]}'
        return f'+{which}: {mode},{stat}'

    def _cops(self):
        s = self._state
        if not self._registered():
            return '+COPS: 0'
        if self._cops_format == 2:
            oper = s['operator_code']
        elif self._cops_format == 1:
            oper = s['operator_name'][:16]
        else:
            oper = s['operator_name']
        return f'+COPS: 0,{self._cops_format},"{oper}",{s["act"]}'

    def _stored(self, memory):
        return [x for x in self._state['sms'] if x.get('storage', 'SM') == memory]

    def _sms_used(self, memory):
        return len(self._stored(memory))

    def _list_sms(self):
        lines = []
        for sms in sorted(self._stored(self._cpms[0]), key=lambda x: x['index']):
            status = sms.get('status', 'REC UNREAD')
            if self._cmgf == 0:
                pdu, tpdu_len = sms_deliver_pdu(sms['number'], sms['text'], sms['timestamp'])
                lines += [f'+CMGL: {sms["index"]},{_STAT_CODES[status]},,{tpdu_len}', pdu.hex().upper()]
            else:
                lines += [f'+CMGL: {sms["index"]},"{status}","{sms["number"]}",,"{sms["timestamp"]}"',
                          sms['text']]
        return lines

    def _read_sms(self, index):
        for sms in self._stored(self._cpms[0]):
            if sms['index'] != index:
                continue
            status = sms.get('status', 'REC UNREAD')
            if self._cmgf == 0:
                pdu, tpdu_len = sms_deliver_pdu(sms['number'], sms['text'], sms['timestamp'])
                return [f'+CMGR: {_STAT_CODES[status]},,{tpdu_len}', pdu.hex().upper()]
            return [f'+CMGR: "{status}","{sms["number"]}",,"{sms["timestamp"]}"', sms['text']]
        raise _CommandError(321)  # invalid memory index


def main():
    parser = argparse.ArgumentParser(description='Serve one simulated AT modem.')
    parser.add_argument('name', help='abstract socket name, e.g. abstract:mmport0')
    parser.add_argument('--pin', help='the SIM needs this PIN')
    parser.add_argument('--manufacturer', default=DEFAULTS['manufacturer'])
    parser.add_argument('--model', default=DEFAULTS['model'])
    args = parser.parse_args()
    modem = ATModem(args.name, manufacturer=args.manufacturer, model=args.model,
                    pin=args.pin, pin_locked=bool(args.pin)).start()
    seen = 0
    print('READY', flush=True)
    try:
        while True:
            time.sleep(0.2)
            cmds = modem.commands()
            for c in cmds[seen:]:
                print(c, file=sys.stderr, flush=True)
            seen = len(cmds)
    except KeyboardInterrupt:
        modem.vanish()


if __name__ == '__main__':
    main()
