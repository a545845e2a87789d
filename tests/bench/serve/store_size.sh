#!/usr/bin/env bash
# How `wkit serve` scales with the number of messages it has stored
# (docs/benchmarks.md "wkit serve: store size"). One server (store on disk,
# durable, dedup on, random client_msg_nos like real clients) is filled in
# steps; at each step one connection with a window of 1024 sends MEASURE
# messages and the line printed holds its acked/s, latency percentiles and
# the server's resident and peak memory (VmRSS, VmHWM) and store size.
#   tests/bench/serve/store_size.sh BUILD_DIR [STEPS] [MEASURE] [DATA_DIR]
# STEPS: the stored-message counts to measure at, ascending
# (default "0 1000000 5000000 10000000 20000000"); MEASURE default 200000.
# The messages measured at one step count towards the next. With DATA_DIR
# the store is kept there (and continued if it exists), so a big store can
# be measured again without filling it again.
set -euo pipefail
build=${1:?usage: store_size.sh BUILD_DIR [STEPS] [MEASURE]}
steps=${2:-0 1000000 5000000 10000000 20000000}
measure=${3:-200000}
keep=${4:-}
wkit=$build/cli/wkit
bench=$build/tests/bench_serve
tmp=$(mktemp -d "${TMPDIR:-/tmp}/wkit-store-size.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT
data=${keep:-$tmp/data}

stored=0
[ -f "$data/wkit.db" ] && stored=$(sqlite3 "$data/wkit.db" 'SELECT COUNT(*) FROM message')
start_s=$(date +%s.%N)
"$wkit" serve --listen tcp://127.0.0.1:0 --data "$data" --dedup on ${SERVE_FLAGS:-} >"$tmp/out" 2>"$tmp/err" &
pid=$!
for _ in $(seq 1 6000); do grep -q "^listening" "$tmp/out" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/^listening tcp:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
[ -n "$port" ] || { cat "$tmp/err" >&2; exit 1; }
printf '{"startup_seconds":%.2f,"stored":%s}\n' "$(echo "$(date +%s.%N) - $start_s" | bc)" "$stored"

status_kib() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/"$pid"/status; }

round=$(date +%s)  # uids new in every run: no key repeats
for target in $steps; do
  if [ "$target" -gt "$stored" ]; then
    fill_start=$(date +%s.%N)
    # Filling is not measured; four connections x 4096 fill fastest. Each
    # round uses new uids, so no key repeats.
    round=$((round + 1))
    "$bench" --port "$port" --mode send --connections 4 --window 4096 --prefix "fill$round" \
      --count $(((target - stored + 3) / 4)) >/dev/null
    fill_s=$(echo "$(date +%s.%N) - $fill_start" | bc)
    stored=$((stored + 4 * ((target - stored + 3) / 4)))
  else
    fill_s=0
  fi
  round=$((round + 1))
  res=$("$bench" --port "$port" --mode send --connections 1 --window 1024 --count "$measure" --prefix "m$round")
  rss=$(status_kib VmRSS)
  hwm=$(status_kib VmHWM)
  bytes=$(du -sb "$data" | cut -f1)
  node -e '
    const r = JSON.parse(process.argv[1]);
    r.stored_before = Number(process.argv[2]);
    r.fill_seconds = Number(process.argv[3]);
    r.server_rss_kib = Number(process.argv[4]);
    r.server_peak_rss_kib = Number(process.argv[5]);
    r.store_bytes = Number(process.argv[6]);
    r.loadavg = Number(process.argv[7]);
    console.log(JSON.stringify(r));' "$res" "$stored" "$fill_s" "$rss" "$hwm" "$bytes" "$(cut -d' ' -f1 /proc/loadavg)"
  stored=$((stored + measure))
done
