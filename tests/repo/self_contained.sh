#!/usr/bin/env bash
# The repository must be complete on its own: a user's clone has nothing
# beside it. Fails if any tracked file refers to the development-only
# reference folder that sits next to the checkout.
set -euo pipefail
src=${1:-$(dirname "$0")/../..}
cd "$src"
# Built from parts so that this script does not match itself.
parent='\.\.'
folder='shared'
pattern="${parent}/${folder}([/\"' )]|\$)"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  hits=$(git grep -n -I -E -e "$pattern" -- . || true)
else
  hits=$(grep -rn -I -E -e "$pattern" --exclude-dir='build*' --exclude-dir=node_modules . || true)
fi
if [ -n "$hits" ]; then
  echo "FAIL: tracked files refer to the reference folder outside the repository:" >&2
  echo "$hits" >&2
  exit 1
fi
echo "ok: no tracked file refers outside the repository"
