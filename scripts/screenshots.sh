#!/usr/bin/env bash
# Regenerates screenshots/*.png from real runs of `keywarden demo`: builds the
# binary, runs it in a tmux server of its own, captures the screen with its
# colours (tmux capture-pane -e -p) and renders PNGs with freeze.
#
#   scripts/screenshots.sh            # all shots into screenshots/
#   FREEZE=/path/to/freeze SETTLE=30 scripts/screenshots.sh
#
# freeze is taken from $FREEZE, then PATH, else installed from the Go module
# proxy (github.com/charmbracelet/freeze@v0.2.2) into a temporary GOBIN.
# SETTLE is how long the demo runs before the first shot (default 20 s), so
# the audit log shows the bots' live lines interleaved, not only the backlog.
# Needs: go, tmux, rsvg-convert and a monospace font with box drawing
# (Debian librsvg2-bin, fonts-jetbrains-mono). Nothing outside the
# work tree is changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/screenshots
settle=${SETTLE:-20}
work=$(mktemp -d)
sock=kwshots-$$
tmux_() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
	tmux_ kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/keywarden" .)

freeze=${FREEZE:-$(command -v freeze || true)}
if [ -z "$freeze" ]; then
	echo "installing freeze v0.2.2 into a temporary GOBIN" >&2
	(cd "$work" && GOBIN="$work/bin" go install github.com/charmbracelet/freeze@v0.2.2)
	freeze=$work/bin/freeze
fi

# screen waits (up to 60 s) until the pane shows every given string and none
# of the panes is still loading.
wait_for() {
	for _ in $(seq 600); do
		s=$(tmux_ capture-pane -p -t kw)
		ok=1
		for w in "$@"; do
			case $s in *"$w"*) ;; *) ok=0 ;; esac
		done
		case $s in *"… checking"* | *"waiting for the audit log"*) ok=0 ;; esac
		if [ $ok = 1 ]; then return 0; fi
		sleep 0.1
	done
	echo "screenshots: the screen never showed: $*" >&2
	tmux_ capture-pane -p -t kw >&2
	return 1
}

# carry_sgr makes the capture say every colour in full, for freeze.
# `tmux capture-pane -e` writes only changes of colour: a line that begins
# in the colour the line above ended in (the left border of a focused
# full-width box, its bottom border) gets none, and freeze, which starts
# each line afresh, drew it in the default colour; and freeze ignores 39
# and 49 (back to the default colour), so the colour of a status symbol ran
# on to the end of its line. Each line now starts with the colours in force,
# and every colour change is written as a reset plus the whole state.
carry_pl=$(cat <<'PERL'
# Rewrites every SGR sequence as a reset plus the whole state in force
# (freeze ignores 39 and 49, "default colour"), and starts each line with it.
sub state { join "", "\e[0m", map("\e[${_}m", sort keys %at), ($fg ne "" ? "\e[${fg}m" : ""), ($bg ne "" ? "\e[${bg}m" : "") }
sub apply {
	my @p = split /;/, shift; @p = (0) unless @p;
	while (@p) {
		my $c = shift @p;
		if ($c == 0) { $fg = $bg = ""; %at = () }
		elsif ($c == 38 || $c == 48) { my $n = shift @p; my $v = join ";", $c, $n, ($n == 5 ? splice(@p, 0, 1) : splice(@p, 0, 3)); $c == 38 ? ($fg = $v) : ($bg = $v) }
		elsif ($c == 39) { $fg = "" } elsif ($c == 49) { $bg = "" }
		elsif (($c >= 30 && $c <= 37) || ($c >= 90 && $c <= 97)) { $fg = $c }
		elsif (($c >= 40 && $c <= 47) || ($c >= 100 && $c <= 107)) { $bg = $c }
		elsif ($c >= 21 && $c <= 29) { my $off = $c == 22 ? [1, 2] : [$c - 20]; delete @at{@$off} }
		else { $at{$c} = 1 }
	}
	return state();
}
my $start = state();
s/\e\[([0-9;]*)m/apply($1)/ge;
print $start, $_;
PERL
)
carry_sgr() {
	perl -n -e "$carry_pl"
}

# shot NAME captures the pane (colours kept) and renders NAME.png. freeze
# drops a last line that has no newline, hence the echo.
shot() {
	{ tmux_ capture-pane -e -p -t kw "${@:2}"; echo; } | carry_sgr >"$work/$1.ansi"
	# freeze's own PNG path (resvg through cgo) crashes when built with
	# Go 1.26 ("split stack overflow"): it writes SVG, rsvg-convert draws it.
	"$freeze" "$work/$1.ansi" -o "$work/$1.svg" --window --font.size 7 >/dev/null
	rsvg-convert --zoom 2 "$work/$1.svg" -o "$out/$1.png"
	chmod 644 "$out/$1.png"
	echo "wrote screenshots/$1.png" >&2
}

mkdir -p "$out"
demo_env="env -i PATH=$PATH HOME=$work TERM=xterm-256color COLORTERM=truecolor"

# The dashboard, wide: every pane filled, then the bots' live lines.
tmux_ new-session -d -s kw -x 120 -y 40 "$demo_env $work/keywarden demo"
wait_for Clock Network Keys Permissions "Audit log" Hygiene Activity "secret redacted" refreshed
sleep "$settle"
shot dashboard-wide

# The detail view of the Permissions pane (three tabs from Clock).
tmux_ send-keys -t kw Tab Tab Tab
sleep 0.3
tmux_ send-keys -t kw Enter
wait_for "Permissions ✗ · details"
# The exchange's own names are near the end of the details: page down to them.
for _ in $(seq 20); do
	case $(tmux_ capture-pane -p -t kw) in *enableWithdrawals*) break ;; esac
	tmux_ send-keys -t kw PageDown
	sleep 0.3
