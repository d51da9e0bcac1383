#!/usr/bin/env bash
# Runs the example clients (examples/python, examples/node) against real
# services: installs what they need (Debian packages, `npm ci`), starts
# query-service and ingest-service on loopback with free ports and the bundled
# sample feeds as scripts/demo.sh does, waits until the articles are stored,
# then checks each client's health, search, error reporting and subscribe
# (replay from 0, resume from a saved position, live), the HTTP/JSON API
# against its OpenAPI document (tests/http/check_openapi.py) and as curl
# reads its live stream, and the live page in headless Chromium
# (tests/web/live_page_test.js; its screenshot is kept as
# build/test-artifacts/live-page.png). Prints PASS/FAIL per check and ends
# with "N passed, M failed"; exits non-zero on any failure.
#
# Needs the Release build: build/release/{query-service,ingest-service,cli}
# (scripts/build.sh release query-service ingest-service newsfeed).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/build/release
NEWSFEED=$BIN/cli/newsfeed
PY=/usr/bin/python3 # Debian's python3, where python3-grpcio is installed
START=$SECONDS

# ---------------------------------------------------------------- install
# chromium runs the live page test; without a font its screenshot shows no text.
PACKAGES=(python3 python3-grpcio python3-grpc-tools python3-protobuf python3-yaml python3-jsonschema curl
  chromium fonts-dejavu-core)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm may come from Debian (nodejs, npm) or another package of
