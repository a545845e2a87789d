#!/usr/bin/env bash
# `wkit` as the doc examples see it (tests/docs/run_doc_examples.sh): the real
# binary, plus what a person pasting line by line gets for free.
# - `wkit serve` without --listen listens on the block's ports instead of the
#   fixed defaults 5100/5200 (the runner rewrote the documented addresses).
# - `wkit serve` and `wkit proxy` say how to tell that they listen
#   ($WKIT_DOC_STATE/bg.PID, read by __wait_bg in wait_for_servers.sh).
set -u
state=${WKIT_DOC_STATE:?}
case "${1:-}" in
  serve)
    args=("$@")
    has_listen=0 ready=""
    prev=""
    for a in "$@"; do
      [[ $a == --listen || $a == --listen=* ]] && has_listen=1
      [[ $prev == --ready-file ]] && ready=$a
      [[ $a == --ready-file=* ]] && ready=${a#--ready-file=}
      prev=$a
    done
    ((has_listen)) || args+=(--listen "tcp://127.0.0.1:$P_TCP" --listen "ws://127.0.0.1:$P_WS")
    if [[ -z $ready ]]; then
      ready="$state/ready.$$"
      args+=(--ready-file "$ready")
    fi
    [[ $ready == /* ]] || ready="$PWD/$ready"
    echo "file $ready" > "$state/bg.$$.tmp" && mv "$state/bg.$$.tmp" "$state/bg.$$"
    exec "$WKIT_DOC_REAL" "${args[@]}"
    ;;
  proxy)
    prev=""
    for a in "$@"; do
      if [[ $prev == --listen ]]; then
        port=${a##*:}
        echo "port ${port%%/*}"
      fi
      prev=$a
    done > "$state/bg.$$.tmp" && mv "$state/bg.$$.tmp" "$state/bg.$$"
    exec "$WKIT_DOC_REAL" "$@"
    ;;
  *)
    exec "$WKIT_DOC_REAL" "$@"
    ;;
esac
