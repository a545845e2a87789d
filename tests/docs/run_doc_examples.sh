#!/usr/bin/env bash
# Docs that run: every ```sh block of README.md and docs/*.md is executed
# against real `wkit serve` processes; see "Docs that run" in docs/building.md.
#
#   run_doc_examples.sh WKIT_BINARY SOURCE_DIR [FILE[:LINE]]...
#
# Without FILE arguments it checks every page; FILE:LINE runs that page's
# blocks up to the one whose fence is on LINE. Exit 0 when every block passed.
set -u
wkit_real=$(readlink -f "$1")
src=$(readlink -f "$2")
shift 2
here=$(cd "$(dirname "$0")" && pwd)
block_timeout=${WKIT_DOC_BLOCK_TIMEOUT:-30}

for tool in jq curl sqlite3 zstd timeout; do
  command -v "$tool" >/dev/null || { echo "run_doc_examples: '$tool' is needed by the examples and not installed" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/wkit-docs.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
# A copy: the run takes ~40 s, and a rebuild of the shared build tree meanwhile
# would swap (or half-write) the binary under the examples.
cp "$wkit_real" "$work/wkit-under-test" || exit 1
wkit_real="$work/wkit-under-test"
cp "$here/wkit_shim.sh" "$work/bin/wkit"
cp "$here/wait_for_servers.sh" "$work/bin/"
chmod +x "$work/bin/wkit"
export WKIT_DOC_REAL="$wkit_real"

# The pages, and optionally only one block of one page.
declare -a pages=()
declare -A only_line=()
if (($# == 0)); then
  pages=("$src/README.md" "$src"/docs/*.md)
else
  for a in "$@"; do
    f=${a%%:*}
    [[ $a == *:* ]] && only_line[$src/$f]=${a#*:}
    pages+=("$src/$f")
  done
fi

failures=0 ran=0 illustrative=0

fail() { echo "FAIL $1: $2" >&2; failures=$((failures + 1)); }

# Lint: every fence names its kind, so no shell example is silently skipped.
for page in "${pages[@]}"; do
  rel=${page#"$src"/}
  awk -v rel="$rel" '
    /^[ \t]*```/ {
      if (!open) { open = 1; info = $0; sub(/^[ \t]*```/, "", info)
                   if (info ~ /^[ \t]*$/) printf "%s:%d: code block without a language (sh, sh illustrative, text, json...)\n", rel, NR }
      else if ($0 ~ /^[ \t]*```[ \t]*$/) open = 0
    }' "$page"
done > "$work/lint.txt"
while IFS= read -r l; do fail "${l%%: *}" "${l#*: }"; done < "$work/lint.txt"

# Six free loopback ports: a throw-away server binds port 0 and says which.
free_ports() {
  local ready="$work/ports.json" args=() i
  rm -f "$ready"
  for i in 1 2 3 4 5 6; do args+=(--listen "tcp://127.0.0.1:0"); done
  "$wkit_real" serve --in-memory "${args[@]}" --ready-file "$ready" >"$work/ports.log" 2>&1 &
  local pid=$!
  wait_ready "$ready" || { cat "$work/ports.log" >&2; kill "$pid"; return; }
  jq -r '.listening[] | sub(".*:"; "")' "$ready"
  kill "$pid"; wait "$pid" 2>/dev/null
}

wait_ready() {  # FILE: until it exists, at most 10 s
  local i
  for i in $(seq 500); do [[ -s $1 ]] && return 0; sleep 0.02; done
  return 1
}

# The documented addresses, rewritten to the block's own ports.
rewrite_ports() {
  sed -E -e "s/(127\.0\.0\.1|localhost|0\.0\.0\.0):5100\b/\1:$P_TCP/g" \
         -e "s/(127\.0\.0\.1|localhost|0\.0\.0\.0):5200\b/\1:$P_WS/g" \
         -e "s/(127\.0\.0\.1|localhost|0\.0\.0\.0):5001\b/\1:$P_HTTP/g" \
         -e "s/(127\.0\.0\.1|localhost|0\.0\.0\.0):5110\b/\1:$P_PROXY/g" \
         -e "s/(127\.0\.0\.1|localhost|0\.0\.0\.0):5201\b/\1:$P_WSS/g" \
         -e "s/(127\.0\.0\.1|localhost|0\.0\.0\.0):5210\b/\1:$P_PROXY_WSS/g"
}

# The block as a script: `cmd   # exit N ...` becomes a check that cmd exits
# with N (the block runs under `set -e`, so an undocumented failure stops it);
# a background `wkit serve|proxy ... &` is followed by a wait until it listens.
transform() {
  awk '
    function code(s) { sub(/[ \t]#.*$/, "", s); sub(/[ \t]+$/, "", s); return s }
    {
      if (!cont) first = $0
      cont = ($0 ~ /\\$/)
      if (!cont && match($0, /[ \t]+#[ \t]*exit [0-9]+([^0-9].*)?$/)) {
        cmd = substr($0, 1, RSTART - 1); rest = substr($0, RSTART)
        n = rest; sub(/^[ \t]+#[ \t]*exit /, "", n); sub(/[^0-9].*$/, "", n)
        printf "%s && __rc=0 || __rc=$?; __expect_exit %s $__rc %d\n", cmd, n, NR
        next
      }
      print
      if (!cont && code($0) ~ /[^&]&([ \t]+[A-Za-z_][A-Za-z_0-9]*=\$!)?$/ && first ~ /^[ \t]*wkit (serve|proxy)( |$)/) print "__wait_bg $!"
    }'
}

run_block() {  # PAGE FENCE_LINE BODY_FILE PAGE_DIR
  local page=$1 line=$2 body=$3 dir=$4 rel=${1#"$src"/}
  local state="$work/state.$line" out="$work/out.txt" script="$work/block.sh"
  rm -rf "$state"; mkdir -p "$state"
  read -r P_TCP P_WS P_HTTP P_PROXY P_WSS P_PROXY_WSS < <(free_ports | tr '\n' ' ')
  if [[ -z ${P_PROXY_WSS:-} ]]; then fail "$rel:$line" "could not get free ports"; return; fi
  export P_TCP P_WS P_HTTP P_PROXY P_WSS P_PROXY_WSS WKIT_DOC_STATE="$state"
  export WKIT_SERVER="tcp://127.0.0.1:$P_TCP"

  # A block that starts no server of its own talks to this one, listening
  # where the docs say a default server listens.
  local server_pid=""
  if ! grep -qE '(^|[^-[:alnum:]])wkit serve( |$)' "$body"; then
    "$wkit_real" serve --in-memory --listen "tcp://127.0.0.1:$P_TCP" --listen "ws://127.0.0.1:$P_WS" \
      --listen "http://127.0.0.1:$P_HTTP" --ready-file "$state/server.ready" >"$state/server.log" 2>&1 &
    server_pid=$!
    wait_ready "$state/server.ready" || { fail "$rel:$line" "the test server did not start: $(cat "$state/server.log")"; return; }
  fi

  {
    echo 'set -e'
    echo "source '$work/bin/wait_for_servers.sh'"
    echo '__expect_exit() { [ "$2" -eq "$1" ] || { echo "doc example line $3: exit $2, the doc says exit $1" >&2; exit 1; }; }'
    rewrite_ports < "$body" | transform
  } > "$script"

  local started=$SECONDS rc
  ( cd "$dir" && PATH="$work/bin:$PATH" exec timeout -k 3 "$block_timeout" bash "$script" ) >"$out" 2>&1 &
  local tpid=$!
  wait "$tpid"; rc=$?
  # `timeout` leads a process group of its own: end what the block left running.
  kill -TERM -- "-$tpid" 2>/dev/null
  [[ -n $server_pid ]] && { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; }
  ran=$((ran + 1))

  local why=""
  if ((rc == 124)); then why="timed out after ${block_timeout}s"
  elif ((rc != 0)); then why="exit $rc"
  else
    # `# => PATTERN ...`: some line of the block's output matches PATTERN (an
    # ERE without spaces; the rest of the comment is for the reader).
    local pat
    while IFS= read -r pat; do
      grep -qE -- "$pat" "$out" || why="${why:+$why; }no output line matches '$pat'"
    done < <(sed -nE 's/(^|.*[ \t])#[ \t]*=>[ \t]*([^ \t]+).*$/\2/p' "$body")
  fi
  if [[ -n $why ]]; then
    fail "$rel:$line" "$why; the block ran as:"
    sed 's/^/    | /' "$script" | tail -n +4 | grep -v "^    | __wait_bg " >&2
    echo "  its output (last 30 lines):" >&2
    tail -n 30 "$out" | sed 's/^/    > /' >&2
  else
    echo "ok   $rel:$line ($((SECONDS - started))s)"
  fi
}

for page in "${pages[@]}"; do
  rel=${page#"$src"/}
  dir="$work/pages/$(basename "$page" .md)"
  mkdir -p "$dir"
  # The files examples read (dump.csv, export.jsonl.zst, app.db, ...), made
  # the way a user would have them.
  awk '/^[ \t]*```/ { if (!open) { open = 1; run = ($0 ~ /^[ \t]*```[ \t]*sh[ \t]*$/); next }
                      if ($0 ~ /^[ \t]*```[ \t]*$/) { open = 0; next } }
       open && run' "$page" > "$work/run.sh"
  # A page whose blocks write a file of a fixture's name (`--capture incident.wkcap`,
  # `> audit.json`, `--out x`) starts without that fixture, as its reader does.
  for fx in "$here"/fixtures/*; do
    name=$(basename "$fx")
    grep -qE -- "(--capture|--out|>)[ ]+${name//./\\.}( |$)" "$work/run.sh" || cp "$fx" "$dir/"
  done
  (cd "$dir" && for f in *.sql; do [[ -e $f ]] && sqlite3 "${f%.sql}.db" < "$f" && rm "$f"; done
   for f in *.jsonl; do zstd -q -f "$f" -o "$f.zst"; done
   [[ ! -e export.jsonl.zst ]] || cp export.jsonl.zst export-2026-11-30.jsonl.zst) || { fail "$rel" "fixtures"; continue; }

  # Blocks: fence line, info string, body (the fence's indentation removed).
  idx=0
  while IFS=$'\t' read -r line info; do
    idx=$((idx + 1))
    body="$work/body.$idx"
    if [[ $info == "sh illustrative"* ]]; then illustrative=$((illustrative + 1)); continue; fi
    [[ $info == sh ]] || continue
    # FILE:LINE: the page's blocks up to that one (earlier ones may set it up).
    [[ -n ${only_line[$page]:-} ]] && ((line > only_line[$page])) && continue
    awk -v from="$line" '
      NR == from { match($0, /^[ \t]*/); indent = RLENGTH; next }
      NR > from { if ($0 ~ /^[ \t]*```[ \t]*$/) exit; print substr($0, indent + 1) }' "$page" > "$body"
    run_block "$page" "$line" "$body" "$dir"
  done < <(awk '/^[ \t]*```/ {
      if (!open) { open = 1; info = $0; sub(/^[ \t]*```[ \t]*/, "", info); sub(/[ \t]+$/, "", info); printf "%d\t%s\n", NR, info }
      else if ($0 ~ /^[ \t]*```[ \t]*$/) open = 0 }' "$page")
done

echo "doc examples: $ran run, $illustrative marked illustrative, $failures failure(s)"
((failures == 0))
