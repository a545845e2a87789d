#!/usr/bin/env bash
# The committed completion files and man page must equal what the binary
# generates now, and the bash completion must actually complete.
set -euo pipefail
wkit=$1 src=$(cd "$2" && pwd)
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
check() {  # check GENERATED_FILE COMMITTED_FILE
  if ! cmp -s "$1" "$2"; then
    echo "FAIL: $2 is stale: run scripts/gen-completions.sh" >&2
    fail=1
  fi
}
"$wkit" completion bash > "$tmp/bash" && check "$tmp/bash" "$src/completions/wkit.bash"
"$wkit" completion zsh > "$tmp/zsh" && check "$tmp/zsh" "$src/completions/_wkit"
"$wkit" completion fish > "$tmp/fish" && check "$tmp/fish" "$src/completions/wkit.fish"
"$wkit" manpage > "$tmp/man" && check "$tmp/man" "$src/docs/wkit.1"

# Drive the bash completion function as bash would on <TAB>.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _wkit; printf "%s\n" "${COMPREPLY[@]}"' _ "$src/completions/wkit.bash" "$@"
}
got=$(complete_words wkit compl)
[ "$got" = "completion" ] || { echo "FAIL: 'wkit compl<TAB>' gave '$got'" >&2; fail=1; }
got=$(complete_words wkit completion "" | sort | tr '\n' ' ')
case "$got" in *"bash fish"*"zsh"*) ;; *) echo "FAIL: 'wkit completion <TAB>' gave '$got'" >&2; fail=1 ;; esac
for sub in $("$wkit" --help | awk '/^Subcommands:/{s=1;next} s&&NF{print $1}'); do
  got=$(complete_words wkit "$sub" --h)
  echo "$got" | grep -qx -- "--help" || { echo "FAIL: 'wkit $sub --h<TAB>' gave '$got'" >&2; fail=1; }
done
# A flag that takes a path completes file names; a duration does not, even
# when its name contains "out" (--connect-timeout, --ack-timeout).
files=$(mktemp -d)
touch "$files/probe.txt"
in_dir() { (cd "$files" && complete_words "$@"); }
for flag in --hist-out --payload-file --users-file; do
  got=$(in_dir wkit send "$flag" "")
  echo "$got" | grep -qx "probe.txt" || { echo "FAIL: 'wkit send $flag <TAB>' gave '$got' (expected file names)" >&2; fail=1; }
done
for flag in --connect-timeout --ack-timeout --retry-interval --reconnect-budget; do
  got=$(in_dir wkit send "$flag" "")
  echo "$got" | grep -qx "probe.txt" && { echo "FAIL: 'wkit send $flag <TAB>' offered file names" >&2; fail=1; }
done
got=$(in_dir wkit serve --handshake-timeout "")
echo "$got" | grep -qx "probe.txt" && { echo "FAIL: 'wkit serve --handshake-timeout <TAB>' offered file names" >&2; fail=1; }
rm -rf "$files"
[ $fail = 0 ] && echo "completions: ok"
exit $fail
