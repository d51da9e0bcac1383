#!/usr/bin/python3
"""Compares `newsfeed parse` with gofeed's test expectations and with Python
feedparser, field by field, and prints pass rates and the mismatches.

References:
  gofeed-translator  gofeed testdata translator/{rss,atom}: universal Feed
                     JSON, the closest to our contract
  gofeed-parser      gofeed testdata parser/{rss,atom}: format-specific JSON
                     mapped to our contract
  feedparser         feedparser on every file above, on parser/universal
                     and on our own corpus/
Where gofeed and feedparser disagree with each other on a field, our
mismatch there is "disputed" and not counted. See README.md.
"""
import argparse
import calendar
import collections
import datetime as dt
import glob
import html
import json
import os
import re
import subprocess
import sys
import warnings

import prerequisites

FEED_FIELDS = ["title", "link", "description", "language", "updated"]
ITEM_FIELDS = ["id", "title", "link", "summary", "content", "authors",
               "categories", "published", "updated", "enclosures"]

# Statuses that mean two references say the same thing in different form.
EQUIVALENT = ("ok", "na", "markup", "order", "length")

TAG_RE = re.compile(r"<[^>]*>")
WS_RE = re.compile(r"\s+")
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
SELF_CLOSE_RE = re.compile(r"\s*/>")
URL_ATTR_RE = re.compile(r'\b(href|src|cite|poster)="([^"]*)"', re.I)

# ---------------------------------------------------------------- normalize


def collapse_ws(s):
    s = "" if s is None else s
    return WS_RE.sub(" ", s).strip()


def html_text(s, rounds=3):
    """Text of an HTML fragment: tags stripped, entities decoded (a few
    rounds, so that escaped markup and plain text compare alike)."""
    for _ in range(rounds):
        stripped = html.unescape(TAG_RE.sub("", s))
        if stripped == s:
            break
        s = stripped
    return collapse_ws(s)


