#!/usr/bin/env bash
# scripts/test.sh three times in a row while both cores are busy: the tests
# must not depend on the machine being idle (timing, rotation, watch loops).
# Uses stress-ng --cpu 2 when installed, else two `yes >/dev/null`. The load
# is stopped on every exit. Arguments go to scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

load=()
stop_load() {
  for pid in "${load[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${load[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap stop_load EXIT
trap 'exit 130' INT TERM

if command -v stress-ng >/dev/null; then
  echo "load: stress-ng --cpu 2"
  stress-ng --cpu 2 --quiet &
  load+=($!)
else
  echo "load: two yes >/dev/null (stress-ng not installed)"
  yes >/dev/null &
  load+=($!)
  yes >/dev/null &
  load+=($!)
fi

start=$SECONDS
for run in 1 2 3; do
  t0=$SECONDS
  echo "=== run $run of 3 under load"
  if ! scripts/test.sh "$@"; then
    echo "=== run $run of 3 FAILED after $((SECONDS - t0)) s"
    exit 1
  fi
  echo "=== run $run of 3 ok in $((SECONDS - t0)) s"
done
echo "=== 3 of 3 runs ok under load in $((SECONDS - start)) s"
