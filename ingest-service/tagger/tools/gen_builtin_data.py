#!/usr/bin/env python3
"""Embeds the tagger's data files into a C++ source file at build time.

Why a generator instead of committed derived files: the records a Tagger
loads are visibly derived from their public sources (the S&P 500 CSV, Debian
iso-codes) by the few rules below, and a change to a source is picked up by
the next build. Every virtual file keeps its source's name so that load
errors can name file:line.

Usage: gen_builtin_data.py OUT.cc DATA_DIR ISO_3166_JSON ISO_4217_JSON
"""
import csv
import io
import json
import os
import re
import sys

# Legal forms and share classes that news leaves out ("Alphabet Inc. (Class
# A)" is written "Alphabet").
_SUFFIX = re.compile(
    r'(,? (Inc\.?|Incorporated|Corporation|Corp\.?|Company|Co\.|plc|PLC|'
    r'Ltd\.?|Limited|N\.V\.|S\.A\.|AG|SE|Holdings|Group|& Co\.?|& Company|'
    r'Companies|Bancorp))+$')
_US_STATES = {
    'Alabama', 'Alaska', 'Arizona', 'Arkansas', 'California', 'Colorado',
    'Connecticut', 'Delaware', 'Florida', 'Georgia', 'Hawaii', 'Idaho',
    'Illinois', 'Indiana', 'Iowa', 'Kansas', 'Kentucky', 'Louisiana', 'Maine',
    'Maryland', 'Massachusetts', 'Michigan', 'Minnesota', 'Mississippi',
    'Missouri', 'Montana', 'Nebraska', 'Nevada', 'New Hampshire', 'New Jersey',
    'New Mexico', 'New York', 'North Carolina', 'North Dakota', 'Ohio',
    'Oklahoma', 'Oregon', 'Pennsylvania', 'Rhode Island', 'South Carolina',
    'South Dakota', 'Tennessee', 'Texas', 'Utah', 'Vermont', 'Virginia',
    'Washington', 'West Virginia', 'Wisconsin', 'Wyoming', 'D.C.'}

# Names that are places on their own (a country or its abbreviation, a US
# state), which a cleaned company name must not be.
_PLACE_NAMES = _US_STATES | {'U.S.', 'US', 'USA', 'America', 'United States'}


def clean_name(name):
    name = re.sub(r'\s*\(Class [A-Z]\)', '', name).strip()
    m = re.match(r'^(.*) \(The\)$', name)
    if m:
        name = m.group(1)
    name = name.replace('\u2013', '-')
    cleaned = _SUFFIX.sub('', name).strip()
    # "U.S. Bancorp" is not "U.S.": a name left as a bare place keeps its
    # legal form.
    if cleaned in _PLACE_NAMES:
        return name
    return cleaned or name


def hq_country(location, iso_names):
    place = re.sub(r'\[\d+\]', '', location.split(',')[-1]).strip()
    if place in _US_STATES:
        return 'US'
    return iso_names.get(place, '')


def sp500_records(csv_text, overrides, iso_names):
    """One output line per CSV line, so errors keep the CSV's line numbers."""
    out = []
    reader = csv.reader(io.StringIO(csv_text))
    for i, row in enumerate(reader):
        if i == 0:
            out.append('# ' + ','.join(row))
            continue
        symbol, security, location = row[0], row[1], row[4]
        name = clean_name(security)
        cid = 'ticker:' + symbol
        aliases = []
        if symbol in overrides:
            o = overrides[symbol]
            if o[0] == 'skip':
                out.append('# skipped by sp500-names.tsv: ' + symbol)
                continue
            name = o[0] or name
            cid = o[1] or cid
            aliases = [a for a in o[2].split('|') if a]
        full = re.sub(r'\s*\(Class [A-Z]\)', '', security).strip()
        m = re.match(r'^(.*) \(The\)$', full)
        if m:
            full = m.group(1)
        plain = {a.lstrip('~=') for a in aliases}
        if full != name and full not in plain and len(full.split()) > 1:
            aliases.append(full)
        out.append('\t'.join(['company', cid, name, symbol,
                              hq_country(location, iso_names),
                              '|'.join(aliases)]))
    return '\n'.join(out) + '\n'


def read_overrides(path):
    result = {}
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('#'):
                continue
            cols = line.split('\t') + ['', '', '']
            result[cols[0]] = (cols[1], cols[2], cols[3])
    return result


def iso_country_records(countries):
    out = ['# generated from Debian iso-codes iso_3166-1.json']
    for c in countries:
        code = c['alpha_2']
        names = [c['name']]
        for key in ('common_name', 'official_name'):
            if key in c and c[key] not in names:
                names.append(c[key])
        out.append('\t'.join(['country', code, c.get('common_name', c['name'])]))
        # Official names ("Republic of Angola") are unambiguous; the short name
        # is the one news writes.
        out.append('\t'.join(['place', code, 'name', '|'.join(names)]))
    return '\n'.join(out) + '\n'


def iso_currency_records(currencies):
    out = ['# generated from Debian iso-codes iso_4217.json']
    for c in currencies:
        out.append('currency\t' + c['alpha_3'])
    return '\n'.join(out) + '\n'


def cxx_literal(text):
    # Raw string literals in chunks: keeps each literal small and avoids any
    # escaping of the data.
    delim = 'nfdata'
    assert ')' + delim + '"' not in text
    chunks = [text[i:i + 8000] for i in range(0, len(text), 8000)] or ['']
    return '\n'.join('R"%s(%s)%s"' % (delim, c, delim) for c in chunks)


def main():
    out_path, data_dir, iso3166, iso4217 = sys.argv[1:5]
    with open(iso3166, encoding='utf-8') as f:
        countries = json.load(f)['3166-1']
    with open(iso4217, encoding='utf-8') as f:
        currencies = json.load(f)['4217']
    iso_names = {}
    for c in countries:
        for key in ('name', 'common_name'):
            if key in c:
                iso_names[c[key]] = c['alpha_2']
    iso_names['United Kingdom'] = 'GB'

    def read(name):
        with open(os.path.join(data_dir, name), encoding='utf-8') as f:
            return f.read()

    files = [
        ('iso_3166-1.json', iso_country_records(countries)),
        ('iso_4217.json', iso_currency_records(currencies)),
        ('sp500-constituents.csv',
         sp500_records(read('sp500-constituents.csv'),
                       read_overrides(os.path.join(data_dir, 'sp500-names.tsv')),
                       iso_names)),
    ]
    for name in ('companies.tsv', 'countries.tsv', 'topics.tsv',
                 'ambiguity.tsv'):
        files.append((name, read(name)))

    parts = ['// Generated by gen_builtin_data.py from ingest-service/tagger/data.',
             '// Do not edit.',
             '#include "ingest-service/tagger/builtin_data.h"',
             '',
             'namespace newsfeed::ingest::internal {',
             '',
             'const BuiltinFile kBuiltinFiles[] = {']
    for name, text in files:
        parts.append('    {"%s",\n%s},' % (name, cxx_literal(text)))
    parts += ['};', '',
              'const int kNumBuiltinFiles = %d;' % len(files), '',
              '}  // namespace newsfeed::ingest::internal', '']
    tmp = out_path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        f.write('\n'.join(parts))
    os.replace(tmp, out_path)


if __name__ == '__main__':
    main()
