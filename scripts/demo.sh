#!/usr/bin/env bash
# The main job, from a fresh Debian 12 machine: installs what is missing,
# builds (Release), starts query-service and ingest-service on loopback with
# the bundled demo configuration and sample feeds, and shows what they do:
# the ingested articles with their tags, filtered searches, facets, and a live
# subscription that receives an article published while it watches. Stops
# both services cleanly at the end. Run state lives in var/demo/ (recreated).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

scripts/install-deps.sh
echo "== building (Release, first run takes a few minutes)"
scripts/build.sh release query-service ingest-service newsfeed >/dev/null
BIN=$ROOT/build/release
NEWSFEED=$BIN/cli/newsfeed

RUN=$ROOT/var/demo
rm -rf "$RUN"
mkdir -p "$RUN"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Waits until FILE contains TEXT (a service's log line), for at most 60 s.
wait_for_log() {
  local file="$1" text="$2"
  for _ in $(seq 600); do
    grep -q "$text" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "demo: timed out waiting for '$text' in $file:" >&2
  cat "$file" >&2
  exit 1
}

# A loopback HTTP server for the sample feeds, on a free port.
python3 - "$ROOT/data/feeds" "$RUN/feeds.port" >"$RUN/feeds.log" 2>&1 <<'PY' &
import functools, http.server, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
import os; os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
PY
PIDS+=($!)
for _ in $(seq 100); do [[ -f $RUN/feeds.port ]] && break; sleep 0.1; done
export NEWSFEED_DEMO_FEEDS_URL="http://127.0.0.1:$(cat "$RUN/feeds.port")"

section "starting query-service (deploy/config/query-service.yaml, free port)"
NEWSFEED_QUERY_LISTEN=127.0.0.1:0 NEWSFEED_QUERY_DATA_DIR=$RUN/query \
  NEWSFEED_QUERY_METRICS_LISTEN=127.0.0.1:0 NEWSFEED_QUERY_HTTP_LISTEN=127.0.0.1:0 \
  "$BIN/query-service/query-service" --config deploy/config/query-service.yaml \
  2>"$RUN/query.log" &
QUERY_PID=$!
PIDS+=($QUERY_PID)
wait_for_log "$RUN/query.log" "listening on"
export NEWSFEED_QUERY_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$RUN/query.log" | head -1)
wait_for_log "$RUN/query.log" "HTTP API on"
HTTP_ADDR=$(sed -n 's|.*HTTP API on http://\([^/]*\)/.*|\1|p' "$RUN/query.log" | head -1)
echo "query-service at $NEWSFEED_QUERY_ADDR (gRPC), http://$HTTP_ADDR/ (live page, JSON API)"

section "starting ingest-service (deploy/config/ingest-service.demo.yaml, sample feeds at $NEWSFEED_DEMO_FEEDS_URL)"
NEWSFEED_INGEST_LISTEN=127.0.0.1:0 NEWSFEED_INGEST_DATA_DIR=$RUN/ingest \
  NEWSFEED_INGEST_METRICS_LISTEN=127.0.0.1:0 \
  NEWSFEED_INGEST_QUERY_ADDRESS=$NEWSFEED_QUERY_ADDR \
  "$BIN/ingest-service/ingest-service" --config deploy/config/ingest-service.demo.yaml \
  2>"$RUN/ingest.log" &
INGEST_PID=$!
PIDS+=($INGEST_PID)
wait_for_log "$RUN/ingest.log" "listening on"
export NEWSFEED_INGEST_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$RUN/ingest.log" | head -1)
echo "ingest-service at $NEWSFEED_INGEST_ADDR"

section "health (grpc.health.v1)"
for _ in $(seq 100); do
  "$NEWSFEED" health "$NEWSFEED_QUERY_ADDR" >/dev/null 2>&1 && break
  sleep 0.1
done
printf 'query-service:  '; "$NEWSFEED" health "$NEWSFEED_QUERY_ADDR"
printf 'ingest-service: '; "$NEWSFEED" health "$NEWSFEED_INGEST_ADDR"

# The two sample feeds hold 9 items; wait until all are stored.
for _ in $(seq 300); do
  n=$("$NEWSFEED" --json search --limit 100 2>/dev/null | grep -c '"id"' || true)
  [[ $n -ge 9 ]] && break
  sleep 0.2
done

section "feeds (newsfeed feeds)"
"$NEWSFEED" feeds

section "every ingested article with its tags (newsfeed search)"
"$NEWSFEED" search --limit 50

section "search --company Microsoft"
"$NEWSFEED" search --company Microsoft
section "search --country FR"
"$NEWSFEED" search --country FR
section "search --topic ai --company Microsoft --country FR"
"$NEWSFEED" search --topic ai --company Microsoft --country FR
section "full-text: search --text 'data centre'"
"$NEWSFEED" search --text "data centre"

# The article id is the first field of each JSON line.
SEED_ID=$("$NEWSFEED" --json search --text "Choose France" --limit 1 |
  sed -n 's/^{"id": *"\([^"]*\)".*/\1/p' | head -1)
section "the Choose France article with its evidence (newsfeed get $SEED_ID)"
"$NEWSFEED" get "$SEED_ID"

section "facets: top companies, countries, topics"
"$NEWSFEED" facets --limit 8

section "live: subscribe --country FR, then a new feed is added"
"$NEWSFEED" subscribe --country FR --max 1 --verbose >"$RUN/subscribe.out" 2>&1 &
SUB_PID=$!
PIDS+=($SUB_PID)
wait_for_log "$RUN/subscribe.out" "heartbeat"
echo "subscription is live; adding $NEWSFEED_DEMO_FEEDS_URL/breaking.xml"
"$NEWSFEED" feeds add "$NEWSFEED_DEMO_FEEDS_URL/breaking.xml"
wait "$SUB_PID"
echo "the subscriber received:"
grep -v heartbeat "$RUN/subscribe.out"

section "the same over HTTP/JSON: curl 'http://$HTTP_ADDR/v1/articles?company=Microsoft&country=FR&page_size=1'"
python3 - "http://$HTTP_ADDR/v1/articles?company=Microsoft&country=FR&page_size=1" <<'PY'
import json, sys, urllib.request
body = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
for a in body.get("articles", []):
    print(json.dumps({k: a[k] for k in ("id", "title", "sequence") if k in a}, ensure_ascii=False))
    print("  companies:", ", ".join(c["name"] for c in a.get("companies", [])))
    print("  countries:", ", ".join(c["code"] for c in a.get("countries", [])))
    print("  topics:   ", ", ".join(t["id"] for t in a.get("topics", [])))
PY
echo "live page (search, filters, live column): http://$HTTP_ADDR/ ; live events: curl -N 'http://$HTTP_ADDR/v1/stream?topic=ai'"

# Prometheus metrics of both services (the address each logged at start).
metrics_url() { sed -n 's/.*metrics on \(http[^ ]*\).*/\1/p' "$1" | head -1; }
show_metrics() {  # show_metrics URL PATTERN
  python3 - "$1" "$2" <<'PY'
import re, sys, urllib.request
body = urllib.request.urlopen(sys.argv[1], timeout=10).read().decode()
for line in body.splitlines():
    if not line.startswith("#") and re.match(sys.argv[2], line):
        print("  " + line)
PY
}
section "metrics (Prometheus text format)"
echo "ingest-service: $(metrics_url "$RUN/ingest.log")"
show_metrics "$(metrics_url "$RUN/ingest.log")" \
  'newsfeed_(fetches_total|items_parsed|articles_(tagged|queued|delivered)_total|outbox_articles)'
echo "query-service: $(metrics_url "$RUN/query.log")"
show_metrics "$(metrics_url "$RUN/query.log")" \
  'newsfeed_(articles_stored_total|latest_sequence|subscribers|query_rpc_duration_seconds_count)'

section "stopping both services (SIGTERM)"
kill -TERM "$INGEST_PID"; wait "$INGEST_PID" && echo "ingest-service exited 0"
kill -TERM "$QUERY_PID"; wait "$QUERY_PID" && echo "query-service exited 0"
echo
echo "Demo finished. Logs: $RUN/query.log and $RUN/ingest.log"
