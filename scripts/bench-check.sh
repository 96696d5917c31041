#!/usr/bin/env bash
# Performance bar for `keywarden check` (SPEC "Performance bars"): three
# profiles on fake exchanges, every endpoint delayed 250 ms; the wall time
# must stay within 650 ms. Prints the wall time per run and, beside it, the
# sum of the checks' own durations (the cost of running them one by one).
#   scripts/bench-check.sh [RUNS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
out=$(go test -run '^$' -bench '^BenchmarkCheck3Profiles250ms$' -benchtime "${runs}x" -count 1 ./checks/)
line=$(grep '^BenchmarkCheck3Profiles250ms' <<<"$out") || { echo "$out"; exit 1; }
wall=$(awk '{for (i=1;i<=NF;i++) if ($i=="wall-ms/op") print $(i-1)}' <<<"$line")
seq=$(awk '{for (i=1;i<=NF;i++) if ($i=="sequential-ms/op") print $(i-1)}' <<<"$line")
trips=$(awk '{for (i=1;i<=NF;i++) if ($i=="round-trips/op") print $(i-1)}' <<<"$line")
echo "check, 3 profiles, endpoints delayed 250 ms, ${runs} runs:"
echo "  wall       ${wall} ms per run (bar: <= 650 ms)"
echo "  sequential ${seq} ms per run (sum of the checks' durations)"
echo "  ${trips} delayed round trips per run (one by one: $(awk -v t="$trips" 'BEGIN{print t*250}') ms)"
awk -v w="$wall" 'BEGIN { exit !(w <= 650) }' || { echo "FAIL: wall time above 650 ms" >&2; exit 1; }