def parse_date(v):
    """Epoch seconds from an epoch number or an ISO 8601 string; a string
    that does not parse stays comparable with itself."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return int(v)
    s = str(v)
    try:
        d = dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return ("unparsed", s)
    if d.tzinfo is None:
        d = d.replace(tzinfo=dt.timezone.utc)
    return int(d.timestamp())


def struct_to_epoch(t):
    return None if t is None else int(calendar.timegm(t))


def links_match(ours, exp):
    """Links are absolute in our contract; a relative expectation matches
    an absolute link ending with it."""
    if ours == exp:
        return True
    if ours is None or exp is None:
        return False
    o, e = ours.strip(), exp.strip()
    if o == e:
        return True
    if not SCHEME_RE.match(e) and o.endswith(e.lstrip("./")):
        return True
    # Trailing slash / default-port differences only.
    return o.rstrip("/") == e.rstrip("/")


def is_empty(v):
    return v is None or v == "" or v == [] or v == {}

# ------------------------------------------------------------------ compare
# Each comparer gets two non-empty values and returns a status: "ok",
# "wrong", or a kind of near miss ("markup", "order", "length").


def ok_if(same):
    return "ok" if same else "wrong"


def compare_dates(ours, exp):
    return ok_if(parse_date(ours) == parse_date(exp))


def compare_links(ours, exp):
    return ok_if(links_match(ours, exp))


def compare_text(ours, exp):
    return ok_if(html_text(ours) == html_text(exp))


def html_form(s):
    """Whitespace collapsed and "<br/>", "<br />" written "<br>"."""
    return collapse_ws(SELF_CLOSE_RE.sub(">", s))


def same_html(ours, exp):
    """Equal HTML, URL attributes compared as links (ours are resolved)."""
    o, e = html_form(ours), html_form(exp)
    if URL_ATTR_RE.sub(r'\1=""', o) != URL_ATTR_RE.sub(r'\1=""', e):
        return False
    return all(links_match(ou, eu) for (_, ou), (_, eu)
               in zip(URL_ATTR_RE.findall(o), URL_ATTR_RE.findall(e)))


def compare_html(ours, exp):
    if same_html(ours, exp):
        return "ok"
    return "markup" if html_text(ours) == html_text(exp) else "wrong"


def compare_categories(ours, exp):
    ours = [collapse_ws(c) for c in ours]
    expected = []
    for c in exp:
        if collapse_ws(c) and collapse_ws(c) not in expected:
            expected.append(collapse_ws(c))
    if ours == expected:
        return "ok"
    return "order" if sorted(ours) == sorted(expected) else "wrong"


def author_keys(authors):
    return [(collapse_ws(a.get("name") or ""), (a.get("email") or "").strip())
            for a in authors]


def compare_authors(ours, exp):
    return ok_if(author_keys(ours) == author_keys(exp))


def enclosure_keys(enclosures):
    """(url, type, length) with an unusable length read as 0."""
    keys = []
    for e in enclosures:
        length = e.get("length")
        try:
            length = int(length) if length not in (None, "") else 0
        except (TypeError, ValueError):
            length = 0
        keys.append(((e.get("url") or "").strip(),
                     (e.get("type") or "").strip(), length))
    return keys


def compare_enclosures(ours, exp):
    ours, exp = enclosure_keys(ours), enclosure_keys(exp)
    if ours == exp:
        return "ok"
    if [(u, t) for u, t, _ in ours] == [(u, t) for u, t, _ in exp]:
        return "length"
    return ok_if(len(ours) == len(exp)
                 and all(links_match(o[0], e[0]) for o, e in zip(ours, exp)))


def compare_ids(ours, exp):
    return ok_if(collapse_ws(ours) == collapse_ws(exp))


def compare_languages(ours, exp):
    return ok_if(ours.strip().lower() == exp.strip().lower())


COMPARERS = {
    "title": compare_text,
    "link": compare_links,
    "description": compare_html,
    "summary": compare_html,
    "content": compare_html,
    "language": compare_languages,
    "updated": compare_dates,
    "published": compare_dates,
    "id": compare_ids,
    "authors": compare_authors,
    "categories": compare_categories,
    "enclosures": compare_enclosures,
}


def compare(field, ours, exp):
    """Status of our value against an expected one: "na" when both are
    empty, "extra" or "missing" when one is, else the field's comparer."""
    if field == "items.count":
        return "ok" if ours == exp else "count"
    if is_empty(exp) and is_empty(ours):
        return "na"
    if is_empty(exp):
        return "extra"
    if is_empty(ours):
        return "missing"
    return COMPARERS[field.split(".", 1)[1]](ours, exp)

# ------------------------------------------------------------ expectations
# Each reference is mapped to the shape of our JSON: {"feed": {...},
# "items": [{...}]} with the fields in FEED_FIELDS and ITEM_FIELDS.


def name_and_email(authors):
    return [{"name": a.get("name"), "email": a.get("email")} for a in authors]


def gofeed_translator(j):
    """gofeed's universal Feed JSON."""
    feed = {
        "title": j.get("title"),
        "link": j.get("link"),
        "description": j.get("description"),
        "language": j.get("language"),
        "updated": j.get("updatedParsed") or j.get("publishedParsed"),
    }
    items = [{
        "id": it.get("guid"),
        "title": it.get("title"),
        "link": it.get("link"),
        "summary": it.get("description"),
        "content": it.get("content"),
        "authors": name_and_email(it.get("authors") or []),
        "categories": it.get("categories") or [],
        "published": it.get("publishedParsed"),
        "updated": it.get("updatedParsed"),
        "enclosures": it.get("enclosures") or [],
    } for it in j.get("items") or []]
    return {"feed": feed, "items": items}


