#!/usr/bin/env bash
# Time an incremental history scan (one new commit on a warm cache) on a
# repository made by scripts/gen-history.sh, against a full scan and
# against `git cat-file --batch-all-objects --batch` on the same objects.
#   scripts/bench-incremental.sh REPO [COMMITS]
# COMMITS (default 20) is how many one-commit scans the Go benchmark
# (leaks BenchmarkScanIncremental) times; it commits in a `git clone
# --shared` of REPO, so REPO itself is left as it is. The bar (issue 17):
# <= 100 ms per incremental scan.
set -euo pipefail
repo=$(cd "${1:?usage: bench-incremental.sh REPO [COMMITS]}" && pwd)
commits=${2:-20}
here=$(cd "$(dirname "$0")/.." && pwd)

echo "commits: $(git -C "$repo" rev-list --all --count)" >&2
TIMEFORMAT='%R'
catfile=$( { time git -C "$repo" cat-file --batch-all-objects --batch >/dev/null; } 2>&1 )
out=$(cd "$here" && KEYWARDEN_BENCH_REPO="$repo" go test -count=1 ./leaks -run '^$' \
  -bench '^BenchmarkScanIncremental$' -benchtime="${commits}x")
echo "$out" | grep Benchmark >&2
line=$(echo "$out" | grep '^BenchmarkScanIncremental')
# BenchmarkScanIncremental-2  20  67240754 ns/op  11.54 full-scan-s  175772 objects  3.000 objects-read/op
incr=$(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "ns/op") print $i / 1e9}')
full=$(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "full-scan-s") print $i}')
read=$(echo "$line" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "objects-read/op") print $i}')
printf 'git cat-file --batch-all-objects --batch   %8.3fs\n' "$catfile"
printf 'full scan (warm-up, fills the cache)       %8.3fs\n' "$full"
printf 'incremental scan after one commit          %8.3fs (mean of %s; %s objects read each; bar: <= 0.100s)\n' "$incr" "$commits" "$read"
printf 'ratio incremental / full: %.4f; incremental / cat-file --batch: %.4f; full / cat-file --batch: %.2f\n' \
  "$(echo "$incr / $full" | bc -l)" "$(echo "$incr / $catfile" | bc -l)" "$(echo "$full / $catfile" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
