#!/usr/bin/env bash
# redteam.sh: the canary hunt of issue 14, rerun. Builds keywarden, gives it
# a throwaway HOME and XDG directories, stores recognisable canary secrets
# (a file vault with a canary passphrase; with gnome-keyring, the keyring
# too, inside its own D-Bus session), runs every command against them, and
# searches everything they left for a canary: every output, every file
# under the XDG directories (except the vault and the keyring's own files,
# which hold them encrypted), the environment of every child keywarden
# started (git; the bot may have its own key and nothing else), what a
# webhook receiver got, the metrics, and a core of a SIGQUIT'ed `watch` if
# one was written. It prints what it searched and what it found, and exits
# 1 on any find (2 when it could not run).
#
#   scripts/redteam.sh            # both keystores (the keyring when gnome-keyring is installed)
#   KEEP=1 scripts/redteam.sh     # keep the temporary directory for a look
set -uo pipefail

die() { echo "redteam: $*" >&2; exit 2; }

RECV_PID=
cleanup() {
  [ -z "$RECV_PID" ] || kill "$RECV_PID" 2>/dev/null
  [ "$mode" = keyring ] || [ -n "${KEEP:-}" ] || rm -rf "$T"
}

if [ "${1:-}" = --keyring-suite ]; then
  # Re-entered inside dbus-run-session by the main run: the binary and the
  # canaries are made; only the keyring's daemon is ours to start.
  mode=keyring
  # shellcheck disable=SC1091
  . "$T/canaries"
  trap cleanup EXIT
