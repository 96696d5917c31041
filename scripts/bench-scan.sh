#!/usr/bin/env bash
# Time `keywarden scan` on a repository made by scripts/gen-history.sh and
# compare it with reading every object once with git itself.
#   scripts/bench-scan.sh REPO [RUNS]
# Prints each run's wall time, the best of RUNS for each, and the ratios
# against `git cat-file --batch-all-objects --batch > /dev/null` (the spec's
# yardstick, object-id order) and against its --unordered (pack order) form.
# Uses a throwaway config and file vault holding the fake key the generator
# planted, so it needs no keyring and touches no real keys.
set -euo pipefail
repo=$(cd "${1:?usage: bench-scan.sh REPO [RUNS]}" && pwd)
runs=${2:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$here" && go build -o "$work/keywarden" .)
kw() { XDG_CACHE_HOME="$work/cache" "$work/keywarden" --config "$work/config.toml" "$@"; }
umask 077
printf 'bench-only-passphrase\n' >"$work/pass"
printf 'keystore = "file"\nvault = "%s/vault.age"\npassphrase_file = "%s/pass"\n' "$work" "$work" >"$work/config.toml"
# The fake values scripts/gen-history.go plants (also in leaks/bench_test.go).
printf 'BINANCE_API_KEY=kwBenchKey7Qz3LmN8pR2tV5xY9aB4cD6eF1gH0jK3mN5pQ7rS9tU2vW4xY6zA8\nBINANCE_API_SECRET=kwBenchSecret9Xc2Vb5Nm8Lk1Jh4Gf7Ds0Ap3Oi6Uy9Tr2Ew5Qz8Xc1Vb4Nm\n' >"$work/bench.env"
kw import bench --exchange binance "$work/bench.env" >/dev/null 2>&1

now() { date +%s.%N; }
best() { sort -n | head -1; }
timeit() { # label command...
  local label=$1 t0 t1; shift
  for _ in $(seq "$runs"); do
    t0=$(now); "$@" >/dev/null 2>&1 || [ $? -eq 2 ]; t1=$(now)
    echo "$label $(echo "$t1 - $t0" | bc)" >&2
    echo "$t1 - $t0" | bc
  done | best
}

git -C "$repo" count-objects -vH | grep -E 'in-pack|size-pack'
sorted=$(timeit "cat-file --batch-all-objects --batch:" git -C "$repo" cat-file --batch-all-objects --batch)
unordered=$(timeit "cat-file ... --batch --unordered:" git -C "$repo" cat-file --batch-all-objects --batch --unordered)
scan=$(timeit "keywarden scan --json --no-cache:" kw scan "$repo" --json --no-cache)
kw scan "$repo" --json >/dev/null 2>&1 || true # fill the cache
cached=$(timeit "keywarden scan --json (cached):" kw scan "$repo" --json)
open=$(timeit "keywarden list (keystore open only):" kw list)
kw scan "$repo" --json --no-cache | grep -E '"(blobs_scanned|bytes_scanned)"' || true
echo "findings: $(kw scan "$repo" --json | grep -c '"profile"' || true)"
printf "best of %s: cat-file %.2fs, cat-file --unordered %.2fs, scan %.2fs, scan with warm cache %.2fs, keywarden list %.2fs\n" "$runs" "$sorted" "$unordered" "$scan" "$cached" "$open"
printf 'ratio scan / cat-file --batch: %.2f (bar: <= 2)\n' "$(echo "$scan / $sorted" | bc -l)"
printf 'ratio scan / cat-file --batch --unordered: %.2f\n' "$(echo "$scan / $unordered" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
