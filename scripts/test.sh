#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds, and runs every test with ctest twice: once in the release
# build and once under AddressSanitizer + UndefinedBehaviorSanitizer. The
# example clients in examples/ run against the release services in between.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

run_suite() {
  local flavor="$1" dir="build/$1"
  echo "== newsfeed: building ($flavor)"
  scripts/build.sh "$flavor"
  echo "== newsfeed: testing ($flavor)"
  ctest --test-dir "$dir" --output-on-failure -j "$(nproc)" --timeout 600
}

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
export LSAN_OPTIONS="suppressions=$PWD/scripts/lsan.supp:print_suppressions=0"
run_suite release
echo "== newsfeed: example clients (Python, Node.js) against the release build"
scripts/test-clients.sh
run_suite asan
echo "== newsfeed: container deployment (deploy/, podman + docker-compose)"
scripts/deploy-test.sh
echo "== newsfeed: all tests passed (release and asan+ubsan, example clients, deployment)"
