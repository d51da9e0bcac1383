#!/usr/bin/env bash
# CI stage of the container deployment (deploy/): builds the images, brings up
# the demo stack (deploy/docker-compose.yml + docker-compose.demo.yml: the
# bundled sample feeds, no internet) and checks it through the ports it
# publishes on 127.0.0.1 with the host-built newsfeed CLI: health, tagged
# search results, a subscription, data kept across a restart. Then the scaled
# layout (deploy/docker-compose.scale.yml: PostgreSQL, two query-service
# replicas, two ingest-services): every sample article once on both replicas,
# a subscription, and a replica killed while the other keeps serving. Removes
# each stack and its volumes. Prints PASS/FAIL per check; exits non-zero on failure.
#
# No Docker engine here: rootful podman (runc) serves the Docker API on a
# private socket for docker-compose 1.29, and a loop runs the healthchecks
# (podman has no systemd timers here), as /work/shared/deploy-testing.md
# describes. Installs what is missing (apt) and makes the local base image
# docker.io/library/debian:bookworm with debootstrap when it is absent.
#
# Environment: NEWSFEED_DEPLOY_PROJECT (compose project name, default unique
# per run), NEWSFEED_DEPLOY_TIMEOUT (seconds to wait for health and articles,
# default 180), NEWSFEED_DEPLOY_KEEP=1 (leave the stack up for a look),
# NEWSFEED_CLI (the host newsfeed binary; default build/release/cli/newsfeed,
# built with scripts/build.sh when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

PROJECT=${NEWSFEED_DEPLOY_PROJECT:-nfdeploy$$}
SCALE_PROJECT=${PROJECT}scale
TIMEOUT=${NEWSFEED_DEPLOY_TIMEOUT:-180}
BASE_IMAGE=docker.io/library/debian:bookworm
COMPOSE_FILES=(-f deploy/docker-compose.yml -f deploy/docker-compose.demo.yml)
DEMO_ARTICLES=9   # items in data/feeds/tech-news.xml + world-business.atom

trap 'echo "FAIL deploy-test: command failed (line $LINENO): $BASH_COMMAND"' ERR
log() { printf '== deploy-test: %s\n' "$*"; }
now() { date +%s; }
T_START=$(now)
TIMINGS=()
timing() { TIMINGS+=("$1 $2s"); log "$1 took $2s"; }

# --- packages ----------------------------------------------------------------
PACKAGES=(podman runc docker-compose debootstrap netavark aardvark-dns iptables uidmap python3 curl)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- podman configuration: runc, ulimits under this machine's hard limits,
# cgroupfs and file events (no systemd), netavark networks (name resolution
# between containers through aardvark-dns).
CONF=/etc/containers/containers.conf
WANT_CONF='[containers]
default_ulimits = ["nofile=16384:16384", "nproc=16384:16384"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
[network]
network_backend = "netavark"'
if [[ ! -f $CONF ]] || [[ "$(cat "$CONF")" != "$WANT_CONF" ]]; then
  log "writing $CONF"
  mkdir -p /etc/containers
  [[ -f $CONF ]] && cp "$CONF" "$CONF.bak.$(now)"
  printf '%s\n' "$WANT_CONF" >"$CONF"
fi

# --- local base image (no registry is reachable) --------------------------------
if ! podman image exists "$BASE_IMAGE"; then
  log "making $BASE_IMAGE with debootstrap"
  t=$(now)
  MIRROR=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources)
  R=$(mktemp -d)
  debootstrap --variant=minbase bookworm "$R" "$MIRROR" >/dev/null
  cp /etc/apt/sources.list.d/debian.sources "$R/etc/apt/sources.list.d/"
  rm -f "$R/etc/apt/sources.list"
  rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*
  tar -C "$R" -c . | podman import -q --change 'CMD ["bash"]' - "$BASE_IMAGE" >/dev/null
  rm -rf "$R"
  timing "base image" $(($(now) - t))
fi

