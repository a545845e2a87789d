#!/usr/bin/env bash
# The README's main command: installs what is missing, builds wkit, and runs
# the demo: `wkit demo` starts `wkit serve` in-process on a temporary store,
# sends with forced retries (same client_msg_no) against dedup on and off,
# receives, prints the verdict and audits the store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build build -j"$(nproc)" --target wkit
exec build/cli/wkit demo "$@"
