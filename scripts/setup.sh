#!/usr/bin/env bash
# Installs what wkit needs to build and test, from Debian 12 packages only.
# Safe to run twice: installs only what is missing. Must run as root.
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config git
  libcli11-dev libboost-dev nlohmann-json3-dev
  libprotobuf-dev protobuf-compiler
  libssl-dev libsqlite3-dev sqlite3 libsimdjson-dev libpcap-dev
  zlib1g-dev libzstd-dev librocksdb-dev libxxhash-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  tcpdump tshark jq zstd curl
  chromium
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ! command -v node >/dev/null 2>&1; then missing+=(nodejs); fi
if ! command -v npm >/dev/null 2>&1; then missing+=(npm); fi

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing packages (${missing[*]}); run as root to install them" >&2
    exit 2
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
