// Package ui is keywarden's dashboard: a bubbletea program whose root model
// lays out seven panes (Clock, Network, Keys, Permissions, Audit log, Hygiene, Activity)
// fed by the same checks the `check` command runs. Everything it shows
// arrives as messages from tea.Cmds; nothing in a constructor, Update or
// View does I/O, so the whole UI can be driven in tests with injected
// runners and feeds.
package ui

import (
	"context"
	"io"
	"slices"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

// Options is everything the dashboard needs, injected so `keywarden`,
// `keywarden demo` and tests start the same UI against different worlds.
type Options struct {
	Run      Runner               // runs checks by id; required
	Forget   func()               // drops work the runner caches, so `r` asks the world again (optional)
	Audit    map[string]AuditFeed // audit-log feed per profile name (optional)
	Profiles []string             // profile names, in config order, for `p`
	Host     string               // shown in the header
	Backend  string               // keystore backend in use, shown in the header
	Secrets  []keystore.Secret    // removed from any panic report

	Input   io.Reader // default: the program's stdin (or the tty)
	Output  io.Writer // where the dashboard draws; default os.Stdout
	NoColor bool      // --no-color or NO_COLOR: no colours at all
	Mouse   bool      // click to focus, wheel to scroll details
	FPS     int       // renderer frame cap (default 15: keys feel instant, idle stays cheap)
	Now     func() time.Time
}

// pane is a component that also titles itself, says how many lines it
// would like, and renders its full detail view.
type pane interface {
	component
	Title() string
	Want() int
	Detail() string
	setStyles(Styles)
}

// Model is the dashboard's root model, the only tea.Model in the package.
type Model struct {
	opts Options
	ctx  context.Context
	keys KeyMap
	st   Styles
	help help.Model

	panes [numPanes]pane
	audit *auditPane
	feeds map[string]<-chan []auditlog.Entry // started audit feeds

	gen     [numGroups]int
	results [numGroups][]checks.Result
	done    [numGroups]bool

	profiles  []string // "" (all) first, then each profile
	profile   int
	focus     PaneID
	detail    *detailView
	showHelp  bool
	refreshed time.Time
	now       time.Time

	w, h    int
	resizes int // WindowSizeMsgs seen, so only the last one's repaint runs
	layout  layout
}

// New builds the dashboard for opts. It does no I/O: checks start in Init.
func New(opts Options) Model {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	st := NewStyles(true)
	m := Model{
		opts:     opts,
		ctx:      context.Background(),
		keys:     DefaultKeyMap(),
		st:       st,
		help:     help.New(),
		profiles: append([]string{""}, opts.Profiles...),
		now:      opts.Now(),
		feeds:    map[string]<-chan []auditlog.Entry{},
	}
	m.help.Styles = st.Help
	m.audit = newAuditPane(st)
	m.panes = [numPanes]pane{
		PaneClock:       newCheckPane(PaneClock, st, clockLines),
		PaneNetwork:     newCheckPane(PaneNetwork, st, networkLines),
		PaneKeys:        newCheckPane(PaneKeys, st, keyLines),
		PanePermissions: newCheckPane(PanePermissions, st, permLines),
		PaneAudit:       m.audit,
		PaneHygiene:     newCheckPane(PaneHygiene, st, hygieneLines),
		PaneActivity:    newCheckPane(PaneActivity, st, activityLines),
	}
	return m
}

// WithContext sets the context the dashboard's checks and audit feeds run
// under (default: context.Background()); Run sets it for you.
func (m Model) WithContext(ctx context.Context) Model { m.ctx = ctx; return m }

// Init asks for the background colour, starts every check group and every
// audit feed, arms the minute redraw and passes on each pane's own first
// command.
func (m Model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor, everyMinute(m.ctx, m.opts.Now)}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	for g := range numGroups {
		cmds = append(cmds, fetch(m.ctx, m.opts.Run, g, m.gen[g], m.opts.Now, m.opts.Secrets))
	}
	for _, name := range m.opts.Profiles {
		if f, ok := m.opts.Audit[name]; ok {
			cmds = append(cmds, startAudit(m.ctx, name, f))
		}
	}
	return tea.Batch(cmds...)
}

