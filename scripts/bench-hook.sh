#!/usr/bin/env bash
# Time the pre-commit hook against gitleaks on the same staged change.
#   scripts/bench-hook.sh [COMMITS] [RUNS]
# Builds keywarden and gitleaks v8.30.1 (go install into a temporary GOBIN),
# makes a repository of COMMITS commits (default 3000) with
# scripts/gen-history.sh and a staged change of a few files, then times
# `keywarden hook run pre-commit` and `gitleaks git --pre-commit --staged`
# (hyperfine when installed, else RUNS runs each, default 20) and prints the
# ratio. keywarden reads its key from the keyring backend in a private
# D-Bus session with a throwaway gnome-keyring (so a commit does not wait on
# the file vault's KDF); the file vault is timed too, for comparison. No real
# key is touched: the values are the fake ones gen-history.go plants.
set -euo pipefail
commits=${1:-3000}
runs=${2:-20}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ -z "${KW_BENCH_INNER:-}" ]; then
  command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null ||
    { echo "bench-hook: needs dbus-run-session and gnome-keyring-daemon (apt install dbus gnome-keyring)" >&2; exit 1; }
  kr=$(mktemp -d)
  trap 'rm -rf "$kr"' EXIT
  KW_BENCH_INNER=1 KW_BENCH_KEYRING=$kr dbus-run-session -- bash "$0" "$@" 2> >(grep -v 'Failed to set fd limit' >&2)
  exit
fi
echo -n bench-keyring | XDG_DATA_HOME=$KW_BENCH_KEYRING gnome-keyring-daemon --unlock --components=secrets >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$here" && go build -o "$work/keywarden" .)
echo "building gitleaks v8.30.1 …" >&2
GOBIN="$work/bin" go install github.com/zricethezav/gitleaks/v8@v8.30.1
gitleaks="$work/bin/gitleaks"

"$here/scripts/gen-history.sh" "$work/repo" "$commits" 64 2>/dev/null
repo=$work/repo
# A staged change of a few files: three edited, one new.
for f in $(git -C "$repo" ls-files | grep -v '^README' | head -3); do
  printf '\n# edited for the hook benchmark\n' >>"$repo/$f"
done
printf 'def handler():\n    return "ok"\n' >"$repo/bench_new.py"
git -C "$repo" add -A
echo "repository: $(git -C "$repo" rev-list --count HEAD) commits, $(git -C "$repo" count-objects -v | awk '/in-pack/ {print $2}') objects; staged: $(git -C "$repo" diff --cached --name-only | wc -l) files" >&2

umask 077
mkdir "$work/cfg" # keywarden refuses a config whose directory others could write (here, /tmp)
printf 'BINANCE_API_KEY=kwBenchKey7Qz3LmN8pR2tV5xY9aB4cD6eF1gH0jK3mN5pQ7rS9tU2vW4xY6zA8\nBINANCE_API_SECRET=kwBenchSecret9Xc2Vb5Nm8Lk1Jh4Gf7Ds0Ap3Oi6Uy9Tr2Ew5Qz8Xc1Vb4Nm\n' >"$work/bench.env"
printf 'keystore = "keyring"\n' >"$work/cfg/keyring.toml"
printf 'bench-only-passphrase\n' >"$work/cfg/pass"
printf 'keystore = "file"\nvault = "%s/cfg/vault.age"\npassphrase_file = "%s/cfg/pass"\n' "$work" "$work" >"$work/cfg/file.toml"
for c in keyring file; do
  HOME=$work "$work/keywarden" --config "$work/cfg/$c.toml" import bench --exchange binance --offline "$work/bench.env" >/dev/null 2>&1
done
kwhook() { (cd "$repo" && HOME=$work "$work/keywarden" --config "$work/cfg/$1.toml" hook run pre-commit >/dev/null 2>&1); }
glhook() { "$gitleaks" git --pre-commit --staged --no-banner --log-level error "$repo" >/dev/null 2>&1; }
# Both must pass the clean change (a blocked commit would time the error path).
kwhook keyring || { echo "bench-hook: keywarden blocked the clean change" >&2; exit 1; }
glhook || { echo "bench-hook: gitleaks blocked the clean change" >&2; exit 1; }

# mean_ms CMD...: the mean wall time of one run, in milliseconds.
mean_ms() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null 2>&1 ||
      hyperfine --warmup 2 --runs "$runs" --export-json "$work/h.json" "$*" >/dev/null
    python3 -c 'import json,sys; print("%.1f" % (json.load(open(sys.argv[1]))["results"][0]["mean"]*1000))' "$work/h.json"
    return
  fi
  "$@"; "$@" # warm-up
  local t0 t1
  t0=$(date +%s%N)
  for _ in $(seq "$runs"); do "$@"; done
  t1=$(date +%s%N)
  echo "scale=1; ($t1 - $t0) / 1000000 / $runs" | bc
}
export -f kwhook glhook
export work repo gitleaks
kw=$(mean_ms bash -c 'kwhook keyring')
kwfile=$(mean_ms bash -c 'kwhook file')
gl=$(mean_ms bash -c glhook)
printf 'mean of %s runs (a bash -c wrapper included in each):\n' "$runs"
printf '  keywarden hook run pre-commit (keyring)     %8.1f ms\n' "$kw"
printf '  keywarden hook run pre-commit (file vault)  %8.1f ms  (scrypt at age'"'"'s default cost on every run)\n' "$kwfile"
printf '  gitleaks git --pre-commit --staged          %8.1f ms\n' "$gl"
printf 'ratio keywarden (keyring) / gitleaks: %.2f (bar: <= 1)\n' "$(echo "$kw / $gl" | bc -l)"
