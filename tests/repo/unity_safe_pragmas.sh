#!/usr/bin/env bash
# A source file with `#pragma GCC target(...)` changes how everything after
# it in its translation unit is compiled. In a unity build (what the README's
# commands make) the files after it in its batch would be built for that
# target too, and crash on CPUs without it. Fails unless every such file is
# kept out of the batches (SKIP_UNITY_BUILD_INCLUSION in lib/CMakeLists.txt).
set -euo pipefail
src=${1:-$(dirname "$0")/../..}
cd "$src"
status=0
while IFS= read -r file; do
  rel=${file#lib/}
  if ! grep -Eq "set_source_files_properties\(.*${rel}.*SKIP_UNITY_BUILD_INCLUSION ON" lib/CMakeLists.txt; then
    echo "FAIL: $file has '#pragma GCC target' but is not kept out of unity batches (lib/CMakeLists.txt: SKIP_UNITY_BUILD_INCLUSION)" >&2
    status=1
  fi
done < <(grep -rl --include='*.cpp' -E '^[[:space:]]*#[[:space:]]*pragma[[:space:]]+GCC[[:space:]]+target' lib cli || true)
[ "$status" = 0 ] && echo "ok: every file with a target pragma compiles on its own"
exit "$status"
