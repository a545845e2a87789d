#!/usr/bin/env bash
# The README's test command: installs what is missing, builds, and runs the
# whole suite: unit, conformance, end-to-end and interop tests (ctest), the
# unit and conformance tests again under ASan+UBSan, and every fuzz target for
# a short fixed time. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
# One job more than cores for builds and the release suite: links and
# process start-ups leave a core idle now and then (the e2e tests mostly
# wait on real processes), and CI has a 40-minute budget.
more=$((jobs + 1))

bash scripts/setup.sh

echo "== build (release)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_UNITY_BUILD=ON >/dev/null
cmake --build build -j"$more"

echo "== build (asan+ubsan)"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWKIT_SANITIZE=ON -DCMAKE_UNITY_BUILD=ON \
  -DWKIT_CLI=OFF -DWKIT_BENCH=OFF >/dev/null
cmake --build build-asan -j"$more"

# The fuzz build stays file by file: it also checks that the library sources
# it builds compile on their own (their includes), which unity builds cannot.
echo "== build (fuzz, clang)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWKIT_FUZZ=ON -DWKIT_CLI=OFF -DWKIT_BENCH=OFF >/dev/null
cmake --build build-fuzz -j"$more"

echo "== fuzz (${WKIT_FUZZ_SECONDS:=5}s per target)"
for f in build-fuzz/tests/fuzz_*; do
  [ -x "$f" ] || continue
  name=$(basename "$f")
  corpus=$(mktemp -d)
  seeds="$root/tests/fuzz/corpus/$name"
  [ -d "$seeds" ] && cp -r "$seeds"/. "$corpus"/
  echo "-- $name"
  "$f" "$corpus" -max_total_time="$WKIT_FUZZ_SECONDS" -rss_limit_mb=2048 -max_len=70000 \
    -print_final_stats=1 2>"$corpus.log" || { tail -50 "$corpus.log"; echo "fuzz target $name failed" >&2; exit 1; }
  grep -E "stat::number_of_executed_units|Done" "$corpus.log" | tail -2
  rm -rf "$corpus" "$corpus.log"
done

echo "== unit + conformance under asan+ubsan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan -L "unit|conformance" -j"$jobs" --output-on-failure

echo "== all tests (release)"
ctest --test-dir build -j"$more" --output-on-failure