done
wait_for "Permissions ✗ · details" enableWithdrawals
shot detail
tmux_ send-keys -t kw Escape
sleep 0.5

# The audit log filtered on a cause tag.
tmux_ send-keys -t kw /
tmux_ send-keys -t kw -l "[clock]"
tmux_ send-keys -t kw Enter
wait_for "/[clock]" "-1021 [clock]"
shot audit-filter
tmux_ send-keys -t kw Escape
sleep 0.5

# The dashboard, narrow (80×24, the classic terminal).
tmux_ send-keys -t kw BTab BTab BTab BTab # focus back on Clock
tmux_ resize-window -t kw -x 80 -y 24
wait_for "── Network" "q quit"
sleep 1
shot dashboard-narrow
tmux_ send-keys -t kw q
sleep 0.5
tmux_ kill-server 2>/dev/null || true

# The check report of the same world, in colour (a terminal, so colours on).
printf '%s\n' "$work/keywarden demo --check" 'rc=$?' 'echo' 'echo "exit status $rc"' 'exec sleep 600' >"$work/check.sh"
tmux_ new-session -d -s kw -x 100 -y 90 "$demo_env sh $work/check.sh"
wait_for "exit status 2"
last=$(tmux_ capture-pane -p -t kw | grep -n 'exit status 2' | cut -d: -f1)
shot check -S 0 -E $((last - 3))
tmux_ kill-server 2>/dev/null || true

# The intruder in the Activity pane: it strikes 5 s in (the demo's test
# hook), the pane's next poll shows the withdrawal and, once the bots' log
# has moved 30 s past it, the foreign order; then its detail view.
tmux_ new-session -d -s kw -x 120 -y 40 "$demo_env KEYWARDEN_DEMO_INTRUDER_AFTER=5s $work/keywarden demo"
wait_for Clock Activity refreshed
tmux_ send-keys -t kw Tab Tab Tab Tab Tab Tab # focus Activity
# Each pane polls each minute; `r` polls now. Up to three minutes.
found=0
for _ in $(seq 18); do
	sleep 10
	tmux_ send-keys -t kw r
	sleep 2
	case $(tmux_ capture-pane -p -t kw) in
	*"did not place"*"move out of the account"*) found=1 && break ;;
	esac
done
if [ $found = 0 ]; then
	echo "screenshots: the Activity pane never showed the intrusion" >&2
	tmux_ capture-pane -p -t kw >&2
	exit 1
fi
wait_for "did not place" "move out of the account"
shot activity
tmux_ send-keys -t kw Enter
wait_for "Activity ✗ · details"
shot activity-detail
tmux_ send-keys -t kw q
