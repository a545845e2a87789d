#!/usr/bin/env bash
# `wkit send --protocol jsonrpc` against `wkit serve --in-memory` on loopback,
# with the binary (WKProto, encrypted) run over the same ws:// listener in the
# same invocation as the baseline. Load mode, one send process each, run one
# after the other (ROUNDS times, alternating). Prints the acked rate, latency
# and the CPU seconds of client and server for each run.
#
#   tests/bench/send/jsonrpc.sh [WKIT_BINARY] [COUNT] [CONNECTIONS] [WINDOW] [PAYLOAD_SIZE] [ROUNDS]
#   SCHEME=tcp tests/bench/send/jsonrpc.sh ...   (both over tcp:// instead)
#   SCHEME=wss tests/bench/send/jsonrpc.sh ...   (over TLS, a throwaway self-signed certificate)
set -euo pipefail
WKIT=${1:-build/cli/wkit}
COUNT=${2:-300000}
CONNS=${3:-4}
WINDOW=${4:-256}
SIZE=${5:-64}
ROUNDS=${6:-2}
SCHEME=${SCHEME:-ws}
work=$(mktemp -d)
trap 'kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true; rm -rf "$work"' EXIT

tls_serve=() tls_send=()
if [ "$SCHEME" = wss ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
  tls_serve=(--tls-cert "$work/cert.pem" --tls-key "$work/key.pem")
  tls_send=(--ca-file "$work/cert.pem")
fi
"$WKIT" serve --listen "$SCHEME://127.0.0.1:0" --in-memory "${tls_serve[@]}" >"$work/serve.out" 2>"$work/serve.err" &
spid=$!
for _ in $(seq 100); do grep -q "^listening $SCHEME://" "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
url=$(awk -v s="$SCHEME" '$1 == "listening" && index($2, s "://") == 1 {print $2}' "$work/serve.out")
[ -n "$url" ] || { echo "serve did not start: $(cat "$work/serve.err")" >&2; exit 1; }

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)

one() {  # $1 = label, rest = extra send flags
  local label=$1; shift
  local s0 s1
  s0=$(ticks "$spid")
  /usr/bin/time -f '%U %S %e' -o "$work/client.time" \
    "$WKIT" send -s "$url" -u "bench-$label" --to peer --count "$COUNT" --connections "$CONNS" \
    --window "$WINDOW" --payload-size "$SIZE" "${tls_send[@]}" "$@" -o json >"$work/summary.json"
  s1=$(ticks "$spid")
  python3 - "$label" "$work/summary.json" "$work/client.time" "$s0" "$s1" "$hz" <<'PY'
import json, sys
label = sys.argv[1]
s = json.load(open(sys.argv[2]))
cu, cs, wall = map(float, open(sys.argv[3]).read().split())
server_cpu = (float(sys.argv[5]) - float(sys.argv[4])) / float(sys.argv[6])
acked = s["acknowledged"]
lat = s["latency"]
print(f"{label:8s} acked={acked} acked_per_s={s['throughput_per_s']:.0f} elapsed_s={s['elapsed_s']:.2f} "
      f"p50_ms={lat['p50_ms']} p99_ms={lat['p99_ms']} client_us_per_msg={(cu + cs) / acked * 1e6:.2f} "
      f"server_us_per_msg={server_cpu / acked * 1e6:.2f} unmatched={s['unmatched_sendacks']}")
PY
}

echo "url=$url messages=$COUNT connections=$CONNS window=$WINDOW payload=${SIZE}B"
for _ in $(seq "$ROUNDS"); do
  one wkproto
  one jsonrpc --protocol jsonrpc
done
