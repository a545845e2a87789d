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
# One check per kind of flag value, in each shell's script: a path offers
# file names, a duration, size or rate offers none (even when its name holds
# "out", as in --connect-timeout), an enum offers exactly its values.
zsh_fn() {  # zsh_fn "wkit send" -> the body of _wkit_send
  local fn="_${1// /_}"; fn=${fn//-/_}
  sed -n "/^${fn}() {/,/^}/p" "$src/completions/_wkit"
}
fish_line() {  # fish_line "wkit send" --ack-timeout (or -o)
  local name
  case $2 in --*) name=" -l ${2#--} " ;; *) name=" -s ${2#-} " ;; esac
  grep -F "(__wkit_path) = '$1'\"" "$src/completions/wkit.fish" | grep -F -- "$name" || true
}
zsh_line() {  # zsh_line "wkit send" --ack-timeout: its spec in _wkit_send
  local body
  body=$(zsh_fn "$1")  # whole, so that no grep -q cuts the pipe short (pipefail)
  grep -F -- "'$2[" <<<"$body" || true
}
files=$(mktemp -d)
touch "$files/probe.txt"
in_dir() { (cd "$files" && complete_words "$@"); }
expect_files() {  # expect_files "wkit CMD" --flag
  local cmd=$1 flag=$2 got
  # shellcheck disable=SC2086
  got=$(in_dir $cmd "$flag" "")
  echo "$got" | grep -qx "probe.txt" || { echo "FAIL: bash '$cmd $flag <TAB>' gave '$got' (expected file names)" >&2; fail=1; }
  [ -n "$(zsh_line "$cmd" "$flag")" ] || { echo "FAIL: zsh has no $flag for '$cmd'" >&2; fail=1; }
  zsh_line "$cmd" "$flag" | grep -q ":_files'$" || { echo "FAIL: zsh '$cmd $flag' offers no files" >&2; fail=1; }
  fish_line "$cmd" "$flag" | grep -q -- " -r -F " || { echo "FAIL: fish '$cmd $flag' offers no files" >&2; fail=1; }
}
expect_no_files() {  # expect_no_files "wkit CMD" --flag   (durations, sizes, rates)
  local cmd=$1 flag=$2 got
  # shellcheck disable=SC2086
  got=$(in_dir $cmd "$flag" "")
  [ -z "$got" ] || { echo "FAIL: bash '$cmd $flag <TAB>' gave '$got' (expected nothing)" >&2; fail=1; }
  [ -n "$(zsh_line "$cmd" "$flag")" ] || { echo "FAIL: zsh has no $flag for '$cmd'" >&2; fail=1; }
  zsh_line "$cmd" "$flag" | grep -q "_files" && { echo "FAIL: zsh '$cmd $flag' offers files" >&2; fail=1; }
  [ -n "$(fish_line "$cmd" "$flag")" ] || { echo "FAIL: fish has no $flag for '$cmd'" >&2; fail=1; }
  fish_line "$cmd" "$flag" | grep -q -- " -F " && { echo "FAIL: fish '$cmd $flag' offers files" >&2; fail=1; }
  true
}
expect_values() {  # expect_values "wkit CMD" --flag "v1 v2 ..." (in the order the CLI lists them)
  local cmd=$1 flag=$2 values=$3 got
  # shellcheck disable=SC2086
  got=$(in_dir $cmd "$flag" "" | tr '\n' ' ')
  [ "$got" = "$values " ] || { echo "FAIL: bash '$cmd $flag <TAB>' gave '$got' (expected '$values')" >&2; fail=1; }
  zsh_line "$cmd" "$flag" | grep -qF ":($values)'" || { echo "FAIL: zsh '$cmd $flag' does not offer ($values)" >&2; fail=1; }
  fish_line "$cmd" "$flag" | grep -qF -- " -r -a '$values' " || { echo "FAIL: fish '$cmd $flag' does not offer '$values'" >&2; fail=1; }
}
# Paths: output and input files, directories.
for flag in --hist-out --payload-file --users-file --ca-file; do expect_files "wkit send" $flag; done
expect_files "wkit send merge-hist" --out
expect_files "wkit capture import" --out
expect_files "wkit proxy" --capture
expect_files "wkit proxy" --events
expect_files "wkit replay" --tokens
expect_files "wkit serve" --tokens
expect_files "wkit serve" --ready-file
expect_files "wkit serve" --data
expect_files "wkit audit" --temp-dir
expect_files "wkit demo" --keep
# Durations, sizes, rates: typed, never a file name.
for flag in --connect-timeout --ack-timeout --retry-interval --reconnect-budget --duration --ramp-up \
            --late-tolerance --verify-wait --rate --payload-size; do
  expect_no_files "wkit send" $flag
done
expect_no_files "wkit recv" --timeout
expect_no_files "wkit recv" --dedup-window
expect_no_files "wkit replay" --ack-timeout
expect_no_files "wkit replay" --connect-timeout
expect_no_files "wkit proxy" --upstream-timeout
for flag in --idle-timeout --handshake-timeout --write-timeout --redeliver-interval --max-outbound; do
  expect_no_files "wkit serve" $flag
done
expect_no_files "wkit audit" --window
expect_no_files "wkit audit" --memory-limit
# Enums: exactly their values.
expect_values "wkit send" --output "text json jsonl"
expect_values "wkit send" -o "text json jsonl"
expect_values "wkit send" --retry-mode "forced on-timeout"
expect_values "wkit capture import" -o "text json"
expect_values "wkit capture info" -o "text json"
expect_values "wkit proxy" -o "text json"
expect_values "wkit serve" --dedup "on off"
expect_values "wkit audit" --scope "sender channel global"
# The deprecated spelling stays out of the scripts.
grep -q -- "--upstream-timeout-ms" "$src/completions/wkit.bash" "$src/completions/_wkit" "$src/completions/wkit.fish" &&
  { echo "FAIL: the completion scripts offer the deprecated --upstream-timeout-ms" >&2; fail=1; }
rm -rf "$files"
[ $fail = 0 ] && echo "completions: ok"
exit $fail
