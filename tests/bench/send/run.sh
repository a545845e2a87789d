#!/usr/bin/env bash
# End-to-end send benchmark: one `wkit send` process against
# `wkit serve --in-memory` on loopback, encryption on. Prints the send
# summary figures plus the CPU seconds each process used, so the server's
# share is visible (on a 2-core machine the two compete for the same cores).
#
#   tests/bench/send/run.sh [WKIT_BINARY] [COUNT] [CONNECTIONS] [WINDOW] [PAYLOAD_SIZE]
#   SEND_EXTRA="--no-encrypt" tests/bench/send/run.sh ...   (baseline without crypto)
set -euo pipefail
WKIT=${1:-build/cli/wkit}
COUNT=${2:-300000}
CONNS=${3:-4}
WINDOW=${4:-256}
SIZE=${5:-64}
work=$(mktemp -d)
trap 'kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; rm -rf "$work"' EXIT

"$WKIT" serve --listen tcp://127.0.0.1:0 --in-memory >"$work/serve.out" 2>"$work/serve.err" &
spid=$!
for _ in $(seq 100); do grep -q '^listening tcp://' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk '/^listening tcp:/{print $2}' "$work/serve.out")
[ -n "$url" ] || { echo "serve did not start: $(cat "$work/serve.err")" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
s0=$(ticks "$spid")
/usr/bin/time -f '%U %S %e' -o "$work/client.time" \
  "$WKIT" send -s "$url" -u bench --to peer --count "$COUNT" --connections "$CONNS" \
  --window "$WINDOW" --payload-size "$SIZE" ${SEND_EXTRA:-} -o json >"$work/summary.json"
s1=$(ticks "$spid")

python3 - "$work/summary.json" "$work/client.time" "$s0" "$s1" "$hz" "$COUNT" "$CONNS" "$WINDOW" "$SIZE" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
cu, cs, wall = map(float, open(sys.argv[2]).read().split())
server_cpu = (float(sys.argv[4]) - float(sys.argv[3])) / float(sys.argv[5])
count, conns, window, size = sys.argv[6:10]
acked = s["acknowledged"]
print(f"messages={count} connections={conns} window={window} payload={size}B encrypt={s['encrypt']}")
print(f"acked={acked} duplicates_created={s['duplicates_created']} elapsed_s={s['elapsed_s']:.2f}")
print(f"end_to_end_send_per_s={s['throughput_per_s']:.0f}")
print(f"latency_ms p50={s['latency']['p50_ms']} p99={s['latency']['p99_ms']} max={s['latency']['max_ms']}")
print(f"client_cpu_s={cu + cs:.2f} ({(cu + cs) / acked * 1e6:.2f} us/message, "
      f"capacity {acked / (cu + cs):.0f}/s per core)")
print(f"server_cpu_s={server_cpu:.2f} ({server_cpu / acked * 1e6:.2f} us/message, "
      f"capacity {acked / server_cpu:.0f}/s per core)")
print(f"server_share_of_cpu={server_cpu / (server_cpu + cu + cs) * 100:.0f}%")
PY
