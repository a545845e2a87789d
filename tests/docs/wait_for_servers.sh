# Sourced by the doc-example blocks (run_doc_examples.sh): `__wait_bg PID`
# after a background `wkit serve ... &` or `wkit proxy ... &` waits (at most
# 10 s) until that server listens. The `wkit` shim (wkit_shim.sh) writes
# $WKIT_DOC_STATE/bg.PID at start: lines "file READY_FILE" (serve) or
# "port N" (proxy: its listening socket appears in /proc/net/tcp; no probe
# connection, which a capture would record).
__listening_on() {
  local hex
  hex=$(printf ':%04X' "$1")
  awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' /proc/net/tcp
}

__wait_bg() {
  local d="$WKIT_DOC_STATE/bg.$1" kind target i
  for i in $(seq 250); do [[ -e $d ]] && break; sleep 0.02; done
  [[ -e $d ]] || return 0
  while read -r kind target; do
    for i in $(seq 500); do
      if [[ $kind == file ]]; then [[ -s $target ]] && break
      else __listening_on "$target" && break; fi
      kill -0 "$1" 2>/dev/null || return 0   # it ended: the next line will say why
      sleep 0.02
    done
  done < "$d"
}
