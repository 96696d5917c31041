package ui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/checks"
)

// PaneID names a pane; results and keys are routed by it.
type PaneID int

// Panes, in focus order: one per section of the check specs, so a check's
// spec alone decides where it is shown.
const (
	PaneClock       = PaneID(checks.SectionClock)
	PaneNetwork     = PaneID(checks.SectionNetwork)
	PaneKeys        = PaneID(checks.SectionKeys)
	PanePermissions = PaneID(checks.SectionPermissions)
	PaneAudit       = PaneID(checks.SectionAudit)
	PaneHygiene     = PaneID(checks.SectionHygiene)
	PaneActivity    = PaneID(checks.SectionActivity)
	numPanes        = PaneID(checks.NumSections)
)

// String is the pane's title.
func (p PaneID) String() string { return checks.Section(p).String() }

// paneChecks says which check ids each pane shows, in display order.
var paneChecks = func() (ids [numPanes][]string) {
	for p := range numPanes {
		ids[p] = checks.SectionIDs(checks.Section(p))
	}
	return ids
}()

// paneOf returns the pane that shows check id.
func paneOf(id string) (PaneID, bool) {
	s, ok := checks.SpecFor(id)
	return PaneID(s.Section), ok
}

// paneData is routed to a pane whenever its results, the selected profile
// or the clock change.
type paneData struct {
	Results []checks.Result // this pane's results, all profiles, in order
	Profile string          // selected profile, "" for all
	Now     time.Time
}

// checkPane shows one line per result (or per finding) of its checks.
type checkPane struct {
	id     PaneID
	st     Styles
	format formatter
	data   paneData
	cache  []line // lines for data, made when data or styles change
	w, h   int
}

func newCheckPane(id PaneID, st Styles, f formatter) *checkPane {
	return &checkPane{id: id, st: st, format: f}
}

func (p *checkPane) Init() tea.Cmd { return nil }

func (p *checkPane) Update(msg tea.Msg) tea.Cmd {
	if d, ok := msg.(paneData); ok {
		p.data = d
		p.cache = p.render()
	}
	return nil
}

func (p *checkPane) SetSize(w, h int) { p.w, p.h = w, h }

func (p *checkPane) Bindings() []key.Binding { return nil }

// Title is the pane's name with the worst status of what it shows.
func (p *checkPane) Title() string {
	rs := p.visible()
	if len(rs) == 0 {
		return p.id.String()
	}
	w := checks.OK
	for _, r := range rs {
		w = checks.Worst(w, r.Status)
	}
	return p.id.String() + " " + glyph(w)
}

// visible is the results for the selected profile plus host-scope ones.
func (p *checkPane) visible() []checks.Result {
	return forProfile(p.data.Results, p.data.Profile)
}

func (p *checkPane) lines() []line {
	if p.cache == nil {
		p.cache = p.render()
	}
	return p.cache
}

func (p *checkPane) render() []line {
	rs := p.visible()
	if len(rs) == 0 {
		msg := "no checks apply"
		switch {
		case p.data.Results == nil:
			msg = "… checking"
		case p.data.Profile != "":
			msg = "nothing to check for " + p.data.Profile
		}
		return []line{{checks.OK, p.st.Muted.Render(msg)}}
	}
	return p.format(p.st, rs, p.data.Now)
}

// Want is how many content lines the pane would like.
func (p *checkPane) Want() int { return len(p.lines()) }

func (p *checkPane) View() string {
	return fit(strings.Join(clip(p.lines(), p.h, p.st), "\n"), p.w, p.h)
}

// Detail is the pane's full content for the detail view.
func (p *checkPane) Detail() string { return detailOf(p.st, p.visible()) }

// forProfile keeps host-scope results and those of profile ("" keeps all).
func forProfile(rs []checks.Result, profile string) []checks.Result {
	if profile == "" {
		return rs
	}
	var out []checks.Result
	for _, r := range rs {
		if r.Profile == "" || r.Profile == profile {
			out = append(out, r)
		}
	}
	return out
}

func (p *checkPane) setStyles(st Styles) { p.st, p.cache = st, nil }
