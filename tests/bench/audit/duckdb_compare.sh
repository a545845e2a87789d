#!/usr/bin/env bash
# wkit audit vs DuckDB (npm @duckdb/node-api, read_json) on the same JSON-lines
# export: duplicate_client_msg_no and message_id_collision. Not part of CI.
#
#   tests/bench/audit/duckdb_compare.sh BUILD_DIR [ROWS] [WORK_DIR]
#     BUILD_DIR  a build with the `wkit` and `wkit_audit_gen` targets
#     ROWS       base messages (default 2000000, ~800 MB)
#     WORK_DIR   scratch space outside the repo (default /tmp/wkit-audit-bench);
#                DuckDB is npm-installed there, never in the repo
#   BIG=1 also runs the 20M-row check: --memory-limit 256MiB vs unlimited, same findings.
set -euo pipefail
BUILD=${1:?usage: duckdb_compare.sh BUILD_DIR [ROWS] [WORK_DIR]}
ROWS=${2:-2000000}
WORK=${3:-/tmp/wkit-audit-bench}
WKIT=${WKIT:-$BUILD/cli/wkit}
GEN=${GEN:-$BUILD/tests/wkit_audit_gen}
THREADS=$(nproc)
mkdir -p "$WORK"
case "$(realpath "$WORK")" in "$(realpath "$(dirname "$0")/../../..")"*) echo "WORK_DIR must be outside the repo" >&2; exit 2;; esac

if [ ! -d "$WORK/node_modules/@duckdb/node-api" ]; then
  (cd "$WORK" && npm init -y >/dev/null && npm install --silent @duckdb/node-api >/dev/null)
fi

DATA=$WORK/export-$ROWS.jsonl
if [ ! -s "$DATA" ]; then
  # ~420 bytes a row (an 80-byte payload, base64), like a short text message.
  "$GEN" jsonl "$DATA" --rows "$ROWS" --channels 2000 --payload-bytes 80 --plants 200 --malformed 0 > "$DATA.truth.json"
fi
echo "input: $DATA ($(du -h "$DATA" | cut -f1), $(wc -l < "$DATA") lines), threads $THREADS"

cat > "$WORK/duck.mjs" <<'JS'
import { DuckDBInstance } from '@duckdb/node-api';
const [file, threads] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const c = await db.connect();
const src = `read_json('${file}', format='newline_delimited', columns={message_id:'UBIGINT', client_msg_no:'VARCHAR', message_seq:'UBIGINT', from_uid:'VARCHAR', channel_id:'VARCHAR', channel_type:'INTEGER', timestamp:'BIGINT'})`;
// Both findings from one scan, like wkit does.
await c.run(`CREATE TEMP TABLE m AS SELECT message_id, client_msg_no, from_uid, channel_id, channel_type FROM ${src}`);
const dup = await c.runAndReadAll(`SELECT count(*) FROM (SELECT 1 FROM m WHERE client_msg_no IS NOT NULL AND client_msg_no <> '' AND message_id IS NOT NULL GROUP BY channel_id, channel_type, from_uid, client_msg_no HAVING count(DISTINCT message_id) > 1)`);
const col = await c.runAndReadAll(`SELECT count(*) FROM (SELECT 1 FROM m WHERE message_id IS NOT NULL GROUP BY message_id HAVING count(DISTINCT (channel_id, channel_type, client_msg_no)) > 1)`);
console.log(JSON.stringify({ duplicate_client_msg_no: Number(dup.getRows()[0][0]), message_id_collision: Number(col.getRows()[0][0]) }));
JS

measure() {  # measure NAME CMD... -> prints wall seconds and max RSS KiB to $WORK/NAME.time
  /usr/bin/time -v -o "$WORK/$1.time" "${@:2}"
}
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$1.time"; }
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$1.time"; }
# user + system CPU seconds: less sensitive than wall time to other load on shared cores.
cpu() { awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$WORK/$1.time"; }

sync
# Each run starts with the input in the page cache (the kernel here reclaims
# cold pages proactively, so the first tool to read it would pay for disk).
cat "$DATA" > /dev/null
measure duckdb node "$WORK/duck.mjs" "$DATA" "$THREADS" > "$WORK/duckdb.out"
cat "$DATA" > /dev/null
measure wkit "$WKIT" audit -o json --fail-on none --no-progress --threads "$THREADS" "$DATA" > "$WORK/wkit.json"
python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
duck = json.load(open(f"{w}/duckdb.out"))
rep = json.load(open(f"{w}/wkit.json"))
for k in duck:
    print(f"{k}: wkit {rep['summary'][k]}  duckdb {duck[k]}", "OK" if rep['summary'][k] == duck[k] else "MISMATCH")
    if rep['summary'][k] != duck[k]: sys.exit(1)
PY
DW=$(wall duckdb); WW=$(wall wkit)
DC=$(cpu duckdb); WC=$(cpu wkit)
echo "duckdb: ${DW}s, ${DC} CPU-s, peak RSS $(rss duckdb) MiB"
echo "wkit:   ${WW}s, ${WC} CPU-s, peak RSS $(rss wkit) MiB"
python3 -c "print(f'wkit/duckdb wall time ratio: {$WW/$DW:.2f} (target <= 0.50), CPU time ratio: {$WC/$DC:.2f}')"

if [ "${BIG:-0}" = 1 ]; then
  BIGDATA=$WORK/export-20000000.jsonl
  [ -s "$BIGDATA" ] || "$GEN" jsonl "$BIGDATA" --rows 20000000 --channels 20000 --payload-bytes 80 --plants 2000 --malformed 0 > "$BIGDATA.truth.json"
  measure big-limited "$WKIT" audit -o json --fail-on none --no-progress --check-gaps --memory-limit 256MiB --temp-dir "$WORK" "$BIGDATA" > "$WORK/big-limited.json"
  measure big-unlimited "$WKIT" audit -o json --fail-on none --no-progress --check-gaps --memory-limit 16GiB "$BIGDATA" > "$WORK/big-unlimited.json"
  python3 - "$WORK" <<'PY'
import json, sys
w = sys.argv[1]
a = json.load(open(f"{w}/big-limited.json")); b = json.load(open(f"{w}/big-unlimited.json"))
print("20M limited run spilled:", a["run"]["spilled"], "spill bytes:", a["run"]["spill_bytes"])
a.pop("run"); b.pop("run")
print("20M: --memory-limit 256MiB report == unlimited report:", a == b)
print("summary:", a["summary"])
sys.exit(0 if a == b else 1)
PY
  echo "20M limited:   $(wall big-limited)s, peak RSS $(rss big-limited) MiB"
  echo "20M unlimited: $(wall big-unlimited)s, peak RSS $(rss big-unlimited) MiB"
fi