def gofeed_rss(j):
    """gofeed's RSS parser JSON."""
    feed = {
        "title": j.get("title"),
        "link": j.get("link"),
        "description": j.get("description"),
        "language": j.get("language"),
        "updated": j.get("lastBuildDateParsed") or j.get("pubDateParsed"),
    }
    items = [{
        "id": (it.get("guid") or {}).get("value"),
        "title": it.get("title"),
        "link": it.get("link"),
        "summary": it.get("description"),
        "content": it.get("content"),
        # author is a raw string in the RSS parser: not comparable.
        "authors": None,
        "categories": [c.get("value") for c in it.get("categories") or []],
        "published": it.get("pubDateParsed"),
        "updated": None,
        "enclosures": [it["enclosure"]] if it.get("enclosure") else [],
    } for it in j.get("items") or []]
    return {"feed": feed, "items": items}


def atom_alternate_link(links):
    for link in links or []:
        if (link.get("rel") or "alternate") == "alternate" and link.get("href"):
            return link["href"]
    return None


def gofeed_atom_entry(it, feed_authors):
    content = it.get("content") or {}
    links = it.get("links") or []
    return {
        "id": it.get("id"),
        "title": it.get("title"),
        "link": atom_alternate_link(links),
        "summary": it.get("summary"),
        "content": content.get("value") if not content.get("src") else None,
        "authors": name_and_email(it.get("authors") or feed_authors),
        "categories": [c.get("term") for c in it.get("categories") or []],
        "published": it.get("publishedParsed"),
        "updated": it.get("updatedParsed"),
        "enclosures": [{"url": l.get("href"), "type": l.get("type"),
                        "length": l.get("length")}
                       for l in links if l.get("rel") == "enclosure"],
    }


def gofeed_atom(j):
    """gofeed's Atom parser JSON."""
    feed = {
        "title": j.get("title"),
        "link": atom_alternate_link(j.get("links")),
        "description": j.get("subtitle"),
        "language": j.get("language"),
        "updated": j.get("updatedParsed"),
    }
    feed_authors = j.get("authors") or []
    items = [gofeed_atom_entry(it, feed_authors) for it in j.get("entries") or []]
    return {"feed": feed, "items": items}


def feedparser_entry(e):
    # dict.get reads the stored key, bypassing feedparser's key aliases.
    content = dict.get(e, "content")
    return {
        "id": dict.get(e, "id"),
        "title": dict.get(e, "title"),
        "link": dict.get(e, "link"),
        "summary": dict.get(e, "summary"),
        "content": content[0].get("value") if content else None,
        "authors": name_and_email(a for a in dict.get(e, "authors") or [] if a),
        "categories": [t.get("term") for t in dict.get(e, "tags") or []
                       if t.get("term")],
        "published": struct_to_epoch(dict.get(e, "published_parsed")),
        "updated": struct_to_epoch(dict.get(e, "updated_parsed")),
        "enclosures": feedparser_enclosures(e),
    }


def feedparser_enclosures(e):
    """Enclosures and media:content, one per URL, as in our contract."""
    enclosures = {}
    for x in e.get("enclosures") or []:
        enclosures.setdefault(x.get("href"), {
            "url": x.get("href"), "type": x.get("type"),
            "length": x.get("length")})
    for x in dict.get(e, "media_content") or []:
        enclosures.setdefault(x.get("url"), {
            "url": x.get("url"), "type": x.get("type"),
            "length": x.get("filesize")})
    return list(enclosures.values())


def run_feedparser(path):
    import feedparser  # after prerequisites put Debian's copy first
    d = feedparser.parse(path)
    f = d.feed
    feed = {
        "title": dict.get(f, "title"),
        "link": dict.get(f, "link"),
        "description": dict.get(f, "subtitle"),
        "language": dict.get(f, "language"),
        "updated": struct_to_epoch(dict.get(f, "updated_parsed")
                                   or dict.get(f, "published_parsed")),
    }
    return {"feed": feed, "items": [feedparser_entry(e) for e in d.entries]}


