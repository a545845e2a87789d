#!/usr/bin/env bash
# Regenerates completions/ and docs/wkit.1 from the built binary's command tree.
# Usage: scripts/gen-completions.sh [path/to/wkit]
set -euo pipefail
cd "$(dirname "$0")/.."
wkit=${1:-build/cli/wkit}
"$wkit" completion bash > completions/wkit.bash
"$wkit" completion zsh > completions/_wkit
"$wkit" completion fish > completions/wkit.fish
"$wkit" manpage > docs/wkit.1
echo "regenerated completions/ and docs/wkit.1 from $wkit" >&2
