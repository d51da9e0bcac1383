#!/usr/bin/env python3
"""Scores `newsfeed tag` against labelled JSON lines, per class of issue 20.

Items whose "companies" is null are not scored on companies; items with a
"topics_scored" list are scored only on those topics.

Usage: score_eval.py [--bin NEWSFEED]... [--errors] FILE.jsonl...

Each --bin is a `newsfeed` binary (default: build/release/cli/newsfeed); with
two, both are scored on the same items in one run (before and after). Prints
precision, recall and F1 for: companies (listed and unlisted, a label matches
a tag by its name or the text the tag was found by, legal forms ignored),
company names written with a legal form (recall), countries, countries other
than US, every topic, and all topics together. --errors lists each
item's false and missing tags for the last binary.
"""
import argparse
import json
import re
import subprocess
import sys
from collections import defaultdict

LEGAL = (r"inc|incorporated|corp|corporation|co|company|ltd|limited|plc|llc|"
         r"ag|gmbh|kgaa|sa|se|nv|bv|ab|asa|oyj|kk|bhd|berhad|tbk|pty|ltda|spa|"
         r"holdings|group")
LEGAL_AFTER = re.compile(r"^[\s,]*(?:" + r"Inc\.?|Corp\.?|Corporation|Co\.?|Ltd\.?|Limited|"
                         r"plc|PLC|Plc|LLC|AG|GmbH|S\.A\.|SA|SE|N\.V\.|NV|B\.V\.|AB|ASA|"
                         r"Oyj|K\.K\.|Bhd|Berhad|Tbk|Pty|Ltda|S\.p\.A\.|SpA)\b")


def norm(name):
    n = name.lower().replace("&", " and ")
    n = re.sub(r"[’'`]s\b", "", n)
    n = re.sub(r"[^0-9a-z\u00c0-\uffff]+", " ", n)
    words = [w for w in n.split() if w not in LEGAL.split("|") and w != "the"]
    return " ".join(words)


class Counts:
    def __init__(self):
        self.tp = self.fp = self.fn = 0

    def add(self, want, got):
        self.tp += len(want & got)
        self.fp += len(got - want)
        self.fn += len(want - got)

    def row(self):
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f


def run(binary, items):
    inp = "".join(json.dumps({"id": it["id"], "title": it["title"],
                              "text": it["text"]}) + "\n" for it in items)
    out = subprocess.run([binary, "tag"], input=inp, capture_output=True,
                         text=True, check=True).stdout
    return {d["id"]: d for d in map(json.loads, out.splitlines())}


def same_company(label, key):
    """A label names a tag's company when one name is the other's first words
    ("Woodside" for "Woodside Petroleum", "GM" for "GM Europe")."""
    if not label or not key:
        return False
    a, b = label.split(), key.split()
    n = min(len(a), len(b))
    return a[:n] == b[:n]


def match_companies(labels, tags):
    """Returns (tp, fp, fn, missing labels, false tags)."""
    keys = []
    for t in tags:
        k = {norm(t["name"])}
        for ev in t.get("evidence", []):
            k.add(norm(ev["text"]))
        keys.append(k)
    used = set()
    missing = []
    tp = 0
    for label in labels:
        n = norm(label)
        def hits(k):
            return any(same_company(n, x) for x in k)
        hit = next((i for i, k in enumerate(keys) if hits(k) and i not in used),
                   None)
        if hit is None:
            hit = next((i for i, k in enumerate(keys) if hits(k)), None)
            if hit is not None:
                tp += 1  # two labels for one company ("Alphabet", "Google")
                continue
            missing.append(label)
        else:
            used.add(hit)
            tp += 1
    false = [tags[i]["name"] for i in range(len(tags)) if i not in used
             and not any(same_company(norm(l), x) for l in labels
                         for x in keys[i])]
    return tp, len(false), len(missing), missing, false


def score(binary, items, errors):
    got = run(binary, items)
    c = defaultdict(Counts)
    for it in items:
        d = got[it["id"]]
        # Sets labelled by others may leave companies unlabelled (null) and
        # label only some topics ("topics_scored"); only what is labelled
        # is scored.
        labels = it["companies"] if it["companies"] is not None else []
        tp, fp, fn, missing, false = match_companies(labels, d["company_tags"])
        if it["companies"] is not None:
            c["companies"].tp += tp
            c["companies"].fp += fp
            c["companies"].fn += fn
        else:
            missing, false = [], []
        text = it["title"] + "\n" + it["text"]
        for label in labels:
            for m in re.finditer(re.escape(label), text):
                if LEGAL_AFTER.match(text[m.end():]):
                    c["companies with legal form (recall)"].tp += label not in missing
                    c["companies with legal form (recall)"].fn += label in missing
                    break
        want, have = set(it["countries"]), set(d["countries"])
        c["countries"].add(want, have)
        c["countries other than US"].add(want - {"US"}, have - {"US"})
        wt, ht = set(it["topics"]), set(d["topics"])
        if "topics_scored" in it:
            ht &= set(it["topics_scored"])
        c["topics (all)"].add(wt, ht)
        for t in wt | ht:
            c["topic " + t].add(wt & {t}, ht & {t})
        if errors:
            line = []
            if missing or false:
                line.append(f"companies -{missing} +{false}")
            if want != have:
                line.append(f"countries -{sorted(want - have)} +{sorted(have - want)}")
            if wt != ht:
                line.append(f"topics -{sorted(wt - ht)} +{sorted(ht - wt)}")
            if line:
                print(f"  {it['id']}: " + "; ".join(line))
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", action="append")
    ap.add_argument("--errors", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()
    bins = args.bin or ["build/release/cli/newsfeed"]
    items = []
    for f in args.files:
        with open(f, encoding="utf-8") as fh:
            items += [json.loads(l) for l in fh if l.strip()]
    results = [score(b, items, args.errors and i == len(bins) - 1)
               for i, b in enumerate(bins)]
    print(f"{len(items)} items from {', '.join(args.files)}")
    header = "class".ljust(40) + "".join(
        f" | {'P':>5} {'R':>5} {'F1':>5} (n)" for _ in bins)
    print(header)
    classes = sorted(set().union(*[r.keys() for r in results]),
                     key=lambda k: (k.startswith("topic "), k))
    for k in classes:
        row = k.ljust(40)
        for r in results:
            p, rc, f = r[k].row()
            n = r[k].tp + r[k].fn
            row += f" | {p:5.2f} {rc:5.2f} {f:5.2f} ({n})"
        print(row)


if __name__ == "__main__":
    sys.exit(main())