// Update dispatches: keys to the focused pane or the root, results and
// ticks to their group, audit entries to the audit pane. Every Cmd a pane
// returns is batched into the one Update returns, never dropped.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	defer guard(m.opts.Secrets)
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
		m.resizes++
		// A full repaint now and once more when the resizing has settled:
		// a terminal that shrank then grew again quickly (tmux, a dragged
		// SSH window) may have moved what was drawn under a frame still
		// being written, and a diff against the old frame keeps those
		// lines garbled for good.
		return m.relayout(), tea.Batch(tea.ClearScreen, after(m.ctx, resizeSettle, func(time.Time) tea.Msg { return repaintMsg{m.resizes} }))
	case repaintMsg:
		if msg.resize != m.resizes {
			return m, nil // another resize came since; its own repaint follows
		}
		return m, tea.ClearScreen
	case tea.BackgroundColorMsg:
		return m.restyle(NewStyles(msg.IsDark())), nil
	case tea.KeyPressMsg:
		return m.onKey(msg)
	case tea.MouseClickMsg:
		return m.onClick(msg.Mouse()), nil
	case tea.MouseWheelMsg:
		if m.detail != nil {
			return m, m.detail.Update(msg)
		}
	case ResultsMsg:
		return m.onResults(msg)
	case tickMsg:
		if msg.Gen != m.gen[msg.Group] {
			return m, nil // retired by a refresh in between
		}
		return m.refetch(msg.Group)
	case minuteMsg:
		m.now = msg.At
		var cmd tea.Cmd
		m, cmd = m.route()
		return m, tea.Batch(cmd, everyMinute(m.ctx, m.opts.Now))
	case auditStartedMsg:
		m.feeds[msg.Profile] = msg.Ch
		return m, waitAudit(msg.Profile, msg.Ch, m.opts.Now)
	case auditClosedMsg:
		delete(m.feeds, msg.Profile)
	case AuditMsg:
		// Only the audit pane changed: no need to route every result again.
		cmd := m.panes[PaneAudit].Update(msg)
		m.now = later(m.now, msg.At)
		if m.detail != nil && m.detail.pane == PaneAudit {
			m.detail.SetContent(m.audit.Detail())
		}
		return m.relayout(), tea.Batch(cmd, m.rearmAudit(msg.Profile))
	}
	return m, nil
}

// rearmAudit waits for a feed's next batch.
func (m Model) rearmAudit(profile string) tea.Cmd {
	ch, ok := m.feeds[profile]
	if !ok {
		return nil
	}
	return waitAudit(profile, ch, m.opts.Now)
}

// onResults stores a group's results unless they are stale, and arms the
// group's next refresh.
func (m Model) onResults(msg ResultsMsg) (Model, tea.Cmd) {
	if msg.Gen != m.gen[msg.Group] {
		return m, nil // a newer refresh is on its way
	}
	m.results[msg.Group] = msg.Results
	m.done[msg.Group] = true
	m.refreshed = msg.At
	m.now = later(m.now, msg.At)
	m, cmd := m.route()
	return m, tea.Batch(cmd, tick(m.ctx, msg.Group, msg.Gen))
}

// refetch starts a new generation of group g.
func (m Model) refetch(g Group) (Model, tea.Cmd) {
	m.gen[g]++
	return m, fetch(m.ctx, m.opts.Run, g, m.gen[g], m.opts.Now, m.opts.Secrets)
}

// refreshAll starts a new generation of every group (the `r` key).
func (m Model) refreshAll() (Model, tea.Cmd) {
	var cmds []tea.Cmd
	for g := range numGroups {
		var c tea.Cmd
		m, c = m.refetch(g)
		cmds = append(cmds, c)
	}
	if forget := m.opts.Forget; forget != nil {
		// Forget first, once, then refresh every group.
		return m, tea.Sequence(func() tea.Msg { forget(); return nil }, tea.Batch(cmds...))
	}
	return m, tea.Batch(cmds...)
}

