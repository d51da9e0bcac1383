#!/usr/bin/env python3
"""Turns transcribed Reuters-21578 documents into the tagger's evaluation form.

Usage: convert.py [--write] RAW.jsonl...  (writes tune.jsonl and
frozen.jsonl next to this script when given --write)
       convert.py --companies  (fills each item's "companies" in tune.jsonl
and frozen.jsonl from companies.jsonl)

The topic and place labels are Reuters' own indexers' (1987), mapped mechanically by the
tables below, which were written before the tagger ran on any of these
documents. Only TOPICS="YES" documents are kept (the ones Reuters indexed
for topics). Split: NEWID mod 5 in {0, 1} -> frozen, else tune.
"""
import argparse
import json
import os
import re
import sys

# Reuters topic codes -> the tagger's topic ids. Only these four topics are
# scored on this set: Reuters' other 131 categories (grain, money-fx, ...)
# have no counterpart, and ours (ai, cloud, ...) none in Reuters.
TOPIC_MAP = {
    "earn": "earnings",
    "acq": "mna",
    "jobs": "jobs",
    "crude": "energy", "nat-gas": "energy", "gas": "energy", "fuel": "energy",
    "heat": "energy", "propane": "energy", "jet": "energy",
    "naphtha": "energy",
}
SCORED_TOPICS = sorted(set(TOPIC_MAP.values()))

# Reuters place names that iso-codes does not spell the same way.
PLACE_MAP = {
    "usa": "US", "uk": "GB", "west-germany": "DE", "east-germany": "DE",
    "ussr": "RU", "uae": "AE", "south-korea": "KR", "north-korea": "KP",
    "burma": "MM", "kampuchea": "KH", "zaire": "CD", "ivory-coast": "CI",
    "surinam": "SR", "swaziland": "SZ", "taiwan": "TW", "iran": "IR",
    "syria": "SY", "vietnam": "VN", "laos": "LA", "czechoslovakia": "CZ",
    "yugoslavia": "RS", "trinidad-tobago": "TT", "yemen-arab-republic": "YE",
    "yemen-demo-republic": "YE", "western-samoa": "WS", "bolivia": "BO",
    "tanzania": "TZ", "venezuela": "VE", "macau": "MO", "hong-kong": "HK",
    "st-lucia": "LC", "st-vincent": "VC", "st-kitts-nevis-anguilla": "KN",
    "british-virgin-islands": "VG", "cape-verde": "CV", "moldova": "MD",
    "russia": "RU", "south-africa": "ZA", "netherlands": "NL",
    "vatican": "VA", "brunei": "BN", "congo": "CG", "gambia": "GM",
    "bahamas": "BS", "micronesia": "FM", "korea": "KR", "turkey": "TR",
}
NOT_COUNTRIES = {"ec", "netherlands-antilles"}


def iso_names():
    path = "/usr/share/iso-codes/json/iso_3166-1.json"
    out = {}
    with open(path, encoding="utf-8") as f:
        for c in json.load(f)["3166-1"]:
            for key in ("name", "common_name", "official_name"):
                if key in c:
                    out[re.sub(r"[^a-z]+", "-", c[key].lower()).strip("-")] = c["alpha_2"]
    return out


def add_companies(here):
    """Company labels come from a separate pass by annotators (companies.jsonl,
    one {"id", "companies"} line per item): Reuters does not label them."""
    with open(os.path.join(here, "companies.jsonl"), encoding="utf-8") as f:
        labels = {d["id"]: d["companies"] for d in map(json.loads, f) if d}
    for name in ("tune", "frozen"):
        path = os.path.join(here, name + ".jsonl")
        with open(path, encoding="utf-8") as f:
            items = [json.loads(line) for line in f if line.strip()]
        missing = [it["id"] for it in items if it["id"] not in labels]
        if missing:
            sys.exit("no company labels for " + ", ".join(missing[:5]))
        with open(path, "w", encoding="utf-8") as f:
            for it in items:
                it["companies"] = labels[it["id"]]
                f.write(json.dumps(it, ensure_ascii=False) + "\n")
        print(f"{name}: {len(items)} items labelled with companies", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--companies", action="store_true")
    ap.add_argument("raw", nargs="*")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    if args.companies:
        return add_companies(here)
    if not args.raw:
        ap.error("give the transcribed documents, or --companies")
    names = iso_names()
    seen = set()
    tune, frozen, unmapped = [], [], set()
    for path in args.raw:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                d = json.loads(line)
                key = (d["file"], d["newid"])
                if key in seen or d["topics_attr"] != "YES":
                    continue
                seen.add(key)
                if not d["body"] and not d["title"]:
                    continue
                countries = []
                for p in d["places"]:
                    code = PLACE_MAP.get(p) or names.get(p)
                    if p in NOT_COUNTRIES:
                        continue
                    if not code:
                        unmapped.add(p)
                        continue
                    if code not in countries:
                        countries.append(code)
                topics = sorted({TOPIC_MAP[t] for t in d["topics"] if t in TOPIC_MAP})
                # Flash items: the title is the story; the stored text is a
                # "Blah blah blah." placeholder.
                body = d["body"]
                if re.fullmatch(r"[*\s]*Blah blah blah\.?", body):
                    body = ""
                text = (d["dateline"] + " " + body).strip()
                item = {
                    "id": "reuters-%s-%d" % (d["file"].split(".")[0], d["newid"]),
                    "source": "https://github.com/%s/blob/master/%s (NEWID %d)"
                              % (d["repo"], d["file"], d["newid"]),
                    "title": d["title"], "text": text, "wire": True,
                    "companies": None, "countries": countries,
                    "topics": topics, "topics_scored": SCORED_TOPICS,
                    "reuters_topics": d["topics"], "reuters_places": d["places"],
                }
                (frozen if d["newid"] % 5 in (0, 1) else tune).append(item)
    if unmapped:
        print("unmapped places: " + ", ".join(sorted(unmapped)), file=sys.stderr)
    for name, items in (("tune", tune), ("frozen", frozen)):
        print(f"{name}: {len(items)} items", file=sys.stderr)
        if args.write:
            with open(os.path.join(here, name + ".jsonl"), "w", encoding="utf-8") as f:
                for it in items:
                    f.write(json.dumps(it, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    sys.exit(main())
