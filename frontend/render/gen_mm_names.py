#!/usr/bin/env python3
"""Generates the ModemManager value-name tables from ModemManager-enums.h.

ModemManager names its enum values with glib-mkenums: the nick of a value is
its C name minus the enum's common prefix, lowercased, '_' replaced by '-'
(MM_MODEM_ACCESS_TECHNOLOGY_HSPA_PLUS -> "hspa-plus"). mmcli prints those
nicks, and the metric contract uses mmcli's spelling. Reading the header at
build time keeps every value of the installed ModemManager covered.

This follows glib-mkenums' parser where it matters for this header:
`/*< skip >*/` entries are dropped, `/*< nick=... >*/` overrides the nick,
entries between `/*< private >*/` and `/*< public >*/` are dropped, a type is
a bitmask when one of its values is written with '<<', and the prefix is the
longest common prefix of the value names, cut back to an underscore.

The generated C++ uses the C constants themselves as values, so the compiler,
not this script, decides every number. The only number this script computes is
the sort order of the by-value index, and the generated code checks that order
with static_assert.

Usage: gen_mm_names.py ENUMS_HEADER OUT_HEADER OUT_SOURCE
"""

import os
import re
import sys

TYPEDEF_START = re.compile(r'^\s*typedef\s+enum\s*\{\s*(?:/\*<(?P<opts>.*?)>\*/)?\s*$')
TYPEDEF_END = re.compile(r'^\s*\}\s*(?P<name>\w+)\s*;')
ENTRY = re.compile(r'''^\s*(?P<name>[A-Z][A-Z0-9_]*)\s*
                       (?:=\s*(?P<value>(?:[^,/]|/(?!\*))*?))?\s*,?\s*
                       (?:/\*<(?P<opts>.*?)>\s*\*/)?\s*,?\s*$''', re.X)
OPTIONS_ONLY = re.compile(r'^\s*/\*<(?P<opts>.*?)>\s*\*/\s*$')


def parse_options(text):
    """Parses glib-mkenums trigraph options: 'skip', 'nick=foo', ..."""
    options = {}
    for item in (text or '').split(','):
        item = item.strip()
        if not item:
            continue
        key, _, value = item.partition('=')
        options[key.strip()] = value.strip() if value else ''
    return options


def strip_comments(line, state):
    """Removes /* ... */ comments except trigraph option comments; state
    carries 'inside a block comment' across lines."""
    out = ''
    i = 0
    while i < len(line):
        if state['in_comment']:
            end = line.find('*/', i)
            if end < 0:
                return out, state
            i = end + 2
            state['in_comment'] = False
            continue
        start = line.find('/*', i)
        if start < 0:
            out += line[i:]
            break
        out += line[i:start]
        if line.startswith('/*<', start):
            end = line.find('*/', start)
            if end < 0:
                raise SystemExit('unterminated option comment: ' + line)
            out += line[start:end + 2]
            i = end + 2
            continue
        state['in_comment'] = True
        i = start + 2
    return out, state


def evaluate(expression, known):
    """Evaluates a C enumerator value: decimal, hex, '1 << n', names."""
    text = expression.strip()
    for name in sorted(known, key=len, reverse=True):
        text = re.sub(r'\b%s\b' % re.escape(name), '(%d)' % known[name], text)
    if not re.fullmatch(r'[0-9a-fA-FxX\s()<>|+\-~uUlL]*', text):
        raise SystemExit('cannot evaluate enumerator value: ' + expression)
    text = re.sub(r'(?<=[0-9a-fA-F])[uUlL]+\b', '', text)
    return int(eval(text, {'__builtins__': {}}, {}))  # only digits and operators


def parse(header_text):
    enums = []
    current = None
    private = False
    state = {'in_comment': False}
    known = {}
    for raw in header_text.splitlines():
        line, state = strip_comments(raw, state)
        if not line.strip():
            continue
        if current is None:
            m = TYPEDEF_START.match(line)
            if m:
                opts = parse_options(m.group('opts'))
                current = {'underscore_name': opts.get('underscore_name'),
                           'entries': [], 'bitmask': False}
                private = False
                next_value = 0
            continue
        m = TYPEDEF_END.match(line)
        if m:
            current['c_name'] = m.group('name')
            enums.append(current)
            current = None
            continue
        if line.lstrip().startswith('#'):
            continue  # preprocessor lines, as glib-mkenums ignores them
        m = OPTIONS_ONLY.match(line)
        if m:
            opts = parse_options(m.group('opts'))
            if 'private' in opts:
                private = True
            if 'public' in opts:
                private = False
            continue
        m = ENTRY.match(line)
        if not m:
            raise SystemExit('cannot parse enum line: ' + raw)
        name, value, opts = m.group('name'), m.group('value'), parse_options(m.group('opts'))
        if value is not None and '<<' in value:
            current['bitmask'] = True
        number = evaluate(value, known) if value is not None else next_value
        known[name] = number
        next_value = number + 1
        if private or 'skip' in opts:
            continue
        current['entries'].append({'name': name, 'value': number, 'nick': opts.get('nick')})
    if current is not None:
        raise SystemExit('unterminated typedef enum')
    return enums


