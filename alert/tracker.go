package alert

import (
	"sort"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// Transition is a change the Tracker saw in one check's status, or a
// reminder that a check is still crit.
type Transition struct {
	Check    string
	Profile  string
	Old      checks.Status
	New      checks.Status
	Summary  string
	Hint     string
	Since    time.Time // when the check entered New
	At       time.Time
	Reminder bool
}

// Tracker remembers each check's last status and reports transitions. A
// check seen for the first time is compared with ok, so a watch that starts
// on a broken host says so at once, and a healthy start is silent.
//
// A check missing from a run keeps its state: checks on a slower cadence
// are not in every run.
type Tracker struct {
	// Renotify is how long a check may stay crit before a reminder; 0
	// disables reminders.
	Renotify time.Duration

	states map[string]*trackState
}

type trackState struct {
	status   checks.Status
	since    time.Time
	notified time.Time // last transition or reminder
}

// NewTracker returns a tracker with the given re-notify interval.
func NewTracker(renotify time.Duration) *Tracker {
	return &Tracker{Renotify: renotify, states: map[string]*trackState{}}
}

// Observe records one run's results and returns the transitions, in the
// order of rs.
func (t *Tracker) Observe(rs []checks.Result, now time.Time) []Transition {
	var out []Transition
	for _, r := range rs {
		key := r.Key()
		st, seen := t.states[key]
		if !seen {
			st = &trackState{status: checks.OK, since: now, notified: now}
			t.states[key] = st
		}
		tr := Transition{Check: r.ID, Profile: r.Profile, Old: st.status, New: r.Status, Summary: r.Summary, Hint: r.Hint, At: now}
		switch {
		case r.Status != st.status:
			st.status, st.since, st.notified = r.Status, now, now
			tr.Since = now
			out = append(out, tr)
		case r.Status == checks.Crit && t.Renotify > 0 && now.Sub(st.notified) >= t.Renotify:
			st.notified = now
			tr.Since, tr.Reminder = st.since, true
			out = append(out, tr)
		}
	}
	return out
}

// classify decides whether a notifier with min_status min hears about t,
// and as what kind of alert. A notifier hears about a check reaching min or
// worse, about every change while it stays there, and about its recovery
// below min.
func classify(t Transition, min checks.Status) (Kind, bool) {
	atLeast := func(s checks.Status) bool { return !min.Worse(s) }
	switch {
	case t.Reminder:
		return Reminder, atLeast(t.New)
	case atLeast(t.New) && t.New != checks.OK:
		if t.New.Worse(t.Old) {
			return Firing, true
		}
		return Changed, true
	case atLeast(t.Old) && t.Old != checks.OK:
		return Resolved, true
	}
	return "", false
}

// limiter is a per-notifier token bucket: at most Burst alerts per Window.
// When a batch does not fit, the alerts that do not fit are folded into one
// Suppressed alert that carries each of them (fold), sent in the same
// batch: on the last token, or on one borrowed from the next refill when
// none is left. Only while a borrowed token is unpaid do held alerts wait,
// at most Window/Burst, and then go out in one fold, so over time the
// limit holds give or take one alert.
//
// Crits of a new finding are limited too: an intrusion on several profiles
// at once is exactly such a storm, the fold shows every alert's evidence in
// one message instead of a run of pings, and chat APIs throttle a burst
// anyway (Telegram's bot FAQ asks for at most about 20 messages a minute
// to a group; Slack and Discord answer 429), which would only delay the
// later crits by retries.
type limiter struct {
	burst  int
	window time.Duration
	tokens float64
	last   time.Time
	held   []Alert // waiting to be folded into a Suppressed alert
}

func newLimiter(burst int, window time.Duration) *limiter {
	return &limiter{burst: burst, window: window, tokens: float64(burst)}
}

// admit returns what to send of batch (already ordered worst first) and
// what was held back, ready to fold into one Suppressed alert (empty:
// nothing to fold now).
func (l *limiter) admit(batch []Alert, now time.Time) (send, held []Alert) {
	if l.burst <= 0 {
		return batch, nil
	}
	if !l.last.IsZero() && l.window > 0 {
		l.tokens += float64(l.burst) * float64(now.Sub(l.last)) / float64(l.window)
		if l.tokens > float64(l.burst) {
			l.tokens = float64(l.burst)
		}
	}
	l.last = now
	avail := int(l.tokens)
	if len(l.held) == 0 && len(batch) <= avail {
		l.tokens -= float64(len(batch))
		return batch, nil
	}
	n := min(max(avail-1, 0), len(batch)) // keep one token for the fold
	send = batch[:n]
	l.held = append(l.held, batch[n:]...)
	l.tokens -= float64(n)
	if l.tokens < 0 {
		return send, nil // the last fold's borrowed token is not paid back yet
	}
	l.tokens--
	held, l.held = l.held, nil
	return send, held
}

// order sorts a batch so the most urgent alerts come first: worse new
// status first, recoveries last, otherwise in check order.
func order(batch []Alert) {
	rank := func(a Alert) int {
		if a.Kind == Resolved {
			return -1
		}
		return map[checks.Status]int{checks.Crit: 3, checks.Unknown: 2, checks.Warn: 1}[a.New]
	}
	sort.SliceStable(batch, func(i, j int) bool { return rank(batch[i]) > rank(batch[j]) })
}
