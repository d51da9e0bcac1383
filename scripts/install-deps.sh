#!/usr/bin/env bash
# Installs the Debian 12 packages newsfeed needs to build, test and run.
# Idempotent: does nothing when everything is installed. Needs root (or sudo).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev libabsl-dev
  libcurl4-openssl-dev libpugixml-dev libgumbo-dev libxxhash-dev libsqlite3-dev libyaml-cpp-dev
  libcli11-dev libcpp-httplib-dev zlib1g-dev libzstd-dev libssl-dev libmicrohttpd-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  iso-codes python3 openssl
  libpqxx-dev libpq-dev postgresql
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  exit 0
fi
echo "newsfeed: installing Debian packages: ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
