#!/usr/bin/env bash
# Replay benchmark (docs/benchmarks.md, "replay"):
#  1. records N messages sent at a fixed rate through `wkit proxy` into a capture;
#  2. replays it at --speed max against a fresh in-memory `wkit serve` and
#     compares the time with the baseline: `wkit send` of the same N messages
#     straight to a fresh server in the same run (window W);
#  3. replays at --speed 1 and reports the timing error (drift from the
#     recorded schedule, p50/p99/max) against the recording's duration.
# Usage: tests/bench/bench_replay.sh [WKIT] [N] [RATE] [WINDOW]
set -euo pipefail
WKIT=${1:-build/cli/wkit}
N=${2:-2000}
RATE=${3:-1000/s}
WINDOW=${4:-64}
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

# Starts a server in this shell (not in a command substitution, whose PIDs
# would never reach `pids` and the cleanup trap) and sets SERVE_URL.
start_serve() {
  local out=$tmp/serve.$((${#pids[@]} + 1))
  "$WKIT" serve --listen tcp://127.0.0.1:0 --in-memory >"$out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 50); do grep -q listening "$out" 2>/dev/null && break; sleep 0.1; done
  SERVE_URL=$(awk '/listening/{print $2; exit}' "$out")
  if [[ -z $SERVE_URL ]]; then echo "bench_replay: wkit serve did not start" >&2; exit 1; fi
}
now() { date +%s.%N; }

start_serve; S1=$SERVE_URL
"$WKIT" proxy --listen tcp://127.0.0.1:0 --upstream "$S1" --capture "$tmp/rec.wkcap" >"$tmp/proxy.out" 2>/dev/null &
PP=$!; pids+=($PP)
for _ in $(seq 50); do grep -q listening "$tmp/proxy.out" 2>/dev/null && break; sleep 0.1; done
P=$(awk '/listening/{print $2; exit}' "$tmp/proxy.out")
"$WKIT" send -s "$P" -u alice --to bob --count "$N" --rate "$RATE" --window "$WINDOW" -o json >"$tmp/rec-send.json"
kill "$PP"; wait "$PP" 2>/dev/null || true
rec_s=$("$WKIT" capture info "$tmp/rec.wkcap" -o json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["duration_ms"]/1000)')

start_serve; S2=$SERVE_URL
t0=$(now); "$WKIT" send -s "$S2" -u alice --to bob --count "$N" --window "$WINDOW" -o json >"$tmp/base.json"; t1=$(now)
base_s=$(echo "$t1 - $t0" | bc -l)

start_serve; S3=$SERVE_URL
t0=$(now); "$WKIT" replay "$tmp/rec.wkcap" -s "$S3" --speed max -o json >"$tmp/max.json"; t1=$(now)
max_s=$(echo "$t1 - $t0" | bc -l)

start_serve; S4=$SERVE_URL
"$WKIT" replay "$tmp/rec.wkcap" -s "$S4" --speed 1 -o json >"$tmp/one.json"

python3 - "$N" "$RATE" "$WINDOW" "$rec_s" "$base_s" "$max_s" "$tmp/max.json" "$tmp/one.json" <<'PY'
import json, sys
n, rate, window, rec_s, base_s, max_s = sys.argv[1], sys.argv[2], sys.argv[3], *map(float, sys.argv[4:7])
mx, one = json.load(open(sys.argv[7])), json.load(open(sys.argv[8]))
print(f"messages {n} recorded at {rate} over {rec_s:.3f} s (window {window})")
print(f"baseline wkit send (window {window}):  {base_s:.3f} s  {int(n)/base_s:,.0f} msg/s")
print(f"replay --speed max:              {max_s:.3f} s  {int(n)/max_s:,.0f} msg/s  "
      f"ratio to baseline {max_s/base_s:.2f}x time  (sendacks {mx['sendacks']}, differences {len(mx['differences'])}, "
      f"failed connections {mx['failed_connections']})")
d = one["drift"]
print(f"replay --speed 1: elapsed {one['elapsed_s']:.3f} s for a {rec_s:.3f} s recording "
      f"({one['elapsed_s']/rec_s:.3f}x); drift p50 {d['p50_ms']*1000:.0f} us, p99 {d['p99_ms']*1000:.0f} us, "
      f"max {d['max_ms']*1000:.0f} us over {d['count']} frames "
      f"(differences {len(one['differences'])}, failed connections {one['failed_connections']})")
PY
