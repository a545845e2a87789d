#!/usr/bin/env bash
# wkit audit vs DuckDB on every store shape (issue 18 items 1 and 2). Not part of CI.
#
#   tests/bench/audit/shapes.sh BUILD_DIR [ROWS] [WORK_DIR]
#     BUILD_DIR  a build with the `wkit` and `wkit_audit_gen` targets
#     ROWS       base messages per input (default 2000000)
#     WORK_DIR   scratch space outside the repo (default /tmp/wkit-audit-shapes);
#                inputs are generated once and cached there, DuckDB is
#                npm-installed there (or in NODE_DIR) unless already present
#   SHAPES="few-large person zipf many-senders csv sqlite" picks the inputs.
#
# Each input: `wkit audit -o json --threads 2 --check-gaps` and DuckDB (npm
# @duckdb/node-api, 2 threads) loading the same file and running the SQL of
# `wkit audit sql --dialect duckdb --check-gaps --summary` (all seven findings).
# Both summaries must equal the generator's truth, or the script fails.
# "DuckDB 2q" is also shown: duckdb_compare.sh's method (five columns into a
# table, the two GROUP BY queries of duplicate_client_msg_no and
# message_id_collision), the basis of the ratio issue 18 quotes.
# --channels 2000: the groups of few-large, person and many-senders (zipf sizes
# its own channels). csv and sqlite are the person shape as CSV and as an Android SDK store;
# DuckDB reads SQLite only through its sqlite extension, downloaded on first
# use: offline that row shows n/a on the DuckDB side.
set -euo pipefail
BUILD=${1:?usage: shapes.sh BUILD_DIR [ROWS] [WORK_DIR]}
ROWS=${2:-2000000}
WORK=${3:-/tmp/wkit-audit-shapes}
WKIT=${WKIT:-$BUILD/cli/wkit}
GEN=${GEN:-$BUILD/tests/wkit_audit_gen}
NODE_DIR=${NODE_DIR:-$WORK}
SHAPES=${SHAPES:-few-large person zipf many-senders csv sqlite}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$WORK"
case "$(realpath "$WORK")" in "$(realpath "$HERE/../../..")"*) echo "WORK_DIR must be outside the repo" >&2; exit 2;; esac

if [ ! -d "$NODE_DIR/node_modules/@duckdb/node-api" ]; then
  (cd "$NODE_DIR" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --silent @duckdb/node-api >/dev/null)
fi

"$WKIT" audit sql --dialect duckdb --check-gaps --summary --out "$WORK/summary.sql"
cat > "$WORK/two.sql" <<'SQL'
SELECT 'duplicate_client_msg_no' AS finding, (SELECT count(*) FROM (SELECT 1 FROM message WHERE client_msg_no IS NOT NULL
  AND client_msg_no <> '' AND message_id IS NOT NULL GROUP BY channel_id, channel_type, from_uid, client_msg_no
  HAVING count(DISTINCT message_id) > 1)) AS count
UNION ALL
SELECT 'message_id_collision', (SELECT count(*) FROM (SELECT 1 FROM message WHERE message_id IS NOT NULL GROUP BY message_id
  HAVING count(DISTINCT (channel_id, channel_type, client_msg_no)) > 1))
SQL

# Every measured run starts with its input in the page cache: this machine's
# kernel reclaims cold pages proactively (DAMON), so without this the first
# tool on a shape (wkit) read ~370 MB from disk and the next ones did not.
warm() { cat "$1" > /dev/null; }
measure() { /usr/bin/time -v -o "$WORK/$1.time" "${@:2}"; }  # measure NAME CMD...
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/$1.time"; }
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$WORK/$1.time"; }
# user + system CPU seconds: steadier than wall time on shared cores.
cpu() { awk -F': ' '/User time|System time/ {s+=$2} END {printf "%.2f", s}' "$WORK/$1.time"; }

