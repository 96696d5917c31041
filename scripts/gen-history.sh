#!/usr/bin/env bash
# Build a synthetic git history for benchmarking `keywarden scan`.
#   scripts/gen-history.sh DIR [COMMITS] [MIB]
# DIR must not exist (use /tmp, never the keywarden work tree). Defaults:
# 30000 commits, 2048 MiB of blob content. The result is repacked like a
# real repository after `git gc` and has branches, tags and a stash.
set -euo pipefail
dir=${1:?usage: gen-history.sh DIR [COMMITS] [MIB]}
commits=${2:-30000}
mib=${3:-2048}
here=$(cd "$(dirname "$0")" && pwd)
[ -e "$dir" ] && { echo "gen-history: $dir exists; pick a new directory" >&2; exit 64; }
git init -q -b main "$dir"
start=$(date +%s)
(cd "$here/.." && go run scripts/gen-history.go -commits "$commits" -mb "$mib") |
  git -C "$dir" fast-import --quiet
echo "gen-history: fast-import done in $(( $(date +%s) - start ))s" >&2
git -C "$dir" -c pack.threads=0 repack -a -d -f -q --window=10 --depth=50
echo "gen-history: repack done in $(( $(date +%s) - start ))s" >&2
git -C "$dir" checkout -q main
echo "local tweak" >>"$dir/README.md"
git -C "$dir" -c user.name=bench -c user.email=bench@example.org stash -q
git -C "$dir" count-objects -vH >&2