# --- the host CLI that checks the stack from outside -------------------------------
NEWSFEED=${NEWSFEED_CLI:-$ROOT/build/release/cli/newsfeed}
if [[ ! -x $NEWSFEED ]]; then
  log "building the newsfeed CLI (build/release)"
  scripts/install-deps.sh
  scripts/build.sh release newsfeed >/dev/null
fi

# --- Docker API socket and healthcheck driver, both ours alone -----------------------
WORK=$(mktemp -d /tmp/newsfeed-deploy-test.XXXXXX)
SOCK=$WORK/podman.sock
export DOCKER_HOST=unix://$SOCK
export COMPOSE_PROJECT_NAME=$PROJECT
SVC_PID=""
HC_PID=""
compose() { docker-compose "${COMPOSE_FILES[@]}" "$@"; }
scompose() { COMPOSE_PROJECT_NAME=$SCALE_PROJECT docker-compose -f deploy/docker-compose.scale.yml "$@"; }

cleanup() {
  local rc=$?
  set +e
  if [[ -S $SOCK && ${NEWSFEED_DEPLOY_KEEP:-0} != 1 ]]; then
    if ((rc != 0)); then
      log "logs of the stack ($PROJECT):"
      compose logs --no-color --tail=60 2>&1 | sed 's/^/    /'
      for c in $(podman ps -aq --filter "label=com.docker.compose.project=$PROJECT"); do
        podman inspect --format '    {{.Name}}: {{.State.Status}}, health {{json .State.Health}}' "$c" 2>/dev/null | cut -c1-600
      done
    fi
    t=$(now)
    compose down -v -t 5 >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
    log "down -v took $(($(now) - t))s"
    if [[ -n ${SCALE_UP:-} ]]; then
      if ((rc != 0)); then
        log "logs of the scaled stack ($SCALE_PROJECT):"
        scompose logs --no-color --tail=30 2>&1 | sed 's/^/    /'
      fi
      scompose down -v -t 5 >"$WORK/down-scale.log" 2>&1 || cat "$WORK/down-scale.log"
    fi
  fi
  podman rm -f -v "$PROJECT-realconfig" >/dev/null 2>&1
  [[ -n $HC_PID ]] && kill "$HC_PID" 2>/dev/null
  if [[ -n $SVC_PID && ${NEWSFEED_DEPLOY_KEEP:-0} != 1 ]]; then
    kill "$SVC_PID" 2>/dev/null
    wait "$SVC_PID" 2>/dev/null
  fi
  [[ ${NEWSFEED_DEPLOY_KEEP:-0} != 1 ]] && rm -rf "$WORK"
  log "total $(($(now) - T_START))s"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

podman system service --time=0 "unix://$SOCK" >"$WORK/podman-service.log" 2>&1 &
SVC_PID=$!
for _ in $(seq 100); do [[ -S $SOCK ]] && break; sleep 0.1; done
[[ -S $SOCK ]] || { log "FAIL: podman API socket did not appear"; exit 1; }

# Runs the healthchecks of our projects' containers that are not yet healthy.
(
  while :; do
    for p in "$PROJECT" "$SCALE_PROJECT"; do
      for c in $(podman ps -q --filter "label=com.docker.compose.project=$p" \
                   --filter health=starting) \
               $(podman ps -q --filter "label=com.docker.compose.project=$p" \
                   --filter health=unhealthy); do
        podman healthcheck run "$c" >/dev/null 2>&1 || true
      done
    done
    sleep 1
  done
) &
HC_PID=$!

# --- checks ------------------------------------------------------------------------
PASSED=0
FAILED=0
pass() { PASSED=$((PASSED + 1)); printf 'PASS %s\n' "$*"; }
fail() { FAILED=$((FAILED + 1)); printf 'FAIL %s\n' "$*"; }
# Fails a step that later ones depend on: stops here.
die() { fail "$@"; printf 'deploy: %d passed, %d failed\n' "$PASSED" "$FAILED"; exit 1; }

# Polls CMD every 0.5 s until it succeeds, for at most TIMEOUT seconds.
wait_until() {
  local deadline=$(($(now) + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    (($(now) < deadline)) || return 1
    sleep 0.5
  done
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
export NEWSFEED_PUBLISH_ADDR=127.0.0.1
export NEWSFEED_QUERY_PORT=$(free_port)
export NEWSFEED_INGEST_PORT=$(free_port)
while [[ $NEWSFEED_INGEST_PORT == "$NEWSFEED_QUERY_PORT" ]]; do NEWSFEED_INGEST_PORT=$(free_port); done
export NEWSFEED_QUERY_METRICS_PORT=$(free_port)
export NEWSFEED_INGEST_METRICS_PORT=$(free_port)
export NEWSFEED_QUERY_HTTP_PORT=$(free_port)
QUERY=127.0.0.1:$NEWSFEED_QUERY_PORT
INGEST=127.0.0.1:$NEWSFEED_INGEST_PORT
log "project $PROJECT, query-service on $QUERY, ingest-service on $INGEST"

step_config() {
  docker-compose -f deploy/docker-compose.yml config -q && compose config -q
}
if step_config; then pass "docker-compose config -q (deploy and demo)"
else die "docker-compose config -q"; fi

t=$(now)
if compose build >"$WORK/build.log" 2>&1; then
  timing "image build" $(($(now) - t))
  pass "images built (query-service, ingest-service, demo-feeds)"
else
  tail -40 "$WORK/build.log"
  die "image build (log above)"
fi

# up -d returns once ingest-service's dependencies are healthy.
t=$(now)
if timeout "$TIMEOUT" docker-compose "${COMPOSE_FILES[@]}" up -d >"$WORK/up.log" 2>&1; then
  timing "up -d" $(($(now) - t))
  pass "docker-compose up -d (demo)"
else
  cat "$WORK/up.log"
  die "docker-compose up -d (demo)"
fi

declare -A CID
for s in query-service ingest-service feeds; do CID[$s]=$(compose ps -q "$s"); done
health_of() {  # service -> health status of its container
  podman inspect --format '{{.State.Health.Status}}' "${CID[$1]}" 2>/dev/null
}
all_healthy() {
  local s
  for s in query-service ingest-service feeds; do
    [[ $(health_of "$s") == healthy ]] || return 1
  done
}
t=$(now)
if wait_until all_healthy; then
  timing "healthy" $(($(now) - t))
  pass "containers healthy: query-service ingest-service feeds"
else
  for s in query-service ingest-service feeds; do log "$s: $(health_of "$s")"; done
  die "containers healthy within ${TIMEOUT}s"
fi

t_checks=$(now)
# TLS by default: the stack made its own CA in the secrets volume; the host's
# CLI and curl trust it, and plaintext clients are refused.
fetch_ca() {  # fetch_ca CONTAINER: the stack's CA to $WORK/ca.pem, trusted from now on
  podman exec "$1" cat /var/lib/newsfeed-secrets/tls/ca.pem >"$WORK/ca.pem" &&
    [[ $(podman exec "$1" stat -c %a /var/lib/newsfeed-secrets/tls/server.key) == 600 ]] &&
    export NEWSFEED_TLS_CA=$WORK/ca.pem
}
if fetch_ca "${CID[query-service]}" &&
   ! env -u NEWSFEED_TLS_CA "$NEWSFEED" --timeout 3 health "$QUERY" >/dev/null 2>&1 &&
   ! env -u NEWSFEED_TLS_CA "$NEWSFEED" --timeout 3 health "$INGEST" >/dev/null 2>&1 &&
   ! curl -sf --max-time 5 "http://127.0.0.1:$NEWSFEED_QUERY_HTTP_PORT/v1/articles" >/dev/null 2>&1; then
  pass "TLS by default: CA made at first start (key 0600), plaintext gRPC and HTTP refused"
else
  fail "TLS by default (CA in the secrets volume, plaintext refused)"
fi
if "$NEWSFEED" health --service newsfeed.v1.QueryService "$QUERY" >/dev/null &&
   "$NEWSFEED" health --service newsfeed.v1.FeedAdmin "$INGEST" >/dev/null; then
  pass "grpc health SERVING through 127.0.0.1 ports ($QUERY, $INGEST)"
else
  fail "grpc health through 127.0.0.1 ports"
fi

uid=$(podman exec "${CID[query-service]}" id -u 2>/dev/null || echo "?")
uid2=$(podman exec "${CID[ingest-service]}" id -u 2>/dev/null || echo "?")
if [[ $uid != 0 && $uid != "?" && $uid2 != 0 && $uid2 != "?" ]]; then
  pass "services run as non-root (uid $uid, $uid2)"
else
  fail "services run as non-root (uid $uid, $uid2)"
fi

article_count() {
  local out
  out=$("$NEWSFEED" --query "$QUERY" --json search --limit 100 2>/dev/null) || { echo 0; return; }
  grep -c '"id"' <<<"$out" || true
}
all_ingested() { [[ $(article_count 2>/dev/null || echo 0) -ge $DEMO_ARTICLES ]]; }
t=$(now)
if wait_until all_ingested; then
  timing "ingest of the sample feeds" $(($(now) - t))
  pass "all $DEMO_ARTICLES sample articles ingested, fetched from the feeds container"
else
  fail "sample articles ingested within ${TIMEOUT}s (have $(article_count 2>/dev/null || echo 0))"
fi

# tagged FLAG VALUE PATTERN: the search returns articles, each of which
# matches PATTERN (an extended regex over its JSON line).
tagged() {
  local out n m
  out=$("$NEWSFEED" --query "$QUERY" --json search "$1" "$2" --limit 100 2>&1) || { echo "$out"; return 1; }
  n=$(grep -c '"id"' <<<"$out" || true)
  m=$(grep -Ec "$3" <<<"$out" || true)
  echo "$n articles, $m tagged"
  ((n > 0 && n == m))
}
if r=$(tagged --company Microsoft '"name": *"Microsoft'); then
  pass "search --company Microsoft: $r Microsoft"
else
  fail "search --company Microsoft: $r"
fi
if r=$(tagged --country FR '"code": *"FR"'); then
  pass "search --country FR: $r FR"
else
  fail "search --country FR: $r"
fi

# The HTTP/JSON API through the published port: a search, and the live
# stream replaying from 0 (curl stops after the first article event).
HTTP_API=https://127.0.0.1:$NEWSFEED_QUERY_HTTP_PORT
if out=$(curl -sf --cacert "$WORK/ca.pem" --max-time 10 "$HTTP_API/v1/articles?company=Microsoft" 2>&1) &&
   grep -q '"name":"Microsoft"' <<<"$out" &&
   events=$(timeout 20 curl -sN --cacert "$WORK/ca.pem" "$HTTP_API/v1/stream?after_sequence=0" 2>/dev/null | grep -m1 '^event: article' || true) &&
   [[ -n $events ]]; then
  pass "HTTPS API on 127.0.0.1:$NEWSFEED_QUERY_HTTP_PORT: GET /v1/articles?company=Microsoft, /v1/stream replays"
else
  fail "HTTP API on 127.0.0.1:$NEWSFEED_QUERY_HTTP_PORT: ${out:0:300}"
fi

if out=$(timeout 30 "$NEWSFEED" --query "$QUERY" --json subscribe --after-seq 0 --max 1 2>&1) &&
   grep -q '"id"' <<<"$out"; then
  pass "subscribe --after-seq 0 --max 1 receives an article"
else
  fail "subscribe --after-seq 0 --max 1: $out"
fi

# Prometheus endpoints through the published ports: the stored articles and
# the delivered ones are counted.
metric() {  # metric PORT NAME: the value of the first sample of NAME
  python3 - "$1" "$2" <<'PY'
import sys, urllib.request
body = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=10).read().decode()
for line in body.splitlines():
    if line.startswith(sys.argv[2]) and not line.startswith("#"):
        print(int(float(line.rsplit(" ", 1)[1]))); break
else:
    print(-1)
PY
}
metrics_counted() {
  stored=$(metric "$NEWSFEED_QUERY_METRICS_PORT" 'newsfeed_articles_stored_total{result="inserted"}' 2>&1 || true)
  delivered=$(metric "$NEWSFEED_INGEST_METRICS_PORT" newsfeed_articles_delivered_total 2>&1 || true)
  [[ $stored =~ ^[0-9]+$ && $stored -ge $DEMO_ARTICLES && $delivered =~ ^[0-9]+$ && $delivered -ge $DEMO_ARTICLES ]]
}
if wait_until metrics_counted; then
  pass "metrics on 127.0.0.1 ports: $stored articles stored, $delivered delivered"
else
  fail "metrics: stored=$stored delivered=$delivered"
fi

# The store lives in the named volume: a restart (SIGTERM) keeps the articles.
before=$(article_count 2>/dev/null || echo 0)
t=$(now)
restored() { [[ $(article_count 2>/dev/null || echo 0) -ge $before && $before -gt 0 ]]; }
if compose restart -t 10 query-service >"$WORK/restart.log" 2>&1 && wait_until restored &&
   podman logs "${CID[query-service]}" 2>&1 | grep "signal 15, shutting down" >/dev/null; then
  pass "query-service restart (stopped by SIGTERM, serving again in $(($(now) - t))s) keeps the $before articles in its volume"
else
  cat "$WORK/restart.log"
  fail "query-service restart keeps its articles (had $before, now $(article_count 2>/dev/null || echo 0))"
fi
# The real deployment's configuration (the public feed list) loads: the
# ingest-service image starts with it and lists its feeds. No network in that
# container (--network none), so nothing is fetched from outside.
REAL=$PROJECT-realconfig
REAL_FEEDS=$(grep -c 'xmlUrl="https://' deploy/config/feeds.opml || true)
real_serving() { podman exec "$REAL" newsfeed health --service newsfeed.v1.FeedAdmin 127.0.0.1:50052; }
if podman run -d --name "$REAL" --network none \
     -v "$ROOT/deploy/config/ingest-service.compose.yaml:/etc/newsfeed/ingest-service.yaml:ro" \
     -v "$ROOT/deploy/config/feeds.opml:/etc/newsfeed/feeds.opml:ro" \
     "localhost/newsfeed/ingest-service:${NEWSFEED_IMAGE_TAG:-latest}" >/dev/null 2>&1 &&
   wait_until real_serving &&
   n=$(podman exec "$REAL" newsfeed feeds 2>/dev/null | grep -c 'https://' || true) &&
   ((n == REAL_FEEDS && n > 0)) &&
   podman stop -t 10 "$REAL" >/dev/null 2>&1 &&
   [[ $(podman inspect --format '{{.State.ExitCode}}' "$REAL" 2>/dev/null) == 0 ]]; then
  pass "real-feeds config loads: ingest-service serves its $n feeds, exits 0 on SIGTERM"
else
  podman logs "$REAL" 2>&1 | grep -v systemd | tail -5
  fail "real-feeds config (deploy/config/ingest-service.compose.yaml, feeds.opml): ${n:-?} of $REAL_FEEDS feeds"
fi
podman rm -f -v "$REAL" >/dev/null 2>&1 || true
timing "checks" $(($(now) - t_checks))
t=$(now)
compose down -v -t 5 >"$WORK/down.log" 2>&1 || cat "$WORK/down.log"
timing "down -v (demo)" $(($(now) - t))

# --- the scaled layout ------------------------------------------------------------
export NEWSFEED_QUERY_PORT=$(free_port)
export NEWSFEED_QUERY_B_PORT=$(free_port)
while [[ $NEWSFEED_QUERY_B_PORT == "$NEWSFEED_QUERY_PORT" ]]; do NEWSFEED_QUERY_B_PORT=$(free_port); done
export NEWSFEED_PG_PASSWORD=deploy-test-$$
QUERY_A=127.0.0.1:$NEWSFEED_QUERY_PORT
QUERY_B=127.0.0.1:$NEWSFEED_QUERY_B_PORT
SCALE_SERVICES=(postgres query-a query-b ingest-1 ingest-2 feeds)
log "scaled project $SCALE_PROJECT, replicas on $QUERY_A and $QUERY_B"

if scompose config -q; then pass "docker-compose config -q (scale)"
else die "docker-compose config -q (scale)"; fi
t=$(now)
if scompose build >"$WORK/build-scale.log" 2>&1; then
  timing "image build (scale)" $(($(now) - t))
  pass "images built (postgres and the service images)"
else
  tail -40 "$WORK/build-scale.log"
  die "image build (scale, log above)"
fi
SCALE_UP=1
t=$(now)
if timeout "$TIMEOUT" env COMPOSE_PROJECT_NAME="$SCALE_PROJECT" \
     docker-compose -f deploy/docker-compose.scale.yml up -d >"$WORK/up-scale.log" 2>&1; then
  timing "up -d (scale)" $(($(now) - t))
  pass "docker-compose up -d (scale)"
else
  cat "$WORK/up-scale.log"
  die "docker-compose up -d (scale)"
fi
for s in "${SCALE_SERVICES[@]}"; do CID[$s]=$(scompose ps -q "$s"); done
scale_healthy() {
  local s
  for s in "${SCALE_SERVICES[@]}"; do
    [[ $(health_of "$s") == healthy ]] || return 1
  done
}
t=$(now)
if wait_until scale_healthy; then
  timing "healthy (scale)" $(($(now) - t))
  pass "containers healthy: ${SCALE_SERVICES[*]}"
else
  for s in "${SCALE_SERVICES[@]}"; do log "$s: $(health_of "$s")"; done
  die "scaled containers healthy within ${TIMEOUT}s"
fi

if fetch_ca "${CID[query-a]}" && "$NEWSFEED" --timeout 5 health "$QUERY_B" >/dev/null; then
  pass "scaled stack: one CA for both replicas (replica B trusted with A's CA)"
else
  fail "scaled stack: one CA for both replicas"
fi

count_on() {  # count_on ADDRESS: articles a search there returns
  local out
  out=$("$NEWSFEED" --query "$1" --json search --limit 100 2>/dev/null) || { echo 0; return; }
  grep -c '"id"' <<<"$out" || true
}
both_complete() {
  [[ $(count_on "$QUERY_A") -ge $DEMO_ARTICLES && $(count_on "$QUERY_B") -ge $DEMO_ARTICLES ]]
}
if wait_until both_complete && [[ $(count_on "$QUERY_A") == "$DEMO_ARTICLES" &&
                                  $(count_on "$QUERY_B") == "$DEMO_ARTICLES" ]]; then
  pass "both replicas serve each of the $DEMO_ARTICLES sample articles once (one store)"
else
  fail "replicas serve the sample articles once: A has $(count_on "$QUERY_A"), B has $(count_on "$QUERY_B")"
fi
if out=$(timeout 30 "$NEWSFEED" --query "$QUERY_B" --json subscribe --after-seq 0 --max "$DEMO_ARTICLES" 2>&1) &&
   [[ $(grep -c '"id"' <<<"$out" || true) -ge $DEMO_ARTICLES ]]; then
  pass "subscribe on replica B replays all $DEMO_ARTICLES articles, whichever replica stored them"
else
  fail "subscribe on replica B: $(tail -3 <<<"$out")"
fi
podman kill "${CID[query-a]}" >/dev/null 2>&1 || true
if [[ $(count_on "$QUERY_B") == "$DEMO_ARTICLES" &&
      $(NEWSFEED_TLS_SERVER_NAME=localhost count_on "ipv4:$QUERY_A,$QUERY_B") == "$DEMO_ARTICLES" ]]; then
  pass "replica A killed: B serves, and a client given both addresses is routed to B"
else
  fail "after killing replica A: B has $(count_on "$QUERY_B"), both-address client $(count_on "ipv4:$QUERY_A,$QUERY_B")"
fi

log "timings: ${TIMINGS[*]}"
printf 'deploy: %d passed, %d failed\n' "$PASSED" "$FAILED"
((FAILED == 0))