ROWS_OUT=$WORK/rows-$ROWS.md
{
  echo "| input | rows | distinct channels | wkit wall s | wkit CPU s | wkit peak RSS MiB | DuckDB wall s | DuckDB CPU s | DuckDB peak RSS MiB | wall ratio | CPU ratio | DuckDB 2q wall s | DuckDB 2q CPU s | wall ratio vs 2q | RSS <= 256 MiB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$ROWS_OUT"

for input in $SHAPES; do
  case $input in
    csv) fmt=csv; shape=person; ext=csv ;;
    sqlite) fmt=sqlite_android; shape=person; ext=db ;;
    *) fmt=jsonl; shape=$input; ext=jsonl ;;
  esac
  data=$WORK/$input-$ROWS.$ext
  if [ ! -s "$data" ] || [ ! -s "$data.truth.json" ]; then
    # ~420 bytes a JSON row (an 80-byte payload, base64), as in duckdb_compare.sh.
    nice -n 5 "$GEN" "$fmt" "$data" --rows "$ROWS" --shape "$shape" --channels 2000 --payload-bytes 80 --plants 200 --malformed 0 \
      > "$data.truth.json"
  fi
  sync
  warm "$data"
  measure "$input-wkit" nice -n 5 "$WKIT" audit -o json --fail-on none --no-progress --threads 2 --check-gaps "$data" \
    > "$WORK/$input-wkit.json"
  duck=ok
  warm "$data"
  if ! measure "$input-duckdb" nice -n 5 node "$HERE/shapes_duckdb.mjs" "$NODE_DIR" "$fmt" "$data" "$WORK/summary.sql" \
      > "$WORK/$input-duckdb.out" 2> "$WORK/$input-duckdb.err"; then
    if [ "$fmt" = sqlite_android ] && grep -q "sqlite" "$WORK/$input-duckdb.err"; then duck=na
    else cat "$WORK/$input-duckdb.err" >&2; echo "$input: DuckDB failed" >&2; exit 1; fi
  fi
  if [ $duck = ok ]; then
    warm "$data"
    measure "$input-duck2" nice -n 5 node "$HERE/shapes_duckdb.mjs" "$NODE_DIR" "$fmt" "$data" "$WORK/two.sql" narrow \
      > "$WORK/$input-duck2.out"
  fi
  python3 - "$WORK" "$input" "$data.truth.json" "$duck" <<'PY'
import json, sys
w, name, truth_file, duck = sys.argv[1:]
truth = json.load(open(truth_file))["summary"]
rep = json.load(open(f"{w}/{name}-wkit.json"))["summary"]
bad = [k for k in truth if rep[k] != truth[k]]
if duck == "ok":
    d = json.load(open(f"{w}/{name}-duckdb.out"))
    bad += [k + " (duckdb)" for k in truth if d.get(k) != truth[k]]
    d2 = json.load(open(f"{w}/{name}-duck2.out"))
    bad += [k + " (duckdb 2q)" for k in d2 if d2[k] != truth[k]]
if bad:
    print(f"{name}: MISMATCH in {bad}\n truth {truth}\n wkit  {rep}", file=sys.stderr)
    if duck == "ok": print(f" duckdb {d}", file=sys.stderr)
    sys.exit(1)
print(f"{name}: wkit{' and DuckDB' if duck == 'ok' else ''} agree with the truth: {truth}", file=sys.stderr)
PY
  rows=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'])" "$data.truth.json")
  chans=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1])).get('channels', 2000))" "$data.truth.json")
  WW=$(wall "$input-wkit"); WC=$(cpu "$input-wkit"); WR=$(rss "$input-wkit")
  ok=$([ "$WR" -le 256 ] && echo met || echo "not met")
  if [ $duck = ok ]; then
    DW=$(wall "$input-duckdb"); DC=$(cpu "$input-duckdb"); DR=$(rss "$input-duckdb")
    ratio=$(python3 -c "print(f'{$WW/$DW:.2f}')"); cratio=$(python3 -c "print(f'{$WC/$DC:.2f}')")
    D2W=$(wall "$input-duck2"); D2C=$(cpu "$input-duck2"); ratio2=$(python3 -c "print(f'{$WW/$D2W:.2f}')")
  else DW=n/a; DC=n/a; DR=n/a; ratio=n/a; cratio=n/a; D2W=n/a; D2C=n/a; ratio2=n/a; fi
  echo "| $input ($(du -h "$data" | cut -f1)) | $rows | $chans | $WW | $WC | $WR | $DW | $DC | $DR | $ratio | $cratio | $D2W | $D2C | $ratio2 | $ok |" | tee -a "$ROWS_OUT"
done
echo
cat "$ROWS_OUT"
