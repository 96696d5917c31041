// Package alert is what `keywarden watch` uses to tell a trader that
// something changed: a state machine that turns check results into
// transitions (ok→warn, warn→crit, crit→ok "resolved", reminders for
// unresolved crits), notifiers with the real request shapes of a generic
// webhook (HMAC-signed), Slack, Discord, Telegram and ntfy, a dispatcher that
// retries with backoff without ever blocking the checks, and the Prometheus
// metrics `watch` serves.
//
// Nothing here prints a secret: alert text is built only from a check's id,
// profile, status, summary and hint, and passes through a Scrubber that knows
// every stored secret before it leaves the process or reaches a log.
package alert

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keywarden/keywarden/checks"
)

// Kind says why an alert is sent.
type Kind string

// Kinds of alert.
const (
	// Firing: a check got worse and is now at or above the notifier's
	// min_status.
	Firing Kind = "firing"
	// Changed: a check moved between two statuses that are both at or above
	// min_status without getting worse (crit→warn with min_status warn).
	Changed Kind = "changed"
	// Resolved: a check dropped below min_status (crit→ok).
	Resolved Kind = "resolved"
	// Reminder: a check has stayed crit for the re-notify interval.
	Reminder Kind = "reminder"
	// Suppressed: alerts held back by the burst limit, folded into one.
	Suppressed Kind = "suppressed"
	// Test: sent by `keywarden alert test` to prove a notifier delivers.
	Test Kind = "test"
)

// Alert is one message to a notifier. It carries only what a check reports
// publicly (id, profile, statuses, summary, hint) — never a secret.
type Alert struct {
	// ID is unique per alert and stays the same across delivery retries, so
	// a receiver can drop duplicates.
	ID      string
	Kind    Kind
	Host    string
	Profile string // "" for host-scope checks
	Check   string // check id, e.g. "key.permissions"; "" for Suppressed
	Old     checks.Status
	New     checks.Status
	Summary string
	Hint    string
	Since   time.Time // when the check entered New
	At      time.Time // when the alert was made

	// Held is, for Suppressed alerts, the check keys ("id/profile") of the
	// alerts folded into this one.
	Held []string
	// HeldAlerts is, for Suppressed alerts, what each folded alert would
	// have said, worst first: folding must not lose the evidence (which
	// order, which withdrawal). Empty in a Suppressed alert restored from a
	// state file written before it existed.
	HeldAlerts []HeldAlert
}

// HeldAlert is one alert the burst limit folded into a Suppressed one.
type HeldAlert struct {
	Kind    Kind          `json:"kind"`
	Check   string        `json:"check"`
	Profile string        `json:"profile"`
	Old     checks.Status `json:"old_status"`
	New     checks.Status `json:"new_status"`
	Summary string        `json:"summary"`
	Hint    string        `json:"hint"`
}

// fold is the Suppressed alert holding held (worst first, as order sorts).
// held and host are scrubbed already: the alerts were when they were made.
func fold(held []Alert, host string, now time.Time) Alert {
	order(held)
	s := Alert{ID: newID(), Kind: Suppressed, Host: host, New: checks.OK, At: now}
	for _, a := range held {
		s.New = checks.Worst(s.New, a.New)
		s.Held = append(s.Held, a.Key())
		s.HeldAlerts = append(s.HeldAlerts, HeldAlert{Kind: a.Kind, Check: a.Check, Profile: a.Profile, Old: a.Old, New: a.New, Summary: a.Summary, Hint: a.Hint})
	}
	return s
}

// heldLineMax bounds one held alert's line, so that one long summary
// cannot crowd the others out of a chat message.
const heldLineMax = 400

// line is h as one line of a Suppressed alert's body, with its hint when h
// is crit and the hint fits within heldLineMax.
func (h HeldAlert) line(withHint bool) string {
	s := tag(Alert{Kind: h.Kind, New: h.New}) + " " + Alert{Check: h.Check, Profile: h.Profile}.Key()
	if h.Summary != "" {
		s += ": " + h.Summary
	}
	s = clip(s, heldLineMax)
	if withHint && h.Hint != "" && h.New == checks.Crit && h.Kind != Resolved {
		if l := s + " (hint: " + h.Hint + ")"; utf8.RuneCountInString(l) <= heldLineMax {
			s = l
		}
	}
	return s
}

// Subject is the one-line headline of the alert, e.g.
// "CRIT key.permissions binance-main on vps-1: withdrawals enabled".
func (a Alert) Subject() string {
	switch a.Kind {
	case Suppressed:
		noun := "alerts"
		if len(a.Held) == 1 {
			noun = "alert"
		}
		return fmt.Sprintf("%s %d more %s on %s held back (burst limit)", tag(a), len(a.Held), noun, a.Host)
	case Test:
		return "TEST keywarden on " + a.Host + ": this notifier delivers"
	}
	var b strings.Builder
	b.WriteString(tag(a))
	b.WriteString(" ")
	b.WriteString(a.Check)
	if a.Profile != "" {
		b.WriteString(" ")
		b.WriteString(a.Profile)
	}
	b.WriteString(" on ")
	b.WriteString(a.Host)
	if a.Summary != "" {
		b.WriteString(": ")
		b.WriteString(a.Summary)
	}
	return b.String()
}

