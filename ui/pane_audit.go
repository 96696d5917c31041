package ui

import (
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange"
)

// auditKeep is how many entries the pane keeps (all profiles together).
const auditKeep = 500

// sparkMinutes is the sparkline's span, one cell per minute.
const sparkMinutes = 10

// auditRow is one followed entry with the profile whose log it came from and
// when it happened (the arrival time when the line has none).
type auditRow struct {
	Profile string
	At      time.Time
	Entry   auditlog.Entry
}

// filterKeys are the keys the audit pane handles while the filter is typed.
type filterKeys struct{ Apply, Cancel, Erase key.Binding }

// auditPane follows the audit logs live: a stats line with per-minute
// sparklines of calls and errors, then the newest entries, optionally
// filtered.
type auditPane struct {
	st      Styles
	keys    filterKeys
	rows    []auditRow
	counts  map[string]*auditlog.Stats // per profile, and "" for all
	data    paneData                   // the auditlog check's results
	filter  string
	editing bool
	w, h    int
}

func newAuditPane(st Styles) *auditPane {
	return &auditPane{st: st, counts: map[string]*auditlog.Stats{}, keys: filterKeys{
		Apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Erase:  key.NewBinding(key.WithKeys("backspace"), key.WithHelp("backspace", "erase")),
	}}
}

// startFilter is sent to the audit pane by `/`.
type startFilter struct{}

func (p *auditPane) Init() tea.Cmd { return nil }

func (p *auditPane) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case paneData:
		p.data = msg
	case AuditMsg:
		p.add(msg)
	case startFilter:
		p.editing = true
	case tea.KeyPressMsg:
		p.edit(msg)
	}
	return nil
}

func (p *auditPane) add(msg AuditMsg) {
	// The counters' clock must not be behind the entries they count, even
	// when the log answers before the first check does.
	p.data.Now = later(p.data.Now, msg.At)
	for _, e := range msg.Entries {
		at := e.Time
		if at.IsZero() {
			at = msg.At
		}
		p.rows = append(p.rows, auditRow{Profile: msg.Profile, At: at, Entry: e})
		p.counter("").Add(e)
		p.counter(msg.Profile).Add(e)
	}
	// Several logs arrive in separate batches (each with its backlog); keep
	// one timeline.
	byTime := func(a, b auditRow) int { return a.At.Compare(b.At) }
	if !slices.IsSortedFunc(p.rows, byTime) {
		slices.SortStableFunc(p.rows, byTime)
	}
	// Trim in steps, not on every batch, so a busy log does not copy the
	// whole buffer each time.
	if n := len(p.rows) - auditKeep; n > auditKeep/5 {
		p.rows = append([]auditRow(nil), p.rows[n:]...)
	}
}

// edit handles a key while the filter is being typed.
func (p *auditPane) edit(k tea.KeyPressMsg) {
	switch {
	case key.Matches(k, p.keys.Apply):
		p.editing = false
	case key.Matches(k, p.keys.Cancel):
		p.editing, p.filter = false, ""
	case key.Matches(k, p.keys.Erase):
		if r := []rune(p.filter); len(r) > 0 {
			p.filter = string(r[:len(r)-1])
		}
	default:
		if t := k.Key().Text; t != "" {
			p.filter += t
		}
	}
}

// Editing reports whether the filter is being typed (keys go to the pane).
func (p *auditPane) Editing() bool { return p.editing }

func (p *auditPane) SetSize(w, h int) { p.w, p.h = w, h }

func (p *auditPane) Bindings() []key.Binding {
	if p.editing {
		return []key.Binding{p.keys.Apply, p.keys.Cancel}
	}
	return nil
}

func (p *auditPane) Title() string {
	t := PaneAudit.String()
	if p.data.Profile != "" {
		t += "  " + p.data.Profile
	}
	rs := forProfile(p.data.Results, p.data.Profile)
	if len(rs) > 0 {
		w := checks.OK
		for _, r := range rs {
			w = checks.Worst(w, r.Status)
		}
		t += " " + glyph(w)
	}
	if p.filter != "" {
		t += "  /" + p.filter
	}
	return t
}

// visible is the followed rows of the selected profile that match the filter.
func (p *auditPane) visible() []auditRow {
	var out []auditRow
	for i := range p.rows {
		if p.shown(&p.rows[i]) {
			out = append(out, p.rows[i])
		}
	}
	return out
}

// shown reports whether a row passes the profile and the filter.
func (p *auditPane) shown(r *auditRow) bool {
	if p.data.Profile != "" && r.Profile != p.data.Profile {
		return false
	}
	return p.filter == "" || strings.Contains(strings.ToLower(p.plain(*r)), strings.ToLower(p.filter))
}

// lines renders the stats line and at most the newest limit entries
// (limit < 0: all of them); only what can be shown is formatted.
func (p *auditPane) lines(limit int) []string {
	rs := forProfile(p.data.Results, p.data.Profile)
	if len(p.rows) == 0 {
		if len(rs) == 0 {
			return []string{p.st.Muted.Render("… waiting for the audit log")}
		}
		return texts(summaryLines(p.st, rs, p.data.Now))
	}
	// Walk back from the newest row: only what is shown is copied.
	var rows []auditRow
	for i := len(p.rows) - 1; i >= 0 && (limit < 0 || len(rows) < limit); i-- {
		if p.shown(&p.rows[i]) {
			rows = append(rows, p.rows[i])
		}
	}
	slices.Reverse(rows)
	out := []string{p.stats()}
	for _, r := range rows {
		out = append(out, p.line(r))
	}
	switch {
	case len(out) > 1:
	case p.filter != "":
		out = append(out, p.st.Muted.Render("no entries match /"+p.filter))
	case p.data.Profile != "":
		out = append(out, p.st.Muted.Render("no entries from "+p.data.Profile+"'s log yet"))
	}
	return out
}