def assign_nicks(enum):
    unnamed = [e['name'] for e in enum['entries'] if e['nick'] is None]
    prefix = os.path.commonprefix(unnamed) if unnamed else ''
    prefix = re.sub(r'_[^_]*$', '_', prefix)
    for e in enum['entries']:
        if e['nick'] is None:
            e['nick'] = e['name'][len(prefix):].lower().replace('_', '-')


def cxx_id(c_name):
    """MMModem3gppRegistrationState -> kModem3gppRegistrationState."""
    if not c_name.startswith('MM'):
        raise SystemExit('unexpected enum type name: ' + c_name)
    return 'k' + c_name[2:]


def generate(enums, header_path, out_header, out_source):
    source_name = os.path.basename(header_path)
    banner = ('// Generated by frontend/render/gen_mm_names.py from %s. DO NOT EDIT.\n' % source_name)
    h = [banner, '#pragma once\n\n#include <cstddef>\n#include <cstdint>\n\nnamespace mmx::mm {\n\n',
         '// Every enum and bitmask type of ModemManager-enums.h, in header order.\n',
         'enum class Enum : std::uint8_t {\n']
    for e in enums:
        h.append('  %s,  // %s\n' % (cxx_id(e['c_name']), e['c_name']))
    h.append('};\n\ninline constexpr std::size_t kEnumCount = %d;\n\n}  // namespace mmx::mm\n'
             % len(enums))

    s = [banner, '#include <ModemManager.h>\n\n#include <algorithm>\n\n',
         '#include "mm_names.h"\n\nnamespace mmx::mm::detail {\nnamespace {\n\n',
         'constexpr bool single_bit(const EnumValue& v) {\n',
         '  return v.value > 0 && (v.value & (v.value - 1)) == 0;\n}\n\n']
    for e in enums:
        ident = cxx_id(e['c_name'])[1:]
        entries = e['entries']
        def rows(items):
            return ''.join('    {%s, "%s"},\n' % (x['name'], x['nick']) for x in items)
        s.append('constexpr EnumValue k%sValues[] = {\n%s};\n' % (ident, rows(entries)))
        # First entry of each value in header order, as glib's get_string finds it.
        first = {}
        for x in entries:
            first.setdefault(x['value'], x)
        by_value = sorted(first.values(), key=lambda x: x['value'])
        s.append('constexpr EnumValue k%sByValue[] = {\n%s};\n' % (ident, rows(by_value)))
        s.append('static_assert(std::is_sorted(std::begin(k%sByValue), std::end(k%sByValue), '
                 '[](const EnumValue& a, const EnumValue& b) { return a.value < b.value; }));\n'
                 % (ident, ident))
        flags = [x for x in entries if x['value'] > 0 and (x['value'] & (x['value'] - 1)) == 0]
        if e['bitmask'] and flags:
            s.append('constexpr EnumValue k%sFlags[] = {\n%s};\n' % (ident, rows(flags)))
            s.append('static_assert(std::all_of(std::begin(k%sFlags), std::end(k%sFlags), '
                 'single_bit));\n' % (ident, ident))
            flags_ref = 'k%sFlags' % ident
        else:
            flags_ref = '{}'
        s.append('\n')
        e['_refs'] = (ident, flags_ref)
    s.append('}  // namespace\n\nconstinit const EnumTable kEnumTables[] = {\n')
    for e in enums:
        ident, flags_ref = e['_refs']
        s.append('    {"%s", "%s", %s, k%sValues, k%sByValue, %s},\n' % (
            e['c_name'], e['underscore_name'] or '', 'true' if e['bitmask'] else 'false',
            ident, ident, flags_ref))
    s.append('};\nstatic_assert(std::size(kEnumTables) == kEnumCount);\n\n'
             '}  // namespace mmx::mm::detail\n')

    for path, parts in ((out_header, h), (out_source, s)):
        text = ''.join(parts)
        try:
            with open(path, encoding='utf-8') as f:
                if f.read() == text:
                    continue  # unchanged: keep the timestamp, avoid rebuilds
        except OSError:
            pass
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)


def main(argv):
    if len(argv) != 4:
        raise SystemExit(__doc__)
    header_path, out_header, out_source = argv[1:]
    with open(header_path, encoding='utf-8') as f:
        enums = parse(f.read())
    if not enums:
        raise SystemExit('no enums found in ' + header_path)
    for e in enums:
        assign_nicks(e)
    generate(enums, header_path, out_header, out_source)


if __name__ == '__main__':
    main(sys.argv)
