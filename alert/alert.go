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
	"strings"
	"time"

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
}

// Subject is the one-line headline of the alert, e.g.
// "CRIT key.permissions binance-main on vps-1: withdrawals enabled".
func (a Alert) Subject() string {
	switch a.Kind {
	case Suppressed:
		return fmt.Sprintf("%s %d more alerts on %s held back (burst limit)", tag(a), len(a.Held), a.Host)
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

// Text is the plain-text body: subject, transition, hint. Used as is by
// Telegram and ntfy and as the fallback text of Slack and Discord.
func (a Alert) Text() string {
	var b strings.Builder
	b.WriteString(a.Subject())
	b.WriteString("\n")
	for _, l := range a.Lines() {
		b.WriteString(l)
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// Lines are the body lines after the subject.
func (a Alert) Lines() []string {
	if a.Kind == Test {
		return []string{"sent by `keywarden alert test` on " + a.Host + "; nothing is wrong"}
	}
	if a.Kind == Suppressed {
		ls := []string{fmt.Sprintf("worst: %s", a.New)}
		held := a.Held
		const show = 10
		if len(held) > show {
			held = held[:show]
		}
		ls = append(ls, "held back: "+strings.Join(held, ", "))
		if len(a.Held) > show {
			ls[len(ls)-1] += fmt.Sprintf(" and %d more", len(a.Held)-show)
		}
		return append(ls, fmt.Sprintf("run `keywarden check` on %s for the full picture", a.Host))
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
