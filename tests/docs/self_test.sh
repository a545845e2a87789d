#!/usr/bin/env bash
# The doc-example runner fails where it must: a page with one good block and
# one bad block of each kind; every bad one is named by page:line, the good
# ones pass.
#   self_test.sh WKIT_BINARY
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=$(mktemp -d "${TMPDIR:-/tmp}/wkit-docs-self.XXXXXX")
trap 'rm -rf "$src"' EXIT
mkdir -p "$src/docs"
printf '# empty\n' > "$src/README.md"
f='```'
cat > "$src/docs/x.md" <<PAGE
$f sh
wkit send -u alice --to bob --text hi   # => ^result:.idempotent
$f

$f sh
wkit send -u alice --to bob --text hi -o yaml
$f

$f sh
wkit send -u alice --to bob --text hi   # exit 1: wrong, it exits 0
$f

$f sh
wkit send -u alice --to bob --text hi   # => nothing-like-this
$f

$f
untagged
$f

$f sh illustrative
wkit send -s tcp://nowhere.example:5100 -u alice --to bob
$f

$f sh
wkit serve --in-memory --dedup off --fault drop:sendack:nth=1 &
wkit send -u alice --to bob --text hi --retries 1 --ack-timeout 1s   # exit 1: unverified
$f
PAGE
out=$(WKIT_DOC_BLOCK_TIMEOUT=20 bash "$here/run_doc_examples.sh" "$1" "$src" 2>&1)
rc=$?
status=0
expect() { grep -qE -- "$1" <<<"$out" || { echo "self_test: expected a line matching '$1'"; status=1; }; }
[[ $rc -ne 0 ]] || { echo "self_test: the runner passed a page with bad blocks"; status=1; }
expect '^ok   docs/x.md:1 '
expect '^FAIL docs/x.md:5: exit 2'
expect '^FAIL docs/x.md:9: exit 1'
expect 'doc example line 1: exit 0, the doc says exit 1'
expect "^FAIL docs/x.md:13: no output line matches 'nothing-like-this'"
expect '^FAIL docs/x.md:17: code block without a language'
expect '^ok   docs/x.md:25 '
expect '1 marked illustrative, 4 failure\(s\)'
((status == 0)) || printf '%s\n' "$out"
exit $status
