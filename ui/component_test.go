package ui

import (
	"context"
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/auditlog"
)

// cmdPane is a pane that answers its Init and every Update with a Cmd of
// its own, so a test sees whether the root passes them on.
type cmdPane struct {
	pane
	id PaneID
}

// paneCmdMsg is what a cmdPane's Cmd returns: which pane, answering what.
type paneCmdMsg struct {
	id  PaneID
	msg string
}

func (p cmdPane) Init() tea.Cmd {
	return tea.Batch(p.pane.Init(), func() tea.Msg { return paneCmdMsg{p.id, "init"} })
}

func (p cmdPane) Update(msg tea.Msg) tea.Cmd {
	what := fmt.Sprintf("%T", msg)
	return tea.Batch(p.pane.Update(msg), func() tea.Msg { return paneCmdMsg{p.id, what} })
}

// paneCmds runs cmd, batches included, and returns the panes' answers. The
// dashboard's context is cancelled, so its timers return at once.
func paneCmds(cmd tea.Cmd) map[paneCmdMsg]bool {
	got := map[paneCmdMsg]bool{}
	var run func(tea.Cmd)
	run = func(c tea.Cmd) {
		if c == nil {
			return
		}
		switch msg := c().(type) {
		case tea.BatchMsg:
			for _, c := range msg {
				run(c)
			}
		case paneCmdMsg:
			got[msg] = true
		}
	}
	run(cmd)
	return got
}

// The root honours the component contract: every Cmd a pane returns, from
// Init or from any message the root hands it, reaches the runtime.
func TestRootBatchesPaneCmds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &runner{rs: world()}
	m := New(testOptions(r)).WithContext(ctx)
	for id := range m.panes {
		m.panes[id] = cmdPane{pane: m.panes[id], id: PaneID(id)}
	}
	m = step(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	update := func(msg tea.Msg) map[paneCmdMsg]bool {
		t.Helper()
		nm, cmd := m.Update(msg)
		m = nm.(Model)
		return paneCmds(cmd)
	}
	everyPane := func(what string, got map[paneCmdMsg]bool, msg string) {
		t.Helper()
		for id := range numPanes {
			if !got[paneCmdMsg{id, msg}] {
				t.Errorf("%s: the %s pane's Cmd for %s was dropped", what, id, msg)
			}
		}
	}
	one := func(what string, got map[paneCmdMsg]bool, id PaneID, msg string) {
		t.Helper()
		if !got[paneCmdMsg{id, msg}] {
			t.Errorf("%s: the %s pane's Cmd for %s was dropped (got %v)", what, id, msg, got)
		}
	}

	everyPane("Init", paneCmds(m.Init()), "init")
	everyPane("results", update(fetch(ctx, r.Run, 0, 0, fixedNow, nil)()), "ui.paneData")
	everyPane("minute", update(minuteMsg{At: testNow}), "ui.paneData")
	everyPane("profile key", update(press("p")), "ui.paneData")
	one("unhandled key", update(press("z")), m.focus, "tea.KeyPressMsg")
	one("audit entries", update(AuditMsg{Profile: "binance-main", Entries: []auditlog.Entry{{Message: "ok"}}, At: testNow}),
		PaneAudit, "ui.AuditMsg")
	got := update(press("/"))
	one("filter key", got, PaneAudit, "ui.startFilter")
	everyPane("filter key", got, "ui.paneData")
	one("key while filtering", update(press("a")), PaneAudit, "tea.KeyPressMsg")
}
