#!/usr/bin/env bash
# The one test command: installs the real parts the tests need (when it can),
# starts a private D-Bus session with an unlocked gnome-keyring, and runs every
# test with the race detector. CI runs this same script (see .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

need_pkgs=()
for p in gnome-keyring:gnome-keyring-daemon dbus:dbus-run-session libsecret-tools:secret-tool \
         chrony:chronyd faketime:faketime tmux:tmux git:git prometheus:promtool systemd:systemd-analyze \
         prometheus-alertmanager:prometheus-alertmanager git-filter-repo:git-filter-repo pre-commit:pre-commit \
         stress-ng:stress-ng; do
  pkg=${p%%:*} bin=${p#*:}
  command -v "$bin" >/dev/null 2>&1 || need_pkgs+=("$pkg")
done
if ((${#need_pkgs[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${need_pkgs[*]} with apt-get: the tests run these real programs (keyring, time"
    echo "daemon, tmux, git, Prometheus, Alertmanager, load generator) instead of fakes."
    echo "their services are not started: policy-rc.d refuses every start while apt-get runs."
    # A policy-rc.d that exits 101 tells invoke-rc.d (and deb-systemd-invoke)
    # that no service may start, so chrony does not replace timesyncd and
    # prometheus does not listen on :9090. An existing one is left alone.
    prc=/usr/sbin/policy-rc.d
    made_prc=
    if [ ! -e "$prc" ]; then
      trap 'rm -f "$prc"' EXIT
      printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc" && made_prc=1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    if [ -n "$made_prc" ]; then rm -f "$prc"; trap - EXIT; fi
  else
    echo "warning: missing ${need_pkgs[*]}; tests that need them will skip (fail under KEYWARDEN_REQUIRE_REAL)" >&2
  fi
fi

go mod download
go vet ./...

# staticcheck, when the module proxy serves it: built into a throwaway GOBIN
# so nothing is left on the PATH; any finding fails the run.
sc=$(mktemp -d)
if GOBIN=$sc go install honnef.co/go/tools/cmd/staticcheck@latest >/dev/null 2>&1; then
  sc_rc=0
  "$sc/staticcheck" ./... || sc_rc=$?
  rm -rf "$sc"
  if ((sc_rc)); then echo "staticcheck: findings above" >&2; exit 1; fi
else
  rm -rf "$sc"
  echo "staticcheck: not available, skipped"
fi

# Run inside a private session bus with an unlocked gnome-keyring, so the
# keyring backend is tested against a real Secret Service. The keyring's
# files go to a throwaway directory: never the user's own login keyring.
inner='
set -e
if [ -n "${KW_START_KEYRING:-}" ]; then
  kr=$(mktemp -d)
  trap "rm -rf $kr" EXIT
  echo -n keywarden-test | XDG_DATA_HOME=$kr gnome-keyring-daemon --unlock --components=secrets >/dev/null
fi
go test -race -count=1 ./... '"$*"'
for t in $(scripts/fuzz-targets.sh 2>/dev/null); do
  pkg=${t%%:*} fn=${t#*:}
  log=$(mktemp)
  if go test -run=^$ -fuzz="^${fn}\$" -fuzztime=10s "$pkg" >"$log" 2>&1; then
    echo "fuzz ${fn} (${pkg}): 10s ok"
  elif grep -q "Failing input written to" "$log"; then
    # A finding: the input is saved under testdata/fuzz and fails every
    # `go test` from now on until the bug is fixed.
    echo "fuzz ${fn} (${pkg}): FAILED"
    tail -n 60 "$log"
    exit 1
  else
    # The fuzzing engine itself failed (a worker lost under load) and left
    # no input to reproduce: report it, do not fail the run on it.
    echo "fuzz ${fn} (${pkg}): engine error without a reproducible input:"
    tail -n 30 "$log"
  fi
  rm -f "$log"
done
'
if command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null; then
  KW_START_KEYRING=1 dbus-run-session -- bash -c "$inner" 2> >(grep -v 'Failed to set fd limit' >&2)
else
  bash -c "$inner"
fi