// onKey handles a key press: the filter being typed takes every key, the
// detail view takes what it scrolls with, the root the rest.
func (m Model) onKey(k tea.KeyPressMsg) (Model, tea.Cmd) {
	if k.String() == "ctrl+c" {
		return m, tea.Quit // always, whatever has the keyboard
	}
	if m.audit.Editing() {
		cmd := m.panes[PaneAudit].Update(k)
		var rc tea.Cmd
		m, rc = m.route()
		return m, tea.Batch(cmd, rc)
	}
	if m.detail != nil {
		switch {
		case key.Matches(k, m.keys.Back, m.keys.Detail, m.keys.Quit):
			m.detail = nil
			return m, nil
		}
		return m, m.detail.Update(k)
	}
	var cmd tea.Cmd
	switch {
	case key.Matches(k, m.keys.Quit):
		return m, tea.Quit
	case key.Matches(k, m.keys.Next):
		m.focus = (m.focus + 1) % numPanes
	case key.Matches(k, m.keys.Prev):
		m.focus = (m.focus + numPanes - 1) % numPanes
	case key.Matches(k, m.keys.Up):
		m.focus = m.layout.neighbour(m.focus, -1)
	case key.Matches(k, m.keys.Down):
		m.focus = m.layout.neighbour(m.focus, +1)
	case key.Matches(k, m.keys.Detail):
		return m.openDetail(), nil
	case key.Matches(k, m.keys.Filter):
		m.focus = PaneAudit
		cmd = m.panes[PaneAudit].Update(startFilter{})
	case key.Matches(k, m.keys.Back):
		m.audit.clearFilter()
	case key.Matches(k, m.keys.Profile):
		m.profile = (m.profile + 1) % len(m.profiles)
	case key.Matches(k, m.keys.Refresh):
		return m.refreshAll()
	case key.Matches(k, m.keys.Help):
		m.showHelp = !m.showHelp
	default:
		return m, m.panes[m.focus].Update(k)
	}
	m, rc := m.route()
	return m, tea.Batch(cmd, rc)
}

// onClick focuses the pane under the pointer.
func (m Model) onClick(p tea.Mouse) Model {
	if m.detail != nil {
		return m
	}
	if id, ok := m.layout.at(p.X, p.Y-headerHeight); ok {
		m.focus = id
	}
	return m.relayout()
}

func (m Model) openDetail() Model {
	w, h := m.detailSize()
	m.detail = newDetailView(m.focus, m.panes[m.focus].Detail(), w, h)
	return m
}

// route hands every pane its results, the selected profile and the time,
// then lays the panes out again (their wants may have changed). It returns
// the panes' Cmds, batched.
func (m Model) route() (Model, tea.Cmd) {
	var per [numPanes][]checks.Result
	for g := range numGroups {
		for _, r := range m.results[g] {
			if p, ok := paneOf(r.ID); ok {
				per[p] = append(per[p], r)
			}
		}
	}
	var cmds []tea.Cmd
	for p := range numPanes {
		rs := per[p]
		order := paneChecks[p]
		slices.SortStableFunc(rs, func(a, b checks.Result) int {
			if d := slices.Index(order, a.ID) - slices.Index(order, b.ID); d != 0 {
				return d
			}
			return m.profileIndex(a.Profile) - m.profileIndex(b.Profile)
		})
		if rs == nil && m.paneDone(p) {
			rs = []checks.Result{}
		}
		cmds = append(cmds, m.panes[p].Update(paneData{Results: rs, Profile: m.profiles[m.profile], Now: m.now}))
	}
	if m.detail != nil {
		m.detail.SetContent(m.panes[m.detail.pane].Detail())
	}
	return m.relayout(), tea.Batch(cmds...)
}

// paneDone reports whether every group feeding pane p has answered once.
func (m Model) paneDone(p PaneID) bool {
	for g := range numGroups {
		for _, id := range groups[g].ids {
			if slices.Contains(paneChecks[p], id) && !m.done[g] {
				return false
			}
		}
	}
	return true
}

func (m Model) profileIndex(name string) int {
	if i := slices.Index(m.profiles, name); i >= 0 {
		return i
	}
	return len(m.profiles)
}

// restyle switches every style, e.g. once the terminal said its background.
func (m Model) restyle(st Styles) Model {
	m.st = st
	m.help.Styles = st.Help
	for _, p := range m.panes {
		p.setStyles(st)
	}
	return m
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
