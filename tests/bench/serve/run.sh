#!/usr/bin/env bash
# `wkit serve` benchmarks (docs/benchmarks.md "wkit serve"): each scenario
# starts a fresh `wkit serve` (store on disk, durable, dedup on unless noted),
# drives it with bench_serve over loopback TCP (random client_msg_nos like real
# clients unless noted), and prints one JSON line:
# the client's view (acked/s, latency percentiles) plus the server's CPU time
# per thread (from /proc) so the cost per SEND is known even on a loaded box.
#   tests/bench/serve/run.sh BUILD_DIR [SCALE]
# SCALE multiplies message counts (default 1). One scenario first fills the
# store with 1M messages (prefill) and then measures.
set -euo pipefail
build=${1:?usage: run.sh BUILD_DIR [SCALE]}
scale=${2:-1}
wkit=$build/cli/wkit
bench=$build/tests/bench_serve
[ -x "$wkit" ] || wkit=$build/wkit
[ -x "$bench" ] || bench=$build/bench_serve
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

# utime+stime (clock ticks) of the I/O thread (tid = pid) and of the other
# threads (the store's group-commit thread): "IO OTHER".
cpu_ticks() {
  local io=0 other=0 line t
  for t in /proc/"$1"/task/*; do
    line=$(cat "$t/stat" 2>/dev/null) || continue
    line=${line##*) }
    set -- $line
    if [ "$(basename "$t")" = "$pid" ]; then io=$((io + ${12} + ${13})); else other=$((other + ${12} + ${13})); fi
  done
  echo "$io $other"
}

start_server() {
  rm -rf "$tmp/data" "$tmp/out"
  local store=(--data "$tmp/data")
  case " $* " in *" --in-memory "*) store=() ;; esac
  "$wkit" serve --listen tcp://127.0.0.1:0 "${store[@]}" "$@" >"$tmp/out" 2>"$tmp/err" &
  pid=$!
  for _ in $(seq 1 200); do grep -q '^listening' "$tmp/out" 2>/dev/null && break; sleep 0.05; done
  port=$(sed -n 's/^listening tcp:\/\/127.0.0.1:\([0-9]*\)$/\1/p' "$tmp/out")
}
stop_server() { kill -TERM "$pid"; wait "$pid" || true; pid=""; }

run() {  # name, server flags..., --, bench flags...
  local name=$1; shift
  local sflags=()
  while [ "$1" != "--" ]; do sflags+=("$1"); shift; done
  shift
  start_server "${sflags[@]}"
  # prefill=N: the store already holds N messages (random keys, not measured),
  # to see how the idempotency index scales with the store's size.
  [ -n "${prefill:-}" ] && "$bench" --port "$port" --mode send --connections 4 --window 4096 --count $((prefill / 4)) >/dev/null
  local hz; hz=$(getconf CLK_TCK)
  local before; before=$(cpu_ticks "$pid")
  local res; res=$("$bench" --port "$port" "$@" --server-pid "$pid")
  local after; after=$(cpu_ticks "$pid")
  stop_server
  local load; load=$(cut -d' ' -f1 /proc/loadavg)
  node -e '
    const r = JSON.parse(process.argv[1]);
    const [io0, st0] = process.argv[2].split(" ").map(Number), [io1, st1] = process.argv[3].split(" ").map(Number);
    const hz = Number(process.argv[4]), io = (io1 - io0) / hz, st = (st1 - st0) / hz;
    r.name = process.argv[5]; r.server_cpu_s = { io_thread: io, store_thread: st }; r.loadavg = Number(process.argv[6]);
    const n = r.acked || 0;
    if (n) {
      r.cpu_us_per_send = { io_thread: +(io * 1e6 / n).toFixed(2), store_thread: +(st * 1e6 / n).toFixed(2) };
      // What two dedicated cores would sustain: the busier thread is the limit.
      r.projected_sends_per_sec_2_cores = Math.round(n / Math.max(io, st));
    }
    console.log(JSON.stringify(r));' "$res" "$before" "$after" "$hz" "$name" "$load"
}

n=$((200000 * scale))
run one-conn-dedup-durable --dedup on -- --mode send --connections 1 --window 1024 --count $n
run one-conn-w4096-dedup-durable --dedup on -- --mode send --connections 1 --window 4096 --count $n
prefill=$((1000000 * scale)) run one-conn-w4096-dedup-durable-1M-stored --dedup on -- --mode send --connections 1 --window 4096 --count $n
run one-conn-dedup-off-durable --dedup off -- --mode send --connections 1 --window 1024 --count $n
run one-conn-dedup-memory --in-memory --dedup on -- --mode send --connections 1 --window 1024 --count $n
run one-conn-noencrypt-durable --dedup on -- --mode send --connections 1 --window 1024 --count $n --encrypt off
run one-conn-w4096-counter-cmn-durable --dedup on -- --mode send --connections 1 --window 4096 --count $n --client-msg-no counter
run 4-conns-w4096-dedup-durable --dedup on -- --mode send --connections 4 --window 4096 --count $((n / 4))
run 100-conns-dedup-durable --dedup on -- --mode send --connections 100 --window 32 --count $((n / 100))
run 100-conns-w64-dedup-durable --dedup on -- --mode send --connections 100 --window 64 --count $((n / 100))
run fanout-100-members --dedup on --group bench-group=$(seq -s, -f 'm%g' 0 99) -- --mode fanout --members 100 --window 64 --count $((2000 * scale))
run idle-2000-conns --in-memory -- --mode idle --connections 2000
