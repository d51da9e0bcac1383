#!/usr/bin/env bash
# Configures and builds newsfeed. Usage: scripts/build.sh [release|asan] [targets...]
#   release  optimized build in build/release (default)
#   asan     AddressSanitizer + UndefinedBehaviorSanitizer build in build/asan
set -euo pipefail
cd "$(dirname "$0")/.."
flavor="${1:-release}"
shift || true
case "$flavor" in
  release) dir=build/release; flags=(-DCMAKE_BUILD_TYPE=Release) ;;
  asan) dir=build/asan; flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DNEWSFEED_SANITIZE=ON -DNEWSFEED_BUILD_BENCHMARKS=OFF) ;;
  *) echo "usage: $0 [release|asan] [targets...]" >&2; exit 2 ;;
esac
cmake -S . -B "$dir" -G Ninja "${flags[@]}" >/dev/null
jobs=$(nproc)
if (($# > 0)); then
  cmake --build "$dir" -j "$jobs" --target "$@"
else
  cmake --build "$dir" -j "$jobs"
fi
