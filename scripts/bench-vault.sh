#!/usr/bin/env bash
# The vault's cost: `list`, `log -n 500` on a 1 GiB audit log, a warm `scan`
# and `check --offline`, each with the keyring backend (a real gnome-keyring
# in a private D-Bus session), the age vault with the unlock cache warm
# (the file key in the kernel keyring), and the vault cold
# (KEYWARDEN_UNLOCK_TTL=0: scrypt at age's default work factor, every run).
# Prints the median wall time, the ratio to the keyring backend and the peak
# RSS (/usr/bin/time -f %M) of each. The bars: warm ≤ 2 × keyring and
# ≤ 64 MiB; the cold column shows what the cache saves.
#
#   scripts/bench-vault.sh [RUNS]     (default 9 runs per case)
#
# Needs gnome-keyring, dbus (dbus-run-session) and GNU time (Debian: time).
# Everything is made under ${BENCH_DIR:-/tmp/keywarden-bench}/vault, never
# in the repository; delete it when done.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-9}
base=${BENCH_DIR:-/tmp/keywarden-bench}
dir=$base/vault

# ms CMD...: median wall time of $runs runs, in ms.
ms() {
  local t=() s e
  for ((i = 0; i < runs; i++)); do
    s=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s%N)
    t+=($(((e - s) / 1000)))
  done
  printf '%s\n' "${t[@]}" | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}

# rss CMD...: peak resident set of one run, in KiB.
rss() {
  /usr/bin/time -f %M -o "$dir/rss" "$@" >/dev/null 2>&1 || true
  tail -n 1 "$dir/rss"
}

# measure BACKEND: one "backend command ms kib" line per command, with the
# config for BACKEND; the file backends are warmed (or not) first.
measure() {
  local backend=$1 kw=$dir/keywarden
  export KEYWARDEN_CONFIG=$dir/$backend.toml NO_COLOR=1
  case $backend in
  file-cold) export KEYWARDEN_UNLOCK_TTL=0 ;;
  *) unset KEYWARDEN_UNLOCK_TTL ;;
  esac
  "$kw" list >/dev/null                          # stores opened, caches warmed
  "$kw" scan "$dir/project" >/dev/null 2>&1 || true # the scan cache filled
  while read -r name args; do
    # shellcheck disable=SC2086
    printf '%s %s %s %s\n' "$backend" "$name" "$(ms "$kw" $args)" "$(rss "$kw" $args)"
  done <<EOC
list list
log log -n 500 bin
scan scan $dir/project
check check --offline --profile bin
EOC
}

if [ "${1:-}" = --inner ]; then # inside the private D-Bus session
  runs=$3
  dir=$4
  kr=$(mktemp -d)
  echo -n keywarden-bench | XDG_DATA_HOME=$kr gnome-keyring-daemon --unlock --components=secrets >/dev/null
  KEYWARDEN_CONFIG=$dir/keyring.toml "$dir/keywarden" import bin --exchange binance --offline "$dir/bot.env" >/dev/null 2>&1 ||
    KEYWARDEN_CONFIG=$dir/keyring.toml "$dir/keywarden" rotate bin --from "$dir/bot.env" >/dev/null 2>&1 || true
  measure "$2"
  rm -rf "$kr"
  exit 0
fi

for c in gnome-keyring-daemon dbus-run-session /usr/bin/time git; do
  command -v "$c" >/dev/null || { echo "bench-vault: $c is missing (apt-get install gnome-keyring dbus time git)" >&2; exit 3; }
done
mkdir -p "$dir/project" "$dir/vault"
go build -o "$dir/keywarden" .
log=$base/bot-1G.log
[ -s "$log" ] || go run ./scripts/genauditlog -size 1G -o "$log"
printf 'BINANCE_API_KEY=benchKey0123456789abcdefABCDEF0123456789\nBINANCE_API_SECRET=benchSecret0123456789abcdefABCDEF01234567\n' >"$dir/bot.env"
chmod 600 "$dir/bot.env"
printf 'correct horse battery staple for the bench\n' >"$dir/vault/pass"
chmod 600 "$dir/vault/pass"
if [ ! -d "$dir/project/.git" ]; then
  git init -q "$dir/project"
  for i in $(seq 1 200); do printf 'print(%d)\n' "$i" >"$dir/project/f$i.py"; done
  git -C "$dir/project" add . && git -C "$dir/project" -c user.email=b@example.com -c user.name=b commit -qm bench
fi
for backend in file keyring; do
  cat >"$dir/$backend.toml" <<EOC
keystore = "$backend"
vault = "$dir/vault/vault.age"
passphrase_file = "$dir/vault/pass"

[[profile]]
name = "bin"
exchange = "binance"
audit_log = "$log"
project = "$dir/project"
EOC
  chmod 600 "$dir/$backend.toml"
done
cp "$dir/file.toml" "$dir/file-cold.toml"
[ -s "$dir/vault/vault.age" ] || KEYWARDEN_CONFIG=$dir/file.toml "$dir/keywarden" import bin --exchange binance --offline "$dir/bot.env" >/dev/null

{
  dbus-run-session -- "$0" --inner keyring "$runs" "$dir" 2> >(grep -v "Failed to set fd limit" >&2)
  measure file
  measure file-cold
} >"$dir/results"
KEYWARDEN_CONFIG=$dir/file.toml "$dir/keywarden" lock >/dev/null

awk -v mib=64 '
  { ms[$1" "$2] = $3; kib[$1" "$2] = $4; if (!seen[$2]++) order[++n] = $2 }
  END {
    printf "%-6s %12s %12s %7s %12s %8s %10s %10s %10s %s\n", "cmd", "keyring ms", "file ms", "ratio", "cold ms", "cold×", "keyring KiB", "file KiB", "cold KiB", "bars"
    fail = 0
    for (i = 1; i <= n; i++) {
      c = order[i]; k = ms["keyring " c]; f = ms["file " c]; cold = ms["file-cold " c]
      r = (k > 0) ? f / k : 0; rc = (k > 0) ? cold / k : 0
      ok = (r <= 2 && kib["file " c] <= mib * 1024) ? "ok" : "FAIL"
      if (ok != "ok") fail = 1
      printf "%-6s %12.1f %12.1f %7.2f %12.1f %8.1f %10d %10d %10d %s\n", c, k, f, r, cold, rc, kib["keyring " c], kib["file " c], kib["file-cold " c], ok
    }
    exit fail
  }' "$dir/results"
