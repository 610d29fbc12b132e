#!/usr/bin/env python3
"""Writes the man page of mm-exporter or mm-exporter-frontend.

One source for both pages: the flags, their defaults and the summary come
from the binary's own --help (so a page cannot drift from the code), the
prose around them from PAGES below.

usage: gen_man.py BINARY OUTPUT.8   (also writes OUTPUT.8.gz, gzip -9n)
"""

import datetime
import gzip
import os
import re
import subprocess
import sys

SEE_ALSO = ('.BR mm-exporter (8),\n.BR mm-exporter-frontend (8),\n.BR systemd.exec (5),\n'
            '.BR systemd-analyze (1),\n.BR ModemManager (8),\n.BR mmcli (1)')

PAGES = {
    'mm-exporter': {
        'name': 'Prometheus exporter for ModemManager (the collector)',
        'synopsis': '[\\fIflags\\fR]',
        'sections': [
            ('MODES', [
                'In one-command mode (the default) the collector binds the HTTP '
                'listening sockets, starts \\fBmm-exporter-frontend\\fR(8) with them and '
                'its end of a socket pair, and restarts it with backoff when it dies. '
                'Started as root, the frontend locks itself down before it reads '
                'anything from the network: its own network namespace, an empty root, '
                'the \\fBmm-exporter\\fR user, no capabilities, a seccomp filter.',
                'In split mode (\\fB\\-\\-collector\\-socket\\fR=\\fIPATH\\fR) the collector '
                'starts no frontend: it listens on \\fIPATH\\fR and writes snapshots to '
                'every frontend that connects, after checking its uid with SO_PEERCRED '
                '(root, the user the collector runs as, and the frontend user are '
                'accepted). When systemd passes a listening Unix socket bound to '
                '\\fIPATH\\fR (socket activation, \\fBmm-exporter-collector.socket\\fR), the '
                'collector uses it instead of binding, and leaves the path in place at '
                'exit. Any other socket passed by systemd is an error.',
                'The collector never reads a byte from a frontend.',
            ]),
            ('SYSTEMD', [
                'Under systemd the collector reports READY=1 once it serves and the '
                'first snapshot is out, keeps STATUS= up to date (ModemManager, '
                'modems, frontends connected), and sends WATCHDOG=1 from its event '
                'loop when the unit sets WatchdogSec=. Units: \\fBmm-exporter.service\\fR '
                '(one-command mode), \\fBmm-exporter-collector.service\\fR and '
                '\\fBmm-exporter-collector.socket\\fR (split mode).',
            ]),
            ('SIGNALS', [
                '\\fBSIGHUP\\fR resyncs every modem with ModemManager. \\fBSIGTERM\\fR and '
                '\\fBSIGINT\\fR stop the collector and its frontend.',
            ]),
            ('ENVIRONMENT', [
                '\\fBDBUS_SYSTEM_BUS_ADDRESS\\fR selects the system bus, as for every '
                'D-Bus client. \\fBNOTIFY_SOCKET\\fR, \\fBWATCHDOG_USEC\\fR and '
                '\\fBLISTEN_FDS\\fR are read when systemd sets them, and never passed on '
                'to the frontend.',
            ]),
            ('EXIT STATUS', [
                '0 after SIGTERM or SIGINT, 1 when serving failed (or the frontend kept '
                'crashing), 2 for a bad flag or value.',
            ]),
        ],
    },
    'mm-exporter-frontend': {
        'name': 'HTTP frontend of mm-exporter, the Prometheus exporter for ModemManager',
        'synopsis': '(\\fB\\-\\-collector\\-fd\\fR=\\fIN\\fR | '
                    '\\fB\\-\\-collector\\-socket\\fR=\\fIPATH\\fR) [\\fIflags\\fR]',
        'sections': [
            ('MODES', [
                'Started by \\fBmm-exporter\\fR(8) in one-command mode, it gets its listening '
                'sockets (\\fB\\-\\-listen\\-fd\\fR) and the collector connection '
                '(\\fB\\-\\-collector\\-fd\\fR) ready-made, and exits when that collector is '
                'gone.',
                'In split mode it connects to the collector\'s socket '
                '(\\fB\\-\\-collector\\-socket\\fR) and reconnects whenever the connection is '
                'lost, serving \\fBmodemmanager_exporter_collector_up 0\\fR meanwhile. With '
                '\\fB\\-\\-web.systemd\\-socket\\fR it serves on every listening socket systemd '
                'passes (socket activation, \\fBmm-exporter.socket\\fR), and fails when there '
                'is none.',
            ]),
            ('SYSTEMD', [
                'Under systemd it reports READY=1 once it serves, with a STATUS= line '
                'naming its sockets and its collector. The notification socket is '
                'connected before the frontend locks itself down. Units: '
                '\\fBmm-exporter.socket\\fR and \\fBmm-exporter-frontend.service\\fR (split '
                'mode), which runs it as the \\fBmm-exporter\\fR user in a private network '
                'namespace.',
            ]),
            ('EXIT STATUS', [
                '0 after SIGTERM or SIGINT, 1 when serving failed or the collector that '
                'started it is gone, 2 for a bad flag or value.',
            ]),
        ],
    },
}