// Want is the stats line and every kept entry: the audit log takes what
// room the other panes leave.
func (p *auditPane) Want() int {
	if len(p.rows) == 0 {
		return max(len(p.lines(0)), 4)
	}
	n := 0
	for i := range p.rows {
		if p.shown(&p.rows[i]) {
			n++
		}
	}
	return max(1+n, 4)
}

func (p *auditPane) View() string {
	h := p.h
	var input string
	if p.editing {
		input = p.st.Brand.Render("/") + p.filter + "▏" + p.st.Muted.Render("  enter apply · esc clear")
		h--
	}
	// The stats line, then the newest entries that fit.
	ls := p.lines(max(h-1, 0))
	if input != "" {
		// The prompt sits on the pane's last line, under the entries.
		if h <= 0 {
			return fit(input, p.w, p.h)
		}
		return fit(strings.Join(ls, "\n"), p.w, h) + "\n" + fit(input, p.w, 1)
	}
	return fit(strings.Join(ls, "\n"), p.w, p.h)
}

// Detail is every kept entry (filtered) as raw lines, after the check's
// own results.
func (p *auditPane) Detail() string {
	var b strings.Builder
	b.WriteString(detailOf(p.st, forProfile(p.data.Results, p.data.Profile)))
	rows := p.visible()
	if len(rows) > 0 {
		b.WriteString("\n\n" + p.st.Title.Render("entries") + "\n")
	}
	for _, r := range rows {
		b.WriteString(p.line(r) + "\n")
		if r.Entry.Raw != "" {
			b.WriteString("  " + p.st.Muted.Render(r.Entry.Raw) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// stats is the first line: sparklines of calls and errors per minute over
// the last minutes, errors in the last hour and redacted leaks, from the
// auditlog's own counters.
func (p *auditPane) stats() string {
	sn := p.counter(p.data.Profile).Snapshot()
	calls := sn.CallsPerMinute[len(sn.CallsPerMinute)-sparkMinutes:]
	errs := sn.ErrorsPerMinute[len(sn.ErrorsPerMinute)-sparkMinutes:]
	s := "calls/min " + p.st.Sparkline.Render(sparkline(calls)) + " " + itoa(calls[sparkMinutes-1]) +
		" · errors " + p.st.Status[checks.Crit].Render(sparkline(errs)) + " " + itoa(sn.ErrorsHour) + "/h"
	if sn.Leaks > 0 {
		word := " secrets redacted"
		if sn.Leaks == 1 {
			word = " secret redacted"
		}
		s += " · " + p.st.mark(checks.Crit) + " " + itoa(sn.Leaks) + word
	}
	return s
}

// counter is the Stats of a profile ("" for all), made on first use. Its
// clock is the pane's, so counts move with the minute redraw and tests are
// deterministic.
func (p *auditPane) counter(profile string) *auditlog.Stats {
	s, ok := p.counts[profile]
	if !ok {
		s = auditlog.NewStats(func() time.Time { return p.data.Now })
		p.counts[profile] = s
	}
	return s
}

var sparkRunes = []rune("▁▂▃▄▅▆▇█")

// sparkline renders counts as block characters scaled to the largest.
func sparkline(ns []int) string {
	top := 0
	for _, n := range ns {
		top = max(top, n)
	}
	out := make([]rune, len(ns))
	for i, n := range ns {
		if top == 0 || n == 0 {
			out[i] = sparkRunes[0]
			continue
		}
		out[i] = sparkRunes[1+(n*(len(sparkRunes)-2)+top-1)/top]
	}
	return string(out)
}

// plain is a row's text without styles, used for filtering.
func (p *auditPane) plain(r auditRow) string {
	e := r.Entry
	parts := []string{r.At.Format("15:04:05"), levelWord(e), r.Profile, e.Op, e.Code}
	if e.Cause != exchange.CauseNone {
		parts = append(parts, "["+string(e.Cause)+"]")
	}
	return strings.Join(append(parts, e.Message), " ")
}

// line renders a row: time, level, profile (when all are shown), operation,
// exchange code, cause tag, message, and a redaction mark.
func (p *auditPane) line(r auditRow) string {
	e := r.Entry
	lvl := levelWord(e)
	ls := p.st.Muted
	switch {
	case e.IsError():
		ls = p.st.Status[checks.Crit]
	case e.Level == auditlog.LevelWarn:
		ls = p.st.Status[checks.Warn]
	}
	parts := []string{p.st.Muted.Render(r.At.Format("15:04:05")), ls.Render(lvl)}
	if p.data.Profile == "" && r.Profile != "" {
		parts = append(parts, r.Profile)
	}
	for _, s := range []string{e.Op, e.Code} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if e.Cause != exchange.CauseNone {
		parts = append(parts, ls.Render("["+string(e.Cause)+"]"))
	}
	if e.Message != "" && e.Message != e.Op {
		parts = append(parts, e.Message)
	}
	if e.Redacted {
		parts = append(parts, p.st.Status[checks.Crit].Render("✗ secret redacted"))
	}
	return strings.Join(parts, " ")
}

// levelWord is the entry's level, upper case and five wide.
func levelWord(e auditlog.Entry) string {
	l := strings.ToUpper(string(e.Level))
	if l == "" {
		l = "-"
	}
	if len(l) > 5 {
		l = l[:5]
	}
	return l + strings.Repeat(" ", 5-len(l))
}

func (p *auditPane) setStyles(st Styles) { p.st = st }

// clearFilter drops the filter (esc outside the filter prompt).
func (p *auditPane) clearFilter() { p.filter, p.editing = "", false }
