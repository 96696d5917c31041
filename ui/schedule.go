package ui

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

// Runner runs the checks whose ids are listed, for every profile they apply
// to, and returns their results. The dashboard calls it from tea.Cmds, never
// from Update; it must be safe for concurrent use and honour ctx.
type Runner func(ctx context.Context, ids []string) []checks.Result

// AuditFeed starts following one profile's audit log and returns a channel
// of batches of parsed, classified and redacted entries (the last few lines
// first, then appends). The channel is closed when ctx ends.
type AuditFeed func(ctx context.Context) <-chan []auditlog.Entry

// Group is a set of checks refreshed together: the checks of one section
// of the check specs (one pane), at the shortest cadence among them.
type Group int

// Check groups, one per pane.
const (
	GroupClock       = Group(checks.SectionClock)
	GroupNetwork     = Group(checks.SectionNetwork)
	GroupKeys        = Group(checks.SectionKeys)
	GroupPermissions = Group(checks.SectionPermissions)
	GroupAudit       = Group(checks.SectionAudit)
	GroupHygiene     = Group(checks.SectionHygiene)
	numGroups        = Group(checks.NumSections)
)

// groupSpec is what a group runs and how often.
type groupSpec struct {
	ids   []string
	every time.Duration
}

var groups = func() (gs [numGroups]groupSpec) {
	for _, s := range checks.Specs() {
		g := &gs[s.Section]
		g.ids = append(g.ids, s.ID)
		if g.every == 0 || s.Every < g.every {
			g.every = s.Every
		}
	}
	return gs
}()

// String names the group after its pane ("clock", "audit log", …).
func (g Group) String() string { return strings.ToLower(checks.Section(g).String()) }

// runTimeout bounds one group refresh; the checks have their own, shorter
// per-check deadlines, this only keeps a stuck runner from pinning a group.
const runTimeout = 2 * time.Minute

// fetch runs one group. Everything it uses is captured by value now.
func fetch(ctx context.Context, run Runner, g Group, gen int, now func() time.Time, secrets []keystore.Secret) tea.Cmd {
	ids := groups[g].ids
	return func() tea.Msg {
		defer guard(secrets)
		ctx, cancel := context.WithTimeout(ctx, runTimeout)
		defer cancel()
		rs := run(ctx, ids)
		out := make([]checks.Result, len(rs))
		for i, r := range rs {
			out[i] = normalize(r)
		}
		return ResultsMsg{Group: g, Gen: gen, Results: out, At: now()}
	}
}

// tick arms the next periodic refresh of g. Unlike tea.Tick it ends when
// ctx does, so no timer goroutine outlives the dashboard.
func tick(ctx context.Context, g Group, gen int) tea.Cmd {
	return after(ctx, groups[g].every, func(time.Time) tea.Msg { return tickMsg{Group: g, Gen: gen} })
}

// everyMinute arms the next minute redraw, aligned to the wall-clock minute.
// now is the dashboard's clock (injected in tests and the demo).
func everyMinute(ctx context.Context, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		t := now()
		return after(ctx, t.Truncate(time.Minute).Add(time.Minute).Sub(t), func(time.Time) tea.Msg { return minuteMsg{At: now()} })()
	}
}

// after waits d, then returns fn's message; nil when ctx ends first.
func after(ctx context.Context, d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	return func() tea.Msg {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case now := <-t.C:
			return fn(now)
		case <-ctx.Done():
			return nil
		}
	}
}

// normalize turns a result's details into plain JSON values (string,
// float64, bool, []any, map[string]any) so the panes read every check's
// details the same way, whatever Go types the check used.
func normalize(r checks.Result) checks.Result {
	if r.Details == nil {
		return r
	}
	b, err := json.Marshal(r.Details)
	if err != nil {
		return r
	}
	var d map[string]any
	if json.Unmarshal(b, &d) == nil {
		r.Details = d
	}
	return r
}

// startAudit starts a profile's feed.
func startAudit(ctx context.Context, profile string, feed AuditFeed) tea.Cmd {
	return func() tea.Msg { return auditStartedMsg{Profile: profile, Ch: feed(ctx)} }
}

// waitAudit waits for the next batch of a profile's feed.
func waitAudit(profile string, ch <-chan []auditlog.Entry, now func() time.Time) tea.Cmd {
	return func() tea.Msg {
		es, ok := <-ch
		if !ok {
			return auditClosedMsg{Profile: profile}
		}
		return AuditMsg{Profile: profile, Entries: es, At: now()}
	}
}