else
  mode=main
  self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
  cd "$(dirname "$0")/.." || die "no repository"
  for b in go git python3; do command -v "$b" >/dev/null || die "$b is not installed"; done
  T=$(mktemp -d /tmp/keywarden-redteam.XXXXXX) || die "mktemp"
  export T
  trap cleanup EXIT
  go build -o "$T/bin/keywarden" . || die "go build failed"
  # Canaries: recognisable, random per run, alphanumeric (so their URL,
  # shell and JSON forms are the raw value).
  # They are shell variables, never exported: no process may get them
  # from this script's environment. The keyring run reads them from a file.
  rnd() { LC_ALL=C tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1"; }
  C_VAULT="kwRTvault$(rnd 20)" C_AKEY="kwRTakey$(rnd 40)" C_ASEC="kwRTasec$(rnd 48)"
  C_BKEY="kwRTbkey$(rnd 24)" C_BSEC="kwRTbsec$(rnd 32)" C_BPASS="kwRTbpass$(rnd 12)"
  C_HOOK="kwRThook$(rnd 32)"
  (umask 077; declare -p C_VAULT C_AKEY C_ASEC C_BKEY C_BSEC C_BPASS C_HOOK >"$T/canaries")
  # Every file vault decryption costs a scrypt (about 2 s here): with the
  # keyring available, the file run leaves out the variants of a command
  # the keyring run covers.
  full_file=1
  command -v dbus-run-session >/dev/null && command -v gnome-keyring-daemon >/dev/null && full_file=
fi

KW=$T/bin/keywarden
OUT=$T/out/$mode
mkdir -p "$OUT"

# setup_home DIR BACKEND: a HOME with XDG dirs, a config for BACKEND, the
# project and the logs.
setup_home() {
  local h=$1
  export HOME=$h XDG_CONFIG_HOME=$h/.config XDG_DATA_HOME=$h/.local/share \
    XDG_CACHE_HOME=$h/.cache XDG_STATE_HOME=$h/.local/state XDG_RUNTIME_DIR=$h/run
  mkdir -p "$XDG_CONFIG_HOME/keywarden" "$XDG_DATA_HOME" "$XDG_CACHE_HOME" "$XDG_STATE_HOME" \
    "$XDG_RUNTIME_DIR" "$h/bot" "$h/spy"
  chmod 700 "$h" "$XDG_RUNTIME_DIR"
  unset KEYWARDEN_CONFIG KEYWARDEN_KEYSTORE CREDENTIALS_DIRECTORY CACHE_DIRECTORY
  export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 NO_COLOR=1
  (umask 077; printf '%s\n' "$C_VAULT" >"$h/pass")
  # The bot's audit log: its own key, another profile's secret, the
  # webhook key, and its secret at the start of a 2 MiB line.
  {
    printf '2026-11-25 16:04:12,000 | DEBUG | headers={"X-MBX-APIKEY": "%s"}\n' "$C_AKEY"
    printf '{"ts":"2026-11-25T16:04:13Z","level":"error","msg":"other bot: %s %s"}\n' "$C_BSEC" "$C_HOOK"
    printf 'sig=%s' "$C_ASEC"; head -c $((2 << 20)) /dev/zero | tr '\0' x; echo
    printf '{"ts":"2026-11-25T16:04:14Z","level":"error","code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}\n'
  } >"$h/bot/api_audit.log"
  # The project: the secret in a file named after the key (in history
  # only), the key in a branch name, the passphrase as a directory name.
  local p=$h/proj
  mkdir -p "$p/keys" "$p/$C_BPASS"
  git -C "$p" init -q -b main
  printf '{"secret": "%s"}\n' "$C_ASEC" >"$p/keys/$C_AKEY.json"
  echo notes >"$p/$C_BPASS/notes.txt"
  echo 'print("hi")' >"$p/bot.py"
  git -C "$p" add -A && git -C "$p" -c user.name=t -c user.email=t@example.org commit -qm init
  git -C "$p" branch "backup-$C_AKEY"
  git -C "$p" rm -rq keys "$C_BPASS" && git -C "$p" -c user.name=t -c user.email=t@example.org commit -qm clean
  # A git in front of the real one that records its environment: no git
  # child may get a stored value.
  printf '#!/bin/sh\n{ echo "--- git $*"; env; } >>"%s/spy/git-env.txt"\nPATH=${PATH#*:} exec git "$@"\n' "$h" >"$h/spy/git"
  chmod 755 "$h/spy/git"
  cat >"$XDG_CONFIG_HOME/keywarden/config.toml" <<EOF
keystore = "$2"
passphrase_file = "$h/pass"

[clock]
ntp_servers = ["127.0.0.1:9"]

[ip]
sources = ["http://127.0.0.1:9/ip"]

[[profile]]
name = "prof-a"
exchange = "binance"
base_url = "http://127.0.0.1:9"
audit_log = "$h/bot/api_audit.log"
project = "$p"
env = { key = "BOT_K", secret = "BOT_S" }

[[profile]]
name = "prof-b"
exchange = "okx"
base_url = "http://127.0.0.1:9"
audit_log = "$h/bot/api_audit.log"

[[alert]]
type = "webhook"
url = "http://127.0.0.1:$HOOK_PORT/hook"
token = "alert-hook"
min_status = "warn"
EOF
  chmod 600 "$XDG_CONFIG_HOME/keywarden/config.toml"
}

# run NAME CMD...: runs a command with a deadline, its stdout and stderr
# into $OUT/NAME.out and .err (an exit status is an answer, not a failure).
run() {
  local name=$1; shift
  timeout -s KILL 30 "$@" >"$OUT/$name.out" 2>"$OUT/$name.err"
  echo "$?" >"$OUT/$name.rc"
}

# start_receiver BACKEND: a webhook receiver on loopback that records every
# request and answers 500 with the request echoed back (path, headers,
# body), as some frameworks do, so that watch's error handling sees it all.
# It sets RECV_PID and HOOK_PORT.
start_receiver() {
  local portf=$T/port-$1
  python3 - "$T/receiver-$1.log" >"$portf" 2>/dev/null <<'EOF' &
import http.server, sys
log = open(sys.argv[1], "ab", buffering=0)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        echo = ("Cannot POST " + self.path + "\n").encode() + bytes(self.headers) + body
        log.write(echo + b"\n")
        self.send_response(500)
        self.send_header("Content-Length", str(len(echo)))
        self.end_headers()
        self.wfile.write(echo)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
EOF
  RECV_PID=$!
  local i
  for i in $(seq 50); do
    [ -s "$portf" ] && break
    sleep 0.1
  done
  read -r HOOK_PORT <"$portf" || die "the webhook receiver did not start"
  export HOOK_PORT
}

# suite BACKEND FULL: every command against BACKEND; without FULL, only one
# of each command's output formats.
suite() {
  local backend=$1 full=$2 path=$PATH
  start_receiver "$backend"
  setup_home "$T/home-$backend" "$backend"

  printf 'BINANCE_API_KEY=%s\nBINANCE_API_SECRET=%s\n' "$C_AKEY" "$C_ASEC" >"$HOME/a.env"
  printf 'OKX_API_KEY=%s\nOKX_SECRET_KEY=%s\nOKX_PASSPHRASE=%s\n' "$C_BKEY" "$C_BSEC" "$C_BPASS" >"$HOME/b.env"
  printf 'HOOK_SECRET=%s\n' "$C_HOOK" >"$HOME/hook.env"
  chmod 600 "$HOME"/*.env
  run import-a "$KW" import prof-a --exchange binance --offline --shred "$HOME/a.env"
  run import-b "$KW" import prof-b --exchange okx --offline --shred "$HOME/b.env"
  run import-hook "$KW" import alert-hook --token --shred "$HOME/hook.env"

  # keywarden itself runs with prof-a's key and secret under its custom
  # names, as from a shell `keywarden exec` started; its git children
  # must not get them.
  export BOT_K=$C_AKEY BOT_S=$C_ASEC
  PATH=$HOME/spy:$PATH
  run list "$KW" list
  run check "$KW" check
  run log-a "$KW" log prof-a -n 10
  run scan "$KW" scan "$HOME/proj" --no-cache
  if [ -n "$full" ]; then
    run check-json "$KW" check --json
    run check-prometheus "$KW" check --prometheus
    run log-b-json "$KW" log prof-b -n 10 --json
    run log-file "$KW" log "$HOME/bot/api_audit.log" -n 10
    run scan-json "$KW" scan "$HOME/proj" --json
  fi
  unset BOT_K BOT_S
  run exec-env "$KW" exec prof-a --force -- env
  mv "$OUT/exec-env.out" "$T/bot-env-$backend.txt"

  if [ "$backend" = file ]; then
    # watch: a few seconds with the webhook (its receiver answers 500 and
    # echoes the request), the metrics scraped, then SIGTERM.
    local mport=$((20000 + RANDOM % 20000))
    "$KW" watch --interval 1s --shutdown-timeout 1s --metrics-addr "127.0.0.1:$mport" >"$OUT/watch.out" 2>"$OUT/watch.err" &
    local w=$! i
    for i in $(seq 100); do # until the first alert's delivery, 20 s at most
      grep -qs X-Keywarden-Event "$T/receiver-file.log" && break
      sleep 0.2
    done
    curl -s "http://127.0.0.1:$mport/metrics" >"$OUT/metrics.out" 2>&1
    kill -TERM "$w"; wait "$w"; echo $? >"$OUT/watch.rc"
    # A forced SIGQUIT with cores allowed and GOTRACEBACK=crash: a core,
    # if the kernel wrote one, lands in the working directory.
    mkdir -p "$T/core"
    (cd "$T/core" && ulimit -c unlimited && GOTRACEBACK=crash exec "$KW" watch --interval 1s --metrics-addr off \
      >"$OUT/watch-quit.out" 2>"$OUT/watch-quit.err") &
    w=$!
    sleep 2
    kill -QUIT "$w"
    { wait "$w"; } 2>/dev/null; echo $? >"$OUT/watch-quit.rc"
    # The demo's world, with its own throwaway secrets searched for too.
    KEYWARDEN_DEMO_SECRETS_FILE=$T/demo-secrets run demo-check "$KW" demo --check
  fi
  kill "$RECV_PID" 2>/dev/null
  RECV_PID=
  PATH=$path
  # A hunt that ran nothing finds nothing: these must have happened.
  grep -qF -e "$C_AKEY" "$T/bot-env-$backend.txt" || die "$backend: the bot did not start with its key (see $OUT/exec-env.err)"
  grep -q '^--- git .*ls-files' "$HOME/spy/git-env.txt" || die "$backend: no git child of keywarden was recorded"
  grep -q 'git history' "$OUT/check.out" || die "$backend: check did not run the history check"
  if [ "$backend" = file ]; then
    grep -q 'X-Keywarden-Event' "$T/receiver-file.log" 2>/dev/null || die "file: watch delivered no alert"
    grep -q keywarden_ "$OUT/metrics.out" || die "file: no metrics scraped"
  fi
}

if [ "$mode" = keyring ]; then
  kr=$(mktemp -d "$T/kr.XXXXXX")
  echo -n "kwRTkeyringpw" | XDG_DATA_HOME=$kr gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 ||
    die "gnome-keyring-daemon did not start"
  suite keyring 1
  exit 0
fi

suite file "$full_file"
keyring=skipped
if [ -z "$full_file" ]; then
  if dbus-run-session -- "$self" --keyring-suite 2>"$T/keyring-suite.err"; then
    keyring=run
  else
    keyring="failed to run"
    grep -v "Failed to set fd limit" "$T/keyring-suite.err" >&2
  fi
fi

# The needles: each canary raw, base64 (both alphabets, no padding, minus
# the last characters that depend on what follows) and hex.
needles=$T/needles
: >"$needles"
all=("$C_VAULT" "$C_AKEY" "$C_ASEC" "$C_BKEY" "$C_BSEC" "$C_BPASS" "$C_HOOK")
[ -f "$T/demo-secrets" ] && while IFS= read -r s; do [ ${#s} -ge 8 ] && all+=("$s"); done <"$T/demo-secrets"
for s in "${all[@]}"; do
  b=$(printf '%s' "$s" | base64 -w0 | tr -d '=')
  {
    printf '%s\n' "$s" "${b:0:${#b}-2}" "$(printf '%s' "${b:0:${#b}-2}" | tr '+/' '-_')"
    printf '%s' "$s" | od -An -tx1 | tr -d ' \n'; echo
    printf '%s' "$s" | od -An -tx1 | tr -d ' \n' | tr a-f A-F; echo
  } >>"$needles"
done
# The bot may hold its own key and secret, and nothing else.
bot_needles=$T/bot-needles
grep -vxF -e "$C_AKEY" -e "$C_ASEC" "$needles" >"$bot_needles"

finds=0 searched=0
# search WHAT NEEDLES FILE...: reports each file holding a needle.
search() {
  local what=$1 nf=$2; shift 2
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    searched=$((searched + 1))
    if grep -qaF -f "$nf" "$f"; then
      echo "FOUND a canary in $what: ${f#"$T"/}"
      finds=$((finds + 1))
    fi
  done
}
mapfile -t outputs < <(find "$T/out" -type f)
search "command output" "$needles" "${outputs[@]}"
for b in file keyring; do
  h=$T/home-$b
  [ -d "$h" ] || continue
  mapfile -t files < <(find "$h/.config" "$h/.local" "$h/.cache" "$h/run" -type f \
    ! -path "$h/.local/share/keywarden/vault.age" ! -path "*/keyrings/*" 2>/dev/null)
  search "the $b run's XDG directories" "$needles" "${files[@]}"
  search "git children's environment ($b)" "$needles" "$h/spy/git-env.txt"
  search "the bot's environment (other than its own key) ($b)" "$bot_needles" "$T/bot-env-$b.txt"
  search "what the webhook receiver got ($b)" "$needles" "$T/receiver-$b.log"
done
mapfile -t cores < <(find "$T/core" -type f 2>/dev/null)
search "a core of watch" "$needles" "${cores[@]}"

echo "searched $searched files for ${#all[@]} canaries (raw, base64, base64url, hex):"
echo "  outputs of import, list, check (text, --json, --prometheus), log (PROFILE, --json, FILE), scan (text, --json),"
echo "  exec (the bot's environment), watch (stderr, metrics, webhook deliveries echoed back), demo --check,"
echo "  SIGQUIT of watch under GOTRACEBACK=crash"
echo "  the XDG config, data (without the vault), cache, state and runtime directories"
echo "  the environment of every git child (scan, check, exec's gate)"
echo "  keystores: file; keyring $keyring"
echo "  cores written by SIGQUIT of watch: ${#cores[@]}"
if [ "$finds" -gt 0 ]; then
  echo "found: $finds file(s) holding a canary"
  [ -n "${KEEP:-}" ] && echo "kept: $T"
  exit 1
fi
echo "found: nothing"
# The file run left out what the keyring run was to cover.
[ "$keyring" = run ] || [ -n "$full_file" ] || exit 2
