#!/usr/bin/python3
"""Reads every date layout in gofeed's date parser as an RSS pubDate through
`newsfeed parse` and through feedparser's date parser, and prints the ones
we miss or read differently from feedparser. A Go layout string is itself a
date (Go's reference time, 2006-01-02 15:04:05 -0700), so the layout list
doubles as a list of real-world date formats."""
import argparse
import html
import json
import os
import re
import subprocess
import sys
import tempfile

import prerequisites


def gofeed_date_layouts(date_parser_go):
    with open(date_parser_go) as f:
        source = f.read()
    block = source[source.index("var dateFormats"):]
    block = block[:block.index("}")]
    return re.findall(r'"([^"]+)"', block)


def rss_with_dates(samples):
    """An RSS feed with one item per sample, titled by its index."""
    items = "".join("<item><title>%d</title><pubDate>%s</pubDate></item>"
                    % (i, html.escape(s)) for i, s in enumerate(samples))
    return '<rss version="2.0"><channel><title>d</title>%s</channel></rss>' % items


def our_dates(cli, samples):
    """{sample index: our `published`, or None}."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "dates.xml")
        with open(path, "w") as f:
            f.write(rss_with_dates(samples))
        p = subprocess.run([cli, "parse", path], capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit("conformance: %s parse failed: %s" % (cli, p.stderr.strip()))
    items = json.loads(p.stdout)["items"]
    return {int(it["title"]): it.get("published") for it in items}


def feedparser_date(sample):
    """feedparser's reading of sample as our UTC format, or None."""
    from feedparser.datetimes import _parse_date  # after prerequisites
    t = _parse_date(sample)
    return None if t is None else "%04d-%02d-%02dT%02d:%02d:%02dZ" % tuple(t[:6])


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cli", default=prerequisites.DEFAULT_CLI,
                    help="newsfeed binary (default: %(default)s)")
    ap.add_argument("--all", action="store_true",
                    help="print every layout, not only the misses")
    return ap.parse_args()


def main():
    args = parse_args()
    prerequisites.require(args.cli, [prerequisites.GOFEED_DATE_PARSER])
    samples = gofeed_date_layouts(prerequisites.GOFEED_DATE_PARSER)
    ours_by_index = our_dates(args.cli, samples)
    missing = feedparser_missing = differ = 0
    for i, sample in enumerate(samples):
        ours, fp = ours_by_index.get(i), feedparser_date(sample)
        flag = ""
        if ours is None:
            flag = "OURS-MISSING"
            missing += 1
        elif fp and fp != ours:
            flag = "DIFF-FP"
            differ += 1
        if fp is None:
            feedparser_missing += 1
        if flag or args.all:
            print("%-14s %-45r ours=%-22s fp=%s" % (flag, sample, ours, fp))
    print("samples=%d ours_missing=%d feedparser_missing=%d differ_from_fp=%d"
          % (len(samples), missing, feedparser_missing, differ))


if __name__ == "__main__":
    main()