# nodejs that bundles npm: only ask apt when a command is missing.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]} > 0)); then
  echo "test-clients: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)' || {
  echo "test-clients: the Node.js example needs Node.js >= 18, found $(node --version)" >&2
  exit 1
}
echo "test-clients: npm ci in examples/node"
(cd examples/node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
echo "test-clients: npm ci in tests/web"
(cd tests/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

for bin in "$BIN/query-service/query-service" "$BIN/ingest-service/ingest-service" "$NEWSFEED"; do
  [[ -x $bin ]] || {
    echo "test-clients: $bin is missing; build first: scripts/build.sh release query-service ingest-service newsfeed" >&2
    exit 1
  }
done

# ---------------------------------------------------------------- services
RUN=$(mktemp -d -t newsfeed-test-clients.XXXXXX)
PIDS=()
PASSED=0
FAILED=0
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if ((FAILED == 0)); then rm -rf "$RUN"; else echo "test-clients: logs and outputs kept in $RUN"; fi
}
trap cleanup EXIT

# Waits until FILE contains TEXT, for at most 60 s.
wait_for_text() {
  local file="$1" text="$2"
  for _ in $(seq 600); do
    grep -q -- "$text" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "test-clients: timed out waiting for '$text' in $file:" >&2
  cat "$file" >&2 || true
  return 1
}

# The sample feeds, from a loopback HTTP server on a free port.
"$PY" - "$ROOT/data/feeds" "$RUN/feeds.port" >"$RUN/feeds.log" 2>&1 <<'PY' &
import functools, http.server, os, sys
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
with open(sys.argv[2] + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
server.serve_forever()
PY
PIDS+=($!)
for _ in $(seq 100); do [[ -f $RUN/feeds.port ]] && break; sleep 0.1; done
NEWSFEED_DEMO_FEEDS_URL="http://127.0.0.1:$(cat "$RUN/feeds.port")"
export NEWSFEED_DEMO_FEEDS_URL

NEWSFEED_QUERY_LISTEN=127.0.0.1:0 NEWSFEED_QUERY_HTTP_LISTEN=127.0.0.1:0 NEWSFEED_QUERY_DATA_DIR=$RUN/query \
  "$BIN/query-service/query-service" --config deploy/config/query-service.yaml 2>"$RUN/query.log" &
PIDS+=($!)
wait_for_text "$RUN/query.log" "listening on"
NEWSFEED_QUERY_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$RUN/query.log" | head -1)
export NEWSFEED_QUERY_ADDR
wait_for_text "$RUN/query.log" "HTTP API on"
HTTP_ADDR=$(sed -n 's|.*HTTP API on http://\([^/ ]*\)/.*|\1|p' "$RUN/query.log" | head -1)

NEWSFEED_INGEST_LISTEN=127.0.0.1:0 NEWSFEED_INGEST_DATA_DIR=$RUN/ingest \
  NEWSFEED_INGEST_QUERY_ADDRESS=$NEWSFEED_QUERY_ADDR \
  "$BIN/ingest-service/ingest-service" --config deploy/config/ingest-service.demo.yaml 2>"$RUN/ingest.log" &
PIDS+=($!)
wait_for_text "$RUN/ingest.log" "listening on"
NEWSFEED_INGEST_ADDR=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$RUN/ingest.log" | head -1)
export NEWSFEED_INGEST_ADDR
echo "test-clients: query-service at $NEWSFEED_QUERY_ADDR (HTTP $HTTP_ADDR), ingest-service at $NEWSFEED_INGEST_ADDR"

# The two configured sample feeds hold 9 items; wait (at most 60 s) until all are stored.
stored=0
for _ in $(seq 300); do
  stored=$("$NEWSFEED" --json search --limit 100 2>/dev/null | grep -c '"id"' || true)
  ((stored >= 9)) && break
  sleep 0.2
done
if ((stored < 9)); then
  echo "test-clients: only $stored of 9 sample articles stored after 60 s; ingest log:" >&2
  tail -20 "$RUN/ingest.log" >&2
  exit 1
fi
echo "test-clients: $stored articles stored, $((SECONDS - START)) s after start"

# ---------------------------------------------------------------- checks
# The command of each client (no spaces inside its words: expanded unquoted).
declare -A CLIENT=([python]="$PY examples/python/newsfeed_client.py" [node]="node examples/node/newsfeed-client.js")
# client LANG ARGS...: runs one client, for at most 60 s (exit code 124 then).
# shellcheck disable=SC2086
client() { timeout 60 ${CLIENT[$1]} "${@:2}"; }

# run NAME LANG ARGS...: runs a client; its stdout, stderr and exit code go
# to $RUN/NAME.{out,err,rc}.
run() {
  local name="$1"
  shift
  local rc=0
  client "$@" >"$RUN/$name.out" 2>"$RUN/$name.err" || rc=$?
  echo "$rc" >"$RUN/$name.rc"
}

# check NAME DESCRIPTION PROBLEM: PROBLEM empty means the check passed.
check() {
  local name="$1" description="$2" problem="$3"
  if [[ -z $problem ]]; then
    echo "PASS: $description"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL: $description: $problem"
    for stream in out err; do
      [[ -s $RUN/$name.$stream ]] && sed "s/^/    $stream| /" "$RUN/$name.$stream" | head -30
    done
    FAILED=$((FAILED + 1))
  fi
}

# expect NAME RC [TEXT...] [-- NOT_TEXT...]: what is wrong with a run's exit
# code and output (stdout and stderr together), or nothing.
expect() {
  local name="$1" want_rc="$2"
  shift 2
  local rc out negate=0
  rc=$(cat "$RUN/$name.rc")
  out=$(cat "$RUN/$name.out" "$RUN/$name.err")
  [[ $rc != 124 ]] || { echo "timed out after 60 s"; return; }
  [[ $rc == "$want_rc" ]] || { echo "exit code $rc, expected $want_rc"; return; }
  for text in "$@"; do
    if [[ $text == -- ]]; then negate=1; continue; fi
    if ((negate == 0)) && [[ $out != *"$text"* ]]; then echo "no '$text' in the output"; return; fi
    if ((negate == 1)) && [[ $out == *"$text"* ]]; then echo "unexpected '$text' in the output"; return; fi
  done
}

# The sequence numbers a subscribe printed ("seq=N  ..." lines), one a line.
sequences() { sed -n 's/^seq=\([0-9]*\) .*/\1/p' "$RUN/$1.out"; }

# expect_sequences NAME COUNT AFTER: COUNT articles, strictly increasing, all > AFTER.
expect_sequences() {
  local name="$1" count="$2" previous="$3" got
  local rc
  rc=$(cat "$RUN/$name.rc")
  [[ $rc != 124 ]] || { echo "timed out after 60 s"; return; }
  [[ $rc == 0 ]] || { echo "exit code $rc"; return; }
  got=$(sequences "$name" | wc -l)
  ((got == count)) || { echo "$got articles, expected $count"; return; }
  for seq in $(sequences "$name"); do
    ((seq > previous)) || { echo "sequence $seq after $previous: not increasing"; return; }
    previous=$seq
  done
}

MSFT_FR="Microsoft and Amazon commit €5.5 billion to AI and cloud in France"
MSFT_EU="European Commission opens antitrust probe into cloud"
MISTRAL="Mistral AI raises €600 million"
APPLE="Apple reports record services revenue"
BREAKING="Microsoft opens new AI data centre campus near Paris"

# The HTTP API against its OpenAPI document: check_openapi.py prints its own
# PASS/FAIL lines, which count towards the totals.
rc=0
timeout 120 "$PY" tests/http/check_openapi.py --spec query-service/http/openapi.yaml \
  --base-url "http://$HTTP_ADDR" >"$RUN/openapi.out" 2>"$RUN/openapi.err" || rc=$?
grep -E '^(PASS|FAIL): ' "$RUN/openapi.out" || true
openapi_passed=$(grep -c '^PASS: ' "$RUN/openapi.out" || true)
openapi_failed=$(grep -c '^FAIL: ' "$RUN/openapi.out" || true)
PASSED=$((PASSED + openapi_passed))
FAILED=$((FAILED + openapi_failed))
# A crash or a timeout prints no FAIL line of its own.
if ((rc != 0 && openapi_failed == 0)); then
  check openapi "openapi: tests/http/check_openapi.py" "exit code $rc without a FAIL line"
fi

# The live stream as curl reads it, replayed from the start and filtered to
# Microsoft: its 2 articles arrive as SSE events. The stream stays open, so
# the reader stops curl once the second event is complete.
if command -v curl >/dev/null; then
  exec {stream}< <(exec curl -sN --max-time 20 "http://$HTTP_ADDR/v1/stream?company=Microsoft&after_sequence=0" 2>"$RUN/curl-stream.err")
  curl_pid=$!
  PIDS+=("$curl_pid")
  articles=0
  in_article=0
  : >"$RUN/curl-stream.out"
  while ((articles < 2)) && IFS= read -r -u "$stream" line; do
    echo "$line" >>"$RUN/curl-stream.out"
    [[ $line == "event: article" ]] && in_article=1
    # A blank line ends an event.
    if [[ -z $line ]] && ((in_article)); then
      in_article=0
      articles=$((articles + 1))
    fi
  done
  kill "$curl_pid" 2>/dev/null || true
  exec {stream}<&-
  problem=""
  ((articles == 2)) || problem="$articles article events within 20 s, expected 2"
  for title in "$MSFT_FR" "$MSFT_EU"; do
    [[ -n $problem ]] || grep -qF -- "$title" "$RUN/curl-stream.out" || problem="no '$title' in the stream"
  done
  check curl-stream "curl: /v1/stream?company=Microsoft&after_sequence=0 sends its 2 articles as SSE events" "$problem"
else
  echo "test-clients: no curl; skipping the curl stream check"
fi

for lang in python node; do
  run $lang-health $lang health
  check $lang-health "$lang: health prints SERVING" "$(expect $lang-health 0 SERVING)"

  run $lang-company $lang search --company Microsoft
  check $lang-company "$lang: search --company Microsoft lists its 2 articles with their tags" \
    "$(expect $lang-company 0 "$MSFT_FR" "$MSFT_EU" "FR,AE,DE" "antitrust" "cloud" "2 article(s)" -- "$APPLE")"

  run $lang-fr-ai $lang search --country FR --topic ai
  check $lang-fr-ai "$lang: search --country FR --topic ai" \
    "$(expect $lang-fr-ai 0 "$MSFT_FR" "$MISTRAL" "Mistral AI,General Catalyst,Nvidia" "2 article(s)" -- "$MSFT_EU")"

  run $lang-text $lang search --text '"data centre"' --token example-token
  check $lang-text "$lang: search --text '\"data centre\"' (with a bearer token)" \
    "$(expect $lang-text 0 "$MSFT_FR" "1 article(s)")"

  run $lang-invalid $lang search --limit 500
  check $lang-invalid "$lang: INVALID_ARGUMENT names the field" \
    "$(expect $lang-invalid 1 "INVALID_ARGUMENT" "page_size")"

  run $lang-unavailable $lang health --addr "unix:$RUN/nobody-listens.sock"
  check $lang-unavailable "$lang: UNAVAILABLE when no server listens" \
    "$(expect $lang-unavailable 1 "UNAVAILABLE" "is query-service running")"

  run $lang-replay $lang subscribe --after 0 --max 4 --position-file "$RUN/$lang.pos"
  last=$(sequences $lang-replay | tail -1)
  problem=$(expect_sequences $lang-replay 4 0)
  [[ -z $problem && $(cat "$RUN/$lang.pos" 2>/dev/null) != "$last" ]] &&
    problem="position file holds '$(cat "$RUN/$lang.pos" 2>/dev/null)', expected $last"
  check $lang-replay "$lang: subscribe --after 0 --max 4 receives 4 articles in increasing sequence order, saves the position" "$problem"

  run $lang-resume $lang subscribe --position-file "$RUN/$lang.pos" --max 3
  check $lang-resume "$lang: subscribe resumes after the saved position $last" \
    "$(expect_sequences $lang-resume 3 "${last:-0}")"
done

# Live: both clients subscribe from now (no replay); once both have their first
# heartbeat (the stream is established, at the position it prints), a new
# feed is added whose article is about France; each must receive it.
declare -A LIVE_PID
for lang in python node; do
  # shellcheck disable=SC2086
  timeout 60 ${CLIENT[$lang]} subscribe --country FR --max 1 --verbose >"$RUN/$lang-live.out" 2>"$RUN/$lang-live.err" &
  LIVE_PID[$lang]=$!
  PIDS+=($!)
done
for lang in python node; do wait_for_text "$RUN/$lang-live.err" "heartbeat:" || true; done
"$NEWSFEED" feeds add "$NEWSFEED_DEMO_FEEDS_URL/breaking.xml" >/dev/null
for lang in python node; do
  rc=0
  wait "${LIVE_PID[$lang]}" || rc=$?
  echo "$rc" >"$RUN/$lang-live.rc"
  problem=""
  ((rc != 124)) || problem="no article within 60 s"
  start=$(sed -n 's/^heartbeat: position \([0-9]*\).*/\1/p' "$RUN/$lang-live.err" | head -1)
  [[ -n $problem ]] || problem=$(expect $lang-live 0 "$BREAKING" "countries: FR")
  [[ -n $problem ]] || problem=$(expect_sequences $lang-live 1 "${start:-0}")
  check $lang-live "$lang: live subscribe (from now) receives the article of a feed added while it watches" "$problem"
done

# The live page in headless Chromium: live_page_test.js prints its own
# PASS/FAIL lines, which count towards the totals. It runs last because it
# stores the breaking article again (the feed added once more under another
# URL), which would change the counts the client searches above expect.
mkdir -p build/test-artifacts
rc=0
timeout 300 node tests/web/live_page_test.js --base-url "http://$HTTP_ADDR" --newsfeed "$NEWSFEED" \
  --ingest "$NEWSFEED_INGEST_ADDR" --breaking-url "$NEWSFEED_DEMO_FEEDS_URL/breaking.xml" \
  --screenshot "$RUN/live-page.png" >"$RUN/page.out" 2>"$RUN/page.err" || rc=$?
grep -E '^(PASS|FAIL): ' "$RUN/page.out" || true
page_passed=$(grep -c '^PASS: ' "$RUN/page.out" || true)
page_failed=$(grep -c '^FAIL: ' "$RUN/page.out" || true)
PASSED=$((PASSED + page_passed))
FAILED=$((FAILED + page_failed))
if ((rc != 0 && page_failed == 0)); then
  check page "page: tests/web/live_page_test.js" "exit code $rc without a FAIL line"
fi
if [[ -f $RUN/live-page.png ]]; then
  cp "$RUN/live-page.png" build/test-artifacts/live-page.png
  echo "test-clients: live page screenshot in build/test-artifacts/live-page.png"
fi

echo "test-clients: finished in $((SECONDS - START)) s"
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