def run_ours(cli, path):
    """(parsed JSON, None) or (None, error message)."""
    p = subprocess.run([cli, "parse", path], capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()[:200]
    try:
        return json.loads(p.stdout), None
    except json.JSONDecodeError as ex:
        return None, "bad json: %s" % ex

# ---------------------------------------------------------------- evaluate

GOFEED_KINDS = (("translator/rss", gofeed_translator),
                ("translator/atom", gofeed_translator),
                ("parser/rss", gofeed_rss),
                ("parser/atom", gofeed_atom))


def xml_files(folder):
    return sorted(glob.glob(os.path.join(folder, "*.xml")))


def load_json(path):
    with open(path) as f:
        return json.load(f)


def cases(gofeed_testdata):
    """(kind, xml path, gofeed expectation or None) for every input."""
    out = []
    for kind, to_contract in GOFEED_KINDS:
        for xml in xml_files(os.path.join(gofeed_testdata, kind)):
            expectation = xml[:-4] + ".json"
            exp = (to_contract(load_json(expectation))
                   if os.path.exists(expectation) else None)
            out.append((kind, xml, exp))
    for xml in xml_files(os.path.join(gofeed_testdata, "parser/universal")):
        out.append(("universal", xml, None))
    corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    for xml in xml_files(corpus):
        out.append(("corpus", xml, None))
    return out


def field_pairs(ours, exp):
    """Yields ((field, item index or None), ours_value, expected_value) over
    the feed, the item count when it differs, and item i of ours against
    item i of exp."""
    of, ef = ours.get("feed") or {}, exp["feed"]
    for k in FEED_FIELDS:
        yield ("feed." + k, None), of.get(k), ef.get(k)
    oi, ei = ours.get("items") or [], exp["items"]
    if len(oi) != len(ei):
        yield ("items.count", None), len(oi), len(ei)
    for i, (o, e) in enumerate(zip(oi, ei)):
        for k in ITEM_FIELDS:
            if k == "authors" and e.get(k) is None:
                continue  # not comparable for this source
            yield ("item." + k, i), o.get(k), e.get(k)


def values_by_key(ours, exp):
    """{(field, item index or None): (ours, expected)}."""
    if exp is None:
        return {}
    return {key: (o, e) for key, o, e in field_pairs(ours, exp)}


def classify(key, ours, exp, other_reference):
    """compare()'s status, prefixed "disputed:" when our value is off but
    the other reference disagrees with this one too."""
    field = key[0]
    status = compare(field, ours, exp)
    if status not in ("na", "ok") and key in other_reference:
        _, other_exp = other_reference[key]
        if compare(field, exp, other_exp) not in EQUIVALENT:
            status = "disputed:" + status
    return status


class Results:
    def __init__(self):
        # stats[source][field] = Counter(status)
        self.stats = collections.defaultdict(
            lambda: collections.defaultdict(collections.Counter))
        self.mismatches = collections.defaultdict(list)  # (src, field, status)
        self.errors = []  # (case name, CLI error)

    def record(self, source, values, other_reference, case_name):
        for key, (ours, exp) in values.items():
            field, index = key
            status = classify(key, ours, exp, other_reference)
            if status == "na":
                continue
            self.stats[source][field][status] += 1
            if status != "ok":
                self.mismatches[(source, field, status)].append(
                    (item_name(case_name, index), ours, exp))


def item_name(case_name, index):
    return case_name if index is None else "%s#%d" % (case_name, index)


def evaluate(cli, kind, path, exp, results):
    name = kind + "/" + os.path.basename(path)
    ours, error = run_ours(cli, path)
    if ours is None:
        results.errors.append((name, error))
        ours = {"feed": {}, "items": []}
    feedparser_values = values_by_key(ours, run_feedparser(path))
    gofeed_values = values_by_key(ours, exp)
    gofeed_source = "gofeed-" + kind.split("/")[0]
    results.record(gofeed_source, gofeed_values, feedparser_values, name)
    results.record("feedparser", feedparser_values, gofeed_values, name)

# ------------------------------------------------------------------ report


def counted(statuses):
    return sum(n for s, n in statuses.items() if not s.startswith("disputed"))


def overall(fields):
    """(passed, counted) over all fields of one source."""
    return (sum(c["ok"] for c in fields.values()),
            sum(counted(c) for c in fields.values()))


def print_rates(stats):
    for source in sorted(stats):
        print("== %s ==" % source)
        for field in sorted(stats[source]):
            c = stats[source][field]
            ok, total = c["ok"], counted(c)
            rate = 100.0 * ok / total if total else 100.0
            others = ", ".join("%s=%d" % (s, n) for s, n in sorted(c.items())
                               if s != "ok")
            print("  %-18s %5.1f%%  (%d/%d)  %s" % (field, rate, ok, total, others))
        ok, total = overall(stats[source])
        print("  %-18s %5.1f%%  (%d/%d)" % ("ALL", 100.0 * ok / max(total, 1),
                                            ok, total))


def print_errors(errors):
    print("\n== CLI errors: %d ==" % len(errors))
    for name, error in errors:
        print("  ", name, error)


def print_mismatches(mismatches, max_examples):
    print("\n== mismatch classes (count) ==")
    for key in sorted(mismatches, key=lambda k: (-len(mismatches[k]), k)):
        examples = mismatches[key]
        print("[%d] %s %s %s" % ((len(examples),) + key))
        for name, ours, exp in examples[:max_examples]:
            print("     %s\n        ours=%r\n        exp =%r" % (
                name, str(ours)[:160], str(exp)[:160]))


def write_json(stats, path):
    with open(path, "w") as f:
        json.dump({src: {field: dict(c) for field, c in fields.items()}
                   for src, fields in stats.items()},
                  f, indent=1, sort_keys=True)


def below_min_pass(stats, min_pass):
    """True (and says so) when the gofeed-parser pass rate is below
    min_pass percent."""
    ok, total = overall(stats.get("gofeed-parser", {}))
    rate = 100.0 * ok / max(total, 1)
    if rate >= min_pass:
        return False
    print("conformance: gofeed-parser pass rate %.1f%% is below --min-pass %g"
          % (rate, min_pass), file=sys.stderr)
    return True


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=prerequisites.DEFAULT_CLI,
                    help="newsfeed binary (default: %(default)s)")
    ap.add_argument("--gofeed-testdata", default=prerequisites.GOFEED_TESTDATA,
                    help="gofeed's testdata folder (default: %(default)s)")
    ap.add_argument("--only", default="",
                    help="only inputs whose path contains this")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="print every mismatch, not a few per class")
    ap.add_argument("--max-examples", type=int, default=4,
                    help="mismatches printed per class (default: %(default)s)")
    ap.add_argument("--json", default="", metavar="OUT",
                    help="also write the per-field counts to OUT")
    ap.add_argument("--min-pass", type=float, metavar="RATE",
                    help="exit 1 if the overall gofeed-parser pass rate, "
                         "in percent, is below RATE")
    return ap.parse_args()


def main():
    args = parse_args()
    prerequisites.require(args.cli, [args.gofeed_testdata])
    warnings.filterwarnings("ignore")  # feedparser's, about sloppy feeds
    results = Results()
    for kind, path, exp in cases(args.gofeed_testdata):
        if args.only in path:
            evaluate(args.cli, kind, path, exp, results)
    print_rates(results.stats)
    print_errors(results.errors)
    print_mismatches(results.mismatches,
                     None if args.verbose else args.max_examples)
    if args.json:
        write_json(results.stats, args.json)
    if args.min_pass is not None and below_min_pass(results.stats, args.min_pass):
        sys.exit(1)


if __name__ == "__main__":
    main()
