#!/usr/bin/env bash
# Measures `keywarden demo` in a real terminal (tmux):
#
#  1. start to first full frame: the time from starting the process to the
#     first screen tmux holds in which every pane shows content (all six
#     titles, no "… checking", the audit backlog read: "secret(s) redacted").
#     The screen is polled with `tmux capture-pane` in a tight loop, so each
#     number is late by at most one poll (a few ms). RUNS runs (default 10);
#     min / median / max are printed.
#  2. idle: after the first frame and SETTLE seconds (default 5), CPU time
#     (utime+stime from /proc/PID/stat) over IDLE seconds (default 60) as a
#     percentage of one core, and VmRSS / VmHWM from /proc/PID/status. The
#     process holds the whole simulated world too: 3 fake exchanges, 3 NTP
#     responders, 3 IP echoes and 3 bots writing their logs every 2.5–4 s.
#
#   scripts/bench-demo.sh                 # 10 starts, 60 s idle
#   RUNS=3 IDLE=10 scripts/bench-demo.sh  # quick
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10}
idle=${IDLE:-60}
settle=${SETTLE:-5}
work=$(mktemp -d)
sock=kwbench-$$
tmux_() { tmux -L "$sock" -f /dev/null "$@"; }
cleanup() {
	tmux_ kill-server 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

(cd "$root" && go build -o "$work/keywarden" .)
env_="env -i PATH=$PATH HOME=$work TERM=xterm-256color COLORTERM=truecolor"

now_ns() { date +%s%N; }

# full reports whether the screen is a full frame.
full() {
	local s=$1
	for w in Clock Network Keys Permissions "Audit log" Hygiene "secret(s) redacted"; do
		case $s in *"$w"*) ;; *) return 1 ;; esac
	done
	case $s in *"… checking"* | *"waiting for the audit log"*) return 1 ;; esac
	return 0
}

# start launches the demo at 120×40 and prints the ms to its first full frame.
start() {
	local t0 t1 s
	t0=$(now_ns)
	tmux_ new-session -d -s kw -x 120 -y 40 "exec $env_ $work/keywarden demo"
	for _ in $(seq 20000); do
		s=$(tmux_ capture-pane -p -t kw 2>/dev/null || true)
		if full "$s"; then
			t1=$(now_ns)
			echo $(((t1 - t0) / 1000000))
			return 0
		fi
	done
	echo "bench-demo: no full frame:" >&2
	echo "$s" >&2
	return 1
}

times=()
for i in $(seq "$runs"); do
	ms=$(start)
	times+=("$ms")
	if [ "$i" -lt "$runs" ]; then
		tmux_ kill-server
		sleep 0.5
	fi
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
min=$(echo "$sorted" | head -1)
max=$(echo "$sorted" | tail -1)
med=$(echo "$sorted" | sed -n "$(((runs + 1) / 2))p")
echo "start to first full frame (120x40, $runs runs): min ${min} ms, median ${med} ms, max ${max} ms"

# The last run stays up for the idle measurement. With exec, the pane's
# process is keywarden itself.
pid=$(tmux_ display -p -t kw '#{pane_pid}')
sleep "$settle"
hz=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
c0=$(ticks "$pid")
t0=$(now_ns)
sleep "$idle"
c1=$(ticks "$pid")
t1=$(now_ns)
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
awk -v c=$((c1 - c0)) -v hz="$hz" -v ns=$((t1 - t0)) -v rss="$rss" -v hwm="$hwm" 'BEGIN {
	s = ns / 1e9
	printf "idle %.0f s with 3 profiles: CPU %.2f%% of one core (%d ticks at %d Hz), RSS %.1f MB (peak %.1f MB)\n",
		s, 100 * c / hz / s, c, hz, rss / 1024, hwm / 1024
}'
tmux_ send-keys -t kw q
