#!/usr/bin/env bash
# Interop: two official JS SDK (wukongimjssdk 1.0.4) processes against a real
# `wkit serve` over WebSocket; one sends 50 messages to the other. Passes when
# all 50 SENDACKs succeed and all 50 arrive (decrypted, msg_key-verified by
# the SDK) exactly once.
#   run_interop.sh WKIT_BINARY WORK_DIR
# WORK_DIR (in the build tree) receives node_modules: never committed.
set -euo pipefail
wkit=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
count=${WKIT_INTEROP_COUNT:-50}
mkdir -p "$work"
if [ ! -f "$work/node_modules/wukongimjssdk/package.json" ] || [ ! -d "$work/node_modules/ws" ]; then
  (cd "$work" && npm install --no-audit --no-fund --silent wukongimjssdk@1.0.4 ws >/dev/null)
fi
export WKIT_NODE_MODULES="$work/node_modules"

tmp=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  [ -n "${recv_pid:-}" ] && kill "$recv_pid" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

"$wkit" serve --listen ws://127.0.0.1:0 --in-memory --events "$tmp/events.jsonl" >"$tmp/serve.out" 2>"$tmp/serve.err" &
server_pid=$!
for _ in $(seq 1 200); do
  grep -q '^listening ws://' "$tmp/serve.out" 2>/dev/null && break
  sleep 0.05
done
url=$(sed -n 's/^listening \(ws:\/\/.*\)$/\1/p' "$tmp/serve.out" | head -1)
[ -n "$url" ] || { echo "wkit serve did not start: $(cat "$tmp/serve.err")" >&2; exit 1; }

cd "$here"
node --import ./register.mjs peer.mjs recv "$url" u2 u1 >"$tmp/recv.out" 2>"$tmp/recv.err" &
recv_pid=$!
for _ in $(seq 1 200); do
  grep -q '"ready"' "$tmp/recv.out" 2>/dev/null && break
  sleep 0.05
done
grep -q '"ready"' "$tmp/recv.out" || { echo "receiver did not connect: $(cat "$tmp/recv.out" "$tmp/recv.err")" >&2; exit 1; }

node --import ./register.mjs peer.mjs send "$url" u1 u2 "$count" >"$tmp/send.out" 2>"$tmp/send.err" || {
  echo "sender failed: $(cat "$tmp/send.out" "$tmp/send.err")" >&2; exit 1; }
wait "$recv_pid" || { echo "receiver failed: $(cat "$tmp/recv.out" "$tmp/recv.err")" >&2; exit 1; }
recv_pid=""

send_summary=$(grep '"sent"' "$tmp/send.out")
recv_summary=$(grep '"received"' "$tmp/recv.out")
echo "sender:   $send_summary"
echo "receiver: $recv_summary"
node -e '
const s = JSON.parse(process.argv[1]), r = JSON.parse(process.argv[2]), n = Number(process.argv[3]);
const bad = [];
if (s.sendacks !== n || s.success !== n) bad.push(`SENDACKs ${s.success}/${s.sendacks} successful of ${n}`);
if (r.received !== n) bad.push(`received ${r.received} of ${n}`);
if (r.unique !== n || r.unique_ids !== n || r.duplicates !== 0) bad.push(`not exactly once: ${JSON.stringify(r)}`);
if (bad.length) { console.error("interop FAILED: " + bad.join("; ")); process.exit(1); }
console.log(`interop ok: ${n} messages, all acked, each received once`);
' "$send_summary" "$recv_summary" "$count"
# The server saw the SDK's RECVACKs (it verified the msg_key, else no ack).
acks=$(grep -c '"event":"recvack"' "$tmp/events.jsonl" || true)
[ "$acks" -ge "$count" ] || { echo "interop FAILED: server saw only $acks RECVACKs" >&2; exit 1; }
echo "server saw $acks RECVACKs"