def roff_escape(text):
    text = text.replace('\\', '\\e')
    return text


def roff_line(text):
    """One line of running text: a leading . or ' would be a request."""
    text = roff_escape(text).replace('-', '\\-')
    return '\\&' + text if text[:1] in ('.', "'") else text


def run(binary, flag):
    return subprocess.run([binary, flag], check=True, capture_output=True, text=True,
                          timeout=30).stdout


def parse_help(text):
    """Returns (summary paragraphs, [(names, help)], [(title, lines)])."""
    blocks = text.rstrip('\n').split('\n\n')
    if not blocks[0].startswith('usage:'):
        raise ValueError('--help does not start with "usage:"')
    summary = []
    flags = []
    others = []
    for block in blocks[1:]:
        lines = block.split('\n')
        heading = re.fullmatch(r'([A-Z][A-Za-z ]*?)(?: \(.*\))?:', lines[0])
        if heading and heading.group(1) == 'Flags':
            current = None
            for line in lines[1:]:
                if line.startswith('      '):
                    current[1].append(line.strip())
                elif line.startswith('  '):
                    current = (line.strip(), [])
                    flags.append(current)
        elif heading:
            others.append((heading.group(1).upper(), [line.strip() for line in lines[1:]],
                           lines[0]))
        else:
            summary.append(' '.join(line.strip() for line in lines))
    # An empty or false default says nothing a reader needs.
    flags = [(names, re.sub(r' \(default: "(false)?"\)$', '', ' '.join(help_lines)))
             for names, help_lines in flags]
    return summary, flags, others


def flag_names(names):
    """'--web.listen-address=VALUE, -listen-address' in bold, VALUE in italics."""
    out = []
    for name in names.split(', '):
        flag, _, value = name.partition('=')
        item = '\\fB' + roff_escape(flag).replace('-', '\\-') + '\\fR'
        if value:
            item += '=\\fI' + roff_escape(value) + '\\fR'
        out.append(item)
    return ', '.join(out)


def page(program, binary):
    spec = PAGES[program]
    summary, flags, others = parse_help(run(binary, '--help'))
    version = run(binary, '--version').split('\n')[0]
    match = re.search(r'version (\S+)', version)
    epoch = os.environ.get('SOURCE_DATE_EPOCH')
    day = (datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc) if epoch
           else datetime.datetime.now(datetime.timezone.utc)).strftime('%Y-%m-%d')
    out = [
        f'.\\" Generated by docs/gen_man.py from `{program} --help`; do not edit.',
        f'.TH {program.upper()} 8 "{day}" "mm-exporter {match.group(1) if match else ""}" '
        '"System Administration"',
        '.SH NAME',
        f'{program.replace("-", chr(92) + "-")} \\- {spec["name"]}',
        '.SH SYNOPSIS',
        f'.B {program}',
        spec['synopsis'],
        '.SH DESCRIPTION',
    ]
    for paragraph in summary:
        out += [roff_line(paragraph), '.PP']
    out.append('Every flag takes one or two leading dashes, and a value after "=" or as '
               'the next argument. Durations use Go syntax (500ms, 5s, 1m).')
    out.append('.SH OPTIONS')
    for names, help_text in flags:
        out += ['.TP', flag_names(names), roff_line(help_text)]
    for title, paragraphs in spec['sections']:
        out.append(f'.SH {title}')
        for i, paragraph in enumerate(paragraphs):
            if i:
                out.append('.PP')
            out.append(paragraph)
    for title, lines, heading in others:
        out += [f'.SH {title}', roff_line(heading.rstrip(':') + '.'), '.PP', '.nf']
        out += [roff_line(line) for line in lines]
        out.append('.fi')
    out += ['.SH SEE ALSO', SEE_ALSO, '']
    return '\n'.join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, output = sys.argv[1], sys.argv[2]
    program = os.path.basename(output).rsplit('.', 1)[0]
    text = page(program, binary)
    with open(output, 'w', encoding='utf-8') as f:
        f.write(text)
    # gzip -9n: no name, no time stamp, so the package is reproducible.
    with open(output + '.gz', 'wb') as raw:
        with gzip.GzipFile(filename='', mode='wb', compresslevel=9, fileobj=raw, mtime=0) as gz:
            gz.write(text.encode('utf-8'))


if __name__ == '__main__':
    main()
