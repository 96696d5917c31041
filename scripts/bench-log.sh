#!/usr/bin/env bash
# Compares `keywarden log -n 500` with coreutils `tail -n 500` on a 10 MiB and
# a 1 GiB audit log, in the same run, warm page cache, no stored secrets
# (redaction cost is measured by `go test -bench ParseClassifyRedact ./auditlog`).
# The spec's bar: keywarden ≤ 2 × tail + 20 ms, and flat in file size.
#
#   scripts/bench-log.sh [RUNS]        (default 30 runs per case)
#
# The logs are generated under ${BENCH_DIR:-/tmp/keywarden-bench} (never in
# the repository) and kept for reuse; delete the directory when done.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-30}
dir=${BENCH_DIR:-/tmp/keywarden-bench}
mkdir -p "$dir/config"
go build -o "$dir/keywarden" .
for size in 10M 1G; do
  f="$dir/bot-$size.log"
  [ -s "$f" ] || go run ./scripts/genauditlog -size "$size" -o "$f"
done
# No config: no profiles, so no keystore is opened (a clean, comparable run).
export XDG_CONFIG_HOME="$dir/config" NO_COLOR=1
unset KEYWARDEN_CONFIG

# ms_per_run CMD...: median wall time of $runs runs, in ms (3 decimals).
ms_per_run() {
  local t=()
  for ((i = 0; i < runs; i++)); do
    local s e
    s=$(date +%s%N)
    "$@" >/dev/null
    e=$(date +%s%N)
    t+=($(( (e - s) / 1000 )))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m/1000}'
}

# Same output? (a sanity check that both read the same 500 lines)
for size in 10M 1G; do
  f="$dir/bot-$size.log"
  kl=$("$dir/keywarden" log -n 500 --json "$f" | wc -l)
  [ "$kl" = 500 ] || { echo "keywarden printed $kl lines for $f, want 500" >&2; exit 1; }
done

printf '%-6s %10s %12s %12s %s\n' size bytes "tail ms" "keywarden ms" "bar (2×tail+20) ms"
fail=0
for size in 10M 1G; do
  f="$dir/bot-$size.log"
  tail -n 500 "$f" >/dev/null; "$dir/keywarden" log -n 500 "$f" >/dev/null   # warm up
  tm=$(ms_per_run tail -n 500 "$f")
  km=$(ms_per_run "$dir/keywarden" log -n 500 "$f")
  bar=$(awk -v t="$tm" 'BEGIN{printf "%.3f", 2*t+20}')
  ok=$(awk -v k="$km" -v b="$bar" 'BEGIN{print (k<=b)?"ok":"FAIL"}')
  [ "$ok" = ok ] || fail=1
  printf '%-6s %10s %12s %12s %s %s\n' "$size" "$(stat -c %s "$f")" "$tm" "$km" "$bar" "$ok"
done
printf 'startup alone (keywarden version): %s ms\n' "$(ms_per_run "$dir/keywarden" version)"
exit $fail
