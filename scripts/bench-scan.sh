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

# timeit LABEL CMD...: runs CMD $runs times; prints "real user sys" of the
# run with the best wall time (CPU seconds include git's child processes).
timeit() {
  local label=$1 t; shift
  for _ in $(seq "$runs"); do
    t=$( { TIMEFORMAT='%R %U %S'; time "$@" >/dev/null 2>&1; } 2>&1 ) || true
    echo "$label real/user/sys $t" >&2
    echo "$t"
  done | sort -n | head -1
}
real() { echo "${1%% *}"; }
cpu() { local a=($1); echo "${a[1]} + ${a[2]}" | bc; }

git -C "$repo" count-objects -vH | grep -E 'in-pack|size-pack'
sorted=$(timeit "cat-file --batch-all-objects --batch:" git -C "$repo" cat-file --batch-all-objects --batch)
unordered=$(timeit "cat-file ... --batch --unordered:" git -C "$repo" cat-file --batch-all-objects --batch --unordered)
scan=$(timeit "keywarden scan --json --no-cache:" kw scan "$repo" --json --no-cache)
kw scan "$repo" --json >/dev/null 2>&1 || true # fill the cache
cached=$(timeit "keywarden scan --json (cached):" kw scan "$repo" --json)
open=$(timeit "keywarden list (keystore open only):" kw list)
kw scan "$repo" --json --no-cache | grep -E '"(blobs_scanned|bytes_scanned)"' || true
echo "findings: $(kw scan "$repo" --json | grep -c '"profile"' || true)"
printf 'best of %s runs, wall (CPU user+sys):\n' "$runs"
printf '  git cat-file --batch-all-objects --batch            %6.2fs (%6.2fs)\n' "$(real "$sorted")" "$(cpu "$sorted")"
printf '  git cat-file --batch-all-objects --batch --unordered %6.2fs (%6.2fs)\n' "$(real "$unordered")" "$(cpu "$unordered")"
printf '  keywarden scan --json --no-cache                    %6.2fs (%6.2fs)\n' "$(real "$scan")" "$(cpu "$scan")"
printf '  keywarden scan --json, warm cache                   %6.2fs (%6.2fs)\n' "$(real "$cached")" "$(cpu "$cached")"
printf '  keywarden list (opening the file vault only)        %6.2fs (%6.2fs)\n' "$(real "$open")" "$(cpu "$open")"
printf 'ratio scan / cat-file --batch: %.2f wall (bar: <= 2), %.2f CPU\n' \
  "$(echo "$(real "$scan") / $(real "$sorted")" | bc -l)" "$(echo "$(cpu "$scan") / $(cpu "$sorted")" | bc -l)"
printf 'ratio scan / cat-file --batch --unordered: %.2f wall, %.2f CPU\n' \
  "$(echo "$(real "$scan") / $(real "$unordered")" | bc -l)" "$(echo "$(cpu "$scan") / $(cpu "$unordered")" | bc -l)"
# The file vault's scrypt (age's default cost) is paid by every command that
# opens the keystore; with the keyring backend it is milliseconds.
printf 'ratio (scan - keystore open) / cat-file --batch: %.2f wall; / --unordered: %.2f wall\n' \
  "$(echo "($(real "$scan") - $(real "$open")) / $(real "$sorted")" | bc -l)" \
  "$(echo "($(real "$scan") - $(real "$open")) / $(real "$unordered")" | bc -l)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
