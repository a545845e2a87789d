#!/usr/bin/env bash
# `wkit serve` memory under slow consumers (docs/serve.md "Slow consumers").
# Two scenarios, each on a fresh server (store on disk, --no-fsync), sampling
# the server's VmRSS every 0.5 s and printing one JSON line:
#   flood:   a receiver that never reads (`wkit recv` stopped with SIGSTOP)
#            while a sender pushes 1,000 x 16 KiB messages/s (16.4 MB/s) at it
#            for DURATION; then the receiver is replaced by a reading one and
#            must get every message.
#   backlog: BACKLOG messages of 1 KB stored for an offline user; the server
#            is restarted on that store, then the user connects and acks them all.
#   tests/bench/serve/slow_consumer.sh BUILD_DIR [DURATION=60s] [BACKLOG=1000000]
set -euo pipefail
build=${1:?usage: slow_consumer.sh BUILD_DIR [DURATION] [BACKLOG]}
duration=${2:-60s}
backlog=${3:-1000000}
wkit=$build/cli/wkit
[ -x "$wkit" ] || wkit=$build/wkit
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -CONT "$p" 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# The receiver's summary, briefly: RECVs, unique messages, redeliveries seen, gaps.
recv_brief() {
  python3 -c 'import json,sys
try: d=json.load(open(sys.argv[1]))
except Exception: print("null"); sys.exit()
print(json.dumps({"received": d.get("received"), "unique": d.get("unique"),
  "repeated_message_ids": d.get("duplicates", {}).get("by_message_id"),
  "seq_gaps_missing": d.get("seq_gaps", {}).get("missing"), "timed_out": d.get("timed_out")}))' "$1"
}

rss_kib() { awk '/^VmRSS/ {print $2}' /proc/"$1"/status 2>/dev/null || echo 0; }

# Samples VmRSS of $1 into $2 until the file $3 exists.
sample_rss() {
  local pid=$1 out=$2 stop=$3 max=0 r
  while [ ! -e "$stop" ]; do
    r=$(rss_kib "$pid")
    [ "$r" -gt "$max" ] && max=$r
    echo "$max" > "$out"
    sleep 0.5
  done
}

start_server() {  # $1: data dir; sets $server_pid and $url
  # No --events: a line per frame would cost more than the run measures.
  "$wkit" serve --listen tcp://127.0.0.1:0 --data "$1" --no-fsync > "$1.out" 2> "$1.err" &
  server_pid=$!
  pids+=("$server_pid")
  for _ in $(seq 100); do
    url=$(grep -o 'tcp://[0-9.:]*' "$1.out" 2>/dev/null | head -1 || true)
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "server did not start: $(cat "$1.err")" >&2
  exit 1
}

# --- flood ------------------------------------------------------------------
start_server "$tmp/flood"
rss_start=$(rss_kib "$server_pid")
"$wkit" recv -s "$url" -u slow --timeout 1h -o json > "$tmp/slow.json" 2>&1 &
slow=$!
pids+=("$slow")
sleep 1
kill -STOP "$slow"
sample_rss "$server_pid" "$tmp/flood.max" "$tmp/flood.stop" &
pids+=($!)
"$wkit" send -s "$url" -u alice --to slow --payload-size 16KiB --rate 1000/s --duration "$duration" \
  --connections 2 --window 256 -o json > "$tmp/send.json" 2> "$tmp/send.err" || true
touch "$tmp/flood.stop"
sleep 1
flood_max=$(cat "$tmp/flood.max")
acked=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("acknowledged", 0))' "$tmp/send.json" 2>/dev/null || echo "?")
cuts=$(grep -c 'slow_consumer' "$tmp/flood.err" || true)
kill -CONT "$slow" 2>/dev/null || true
kill "$slow" 2>/dev/null || true
# Everything the stalled receiver missed is still there for its next connection.
"$wkit" recv -s "$url" -u slow --count "$acked" --timeout 300s -o json > "$tmp/again.json" 2>/dev/null || true
got=$(recv_brief "$tmp/again.json")
rss_after=$(rss_kib "$server_pid")
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
echo "{\"scenario\":\"flood\",\"duration\":\"$duration\",\"payload\":16384,\"rate\":1000,\"acked\":$acked,\"slow_consumer_lines\":$cuts,\"reconnect_recv\":$got,\"rss_start_kib\":$rss_start,\"rss_max_kib\":$flood_max,\"rss_after_reconnect_kib\":$rss_after}"

# --- backlog ----------------------------------------------------------------
start_server "$tmp/backlog"
"$wkit" send -s "$url" -u alice --to bob --payload-size 1000 --count "$backlog" --connections 4 --window 512 \
  -o json > "$tmp/fill.json" 2> "$tmp/fill.err" || true
stored=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("acknowledged", 0))' "$tmp/fill.json" 2>/dev/null || echo "?")
rss_filled=$(rss_kib "$server_pid")
# Restart on the same store: what a server holds for the backlog itself,
# without what filling it left behind.
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start_server "$tmp/backlog"
rss_before=$(rss_kib "$server_pid")
sample_rss "$server_pid" "$tmp/backlog.max" "$tmp/backlog.stop" &
pids+=($!)
start_s=$(date +%s.%N)
"$wkit" recv -s "$url" -u bob --count "$stored" --timeout 30m -o json > "$tmp/bob.json" 2>/dev/null || true
end_s=$(date +%s.%N)
touch "$tmp/backlog.stop"
sleep 1
backlog_max=$(cat "$tmp/backlog.max")
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
echo "{\"scenario\":\"backlog\",\"stored\":$stored,\"recv\":$(recv_brief "$tmp/bob.json"),\"seconds\":$(python3 -c "print(round($end_s - $start_s, 1))"),\"rss_after_filling_kib\":$rss_filled,\"rss_after_restart_kib\":$rss_before,\"rss_max_kib\":$backlog_max}"