// tag is the upper-case word that starts a subject.
func tag(a Alert) string {
	switch a.Kind {
	case Resolved:
		return "RESOLVED"
	case Reminder:
		return "STILL " + strings.ToUpper(a.New.String())
	}
	return strings.ToUpper(a.New.String())
}

// Text is the plain-text body: subject, transition, hint. Used by
// Telegram and as the fallback text of Slack and Discord.
func (a Alert) Text() string {
	return a.textWithin(0, nil)
}

// textWithin is Text cut to at most limit units of size (runes when nil; 0:
// no limit) by leaving held alerts out, see linesWithin.
func (a Alert) textWithin(limit int, size func(string) int) string {
	subject := a.Subject()
	if limit > 0 {
		if size == nil {
			size = utf8.RuneCountInString
		}
		limit = max(limit-size(subject)-1, 1)
	}
	return strings.TrimRight(subject+"\n"+strings.Join(a.linesWithin(limit, size), "\n"), "\n")
}

// Lines are the body lines after the subject, in full.
func (a Alert) Lines() []string {
	return a.linesWithin(0, nil)
}

// linesWithin are the body lines after the subject. A Suppressed alert has
// one line per held alert, worst first; when they do not all fit in limit
// units of size (runes when nil; 0: no limit) joined by newlines, the
// hints go first, then the last alerts, and a line says how many are left
// out and where to see them.
func (a Alert) linesWithin(limit int, size func(string) int) []string {
	if a.Kind == Test {
		return []string{"sent by `keywarden alert test` on " + a.Host + "; nothing is wrong"}
	}
	if a.Kind == Suppressed {
		return a.heldLines(limit, size)
	}
	ls := []string{fmt.Sprintf("status: %s → %s", a.Old, a.New)}
	if a.Kind == Reminder && !a.Since.IsZero() {
		ls[0] = fmt.Sprintf("status: %s since %s (%s)", a.New, a.Since.UTC().Format(time.RFC3339), roundDur(a.At.Sub(a.Since)))
	}
	if a.Hint != "" {
		ls = append(ls, "hint: "+a.Hint)
	}
	return ls
}

func (a Alert) heldLines(limit int, size func(string) int) []string {
	head := fmt.Sprintf("worst: %s", a.New)
	tail := fmt.Sprintf("run `keywarden check` on %s for the full picture", a.Host)
	if len(a.HeldAlerts) == 0 {
		// Restored from an older state file: only the keys are known.
		return []string{head, "held back: " + strings.Join(a.Held, ", "), tail}
	}
	if size == nil {
		size = utf8.RuneCountInString
	}
	total := func(ls []string) int {
		n := len(ls) - 1
		for _, l := range ls {
			n += size(l)
		}
		return n
	}
	render := func(withHint bool) []string {
		ls := []string{head}
		for _, h := range a.HeldAlerts {
			ls = append(ls, h.line(withHint))
		}
		return append(ls, tail)
	}
	ls := render(true)
	if limit <= 0 || total(ls) <= limit {
		return ls
	}
	if ls = render(false); total(ls) <= limit {
		return ls
	}
	cut := func(shown int) []string {
		more := fmt.Sprintf("and %d more: run `keywarden check` on %s to see them", len(a.HeldAlerts)-shown, a.Host)
		return append(slices.Clip(ls[:1+shown]), more)
	}
	shown := len(a.HeldAlerts) - 1
	for shown > 0 && total(cut(shown)) > limit {
		shown--
	}
	return cut(shown)
}

// roundDur renders a duration for humans: 3h12m, 45m, 30s.
func roundDur(d time.Duration) string {
	if d >= time.Hour {
		return d.Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}

// Key identifies the check an alert is about ("id/profile" or "id").
func (a Alert) Key() string {
	if a.Profile == "" {
		return a.Check
	}
	return a.Check + "/" + a.Profile
}

// scrubbed returns a copy with every free-text field passed through s.
func (a Alert) scrubbed(s *Scrubber) Alert {
	a.Summary = s.Scrub(a.Summary)
	a.Hint = s.Scrub(a.Hint)
	a.Host = s.Scrub(a.Host)
	return a
}

// TestAlert is the notification `keywarden alert test` sends.
func TestAlert(host string, at time.Time) Alert {
	return Alert{ID: newID(), Kind: Test, Host: host, New: checks.OK, Old: checks.OK, At: at}
}
