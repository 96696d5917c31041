package ui

import (
	"context"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/auditlog"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

func screen(m Model) string { return ansi.Strip(m.render()) }

func TestResizeSwitchesLayout(t *testing.T) {
	m := loaded(t, 120, 40)
	if !m.layout.framed || m.layout.rects[PaneNetwork].x == 0 {
		t.Fatalf("120×40: want a framed grid with Network beside Clock, got %+v", m.layout)
	}
	m = step(m, tea.WindowSizeMsg{Width: 80, Height: 24})
	if m.layout.framed || m.layout.rects[PaneNetwork].x != 0 {
		t.Fatalf("80×24: want stacked sections, got %+v", m.layout)
	}
	for _, l := range strings.Split(screen(m), "\n") {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line wider than 80 (%d): %q", w, l)
		}
	}
	if n := strings.Count(screen(m), "\n") + 1; n != 24 {
		t.Errorf("80×24 screen has %d lines", n)
	}
	m = step(m, tea.WindowSizeMsg{Width: 50, Height: 12})
	if s := screen(m); !strings.Contains(s, "at least 60×16") || strings.Contains(s, "Clock") {
		t.Errorf("50×12 should only say it is too small:\n%s", s)
	}
}

func TestFocusMovesAndWraps(t *testing.T) {
	m := loaded(t, 120, 40)
	for _, tc := range []struct {
		key  string
		want PaneID
	}{
		{"tab", PaneNetwork}, {"down", PanePermissions}, {"down", PaneAudit}, {"down", PaneActivity},
		{"tab", PaneClock}, {"shift+tab", PaneActivity}, {"shift+tab", PaneHygiene}, {"up", PaneAudit}, {"up", PanePermissions}, {"up", PaneNetwork}, {"left", PaneClock},
	} {
		m = step(m, press(tc.key))
		if m.focus != tc.want {
			t.Fatalf("after %s: focus %v, want %v", tc.key, m.focus, tc.want)
		}
	}
}

func TestMouseClickFocuses(t *testing.T) {
	m := loaded(t, 120, 40)
	m.opts.Mouse = true
	r := m.layout.rects[PaneHygiene]
	m = step(m, tea.MouseClickMsg{X: r.x + 3, Y: r.y + headerHeight + 1, Button: tea.MouseLeft})
	if m.focus != PaneHygiene {
		t.Fatalf("click in Hygiene: focus %v", m.focus)
	}
	if m.View().MouseMode != tea.MouseModeCellMotion {
		t.Error("mouse option on but view does not ask for mouse events")
	}
	m.opts.Mouse = false
	if m.View().MouseMode != tea.MouseModeNone {
		t.Error("mouse off but view asks for mouse events")
	}
}

func TestDetailOpensAndCloses(t *testing.T) {
	m := loaded(t, 100, 30)
	m = step(m, press("tab")) // Network
	m = step(m, press("enter"))
	if m.detail == nil || m.detail.pane != PaneNetwork {
		t.Fatalf("enter did not open Network's details")
	}
	s := screen(m)
	for _, want := range []string{"Network ✗ · details", "crit  ip.whitelist  bybit-grid", "hint: add 203.0.113.7"} {
		if !strings.Contains(s, want) {
			t.Errorf("detail view lacks %q:\n%s", want, s)
		}
	}
	m = step(m, press("q")) // q closes the detail, it does not quit
	if m.detail != nil {
		t.Fatal("q did not close the detail view")
	}
	m = step(m, press("enter"))
	m = step(m, press("esc"))
	if m.detail != nil {
		t.Fatal("esc did not close the detail view")
	}
}

func TestFilterNarrowsAuditLog(t *testing.T) {
	m := loaded(t, 120, 40)
	for _, k := range []string{"/", "c", "l", "o", "c", "k"} {
		m = step(m, press(k))
	}
	if m.focus != PaneAudit || !m.audit.Editing() {
		t.Fatalf("/ should focus the audit log and edit its filter")
	}
	m = step(m, press("q")) // typed into the filter, not a quit
	m = step(m, press("backspace"))
	m = step(m, press("enter"))
	s := screen(m)
	if !strings.Contains(s, "-1021 [clock]") || strings.Contains(s, "get_balance") {
		t.Errorf("filter clock should keep the -1021 line only:\n%s", s)
	}
	if !strings.Contains(s, "/clock") {
		t.Error("the audit title should show the filter")
	}
	m = step(m, press("esc"))
	if s := screen(m); !strings.Contains(s, "get_balance") {
		t.Error("esc should clear the filter")
	}
}

func TestProfileCycles(t *testing.T) {
	m := loaded(t, 120, 40)
	want := []string{"binance-main", "bybit-grid", "okx-arb", ""}
	for _, w := range want {
		m = step(m, press("p"))
		if got := m.profiles[m.profile]; got != w {
			t.Fatalf("p: profile %q, want %q", got, w)
		}
	}
	m = step(m, press("p"))
	m = step(m, press("p")) // bybit-grid
	s := screen(m)
	if !strings.Contains(s, "profile: bybit-grid") || strings.Contains(s, "okx-arb") {
		t.Errorf("bybit-grid selected: header should say so and other profiles be hidden:\n%s", s)
	}
	if !strings.Contains(s, "egress") {
		t.Error("host-scope results must stay visible when a profile is selected")
	}
}

func TestStaleResultsDropped(t *testing.T) {
	r := &runner{rs: world()}
	m := New(testOptions(r))
	m = step(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	old := fetch(context.Background(), r.Run, GroupNetwork, 0, fixedNow, nil)()
	// `r` refreshes everything: generation 1 is now the current one.
	nm, cmd := m.Update(press("r"))
	m = nm.(Model)
	if cmd == nil || m.gen[GroupNetwork] != 1 {
		t.Fatalf("r should start generation 1 of every group, gen %v", m.gen)
	}
	fresh := ResultsMsg{Group: GroupNetwork, Gen: 1, At: testNow, Results: []checks.Result{
		{ID: "ip.public", Status: checks.OK, Summary: "IPv4 192.0.2.55"},
	}}
	m = step(m, fresh)
	m = step(m, old) // the late answer of generation 0
	s := screen(m)
	if !strings.Contains(s, "192.0.2.55") || strings.Contains(s, "203.0.113.7") {
		t.Errorf("the stale generation-0 result overwrote the fresh one:\n%s", s)
	}
	// A tick armed for generation 0 is retired too: it must not fetch.
	if _, cmd := m.Update(tickMsg{Group: GroupNetwork, Gen: 0}); cmd != nil {
		t.Error("a retired tick started a fetch")
	}
	if _, cmd := m.Update(tickMsg{Group: GroupNetwork, Gen: 1}); cmd == nil {
		t.Error("the current tick did not start a fetch")
	}
}

func TestTickRefetchesOnlyItsGroup(t *testing.T) {
	r := &runner{rs: world()}
	m := New(testOptions(r))
	nm, cmd := m.Update(tickMsg{Group: GroupClock, Gen: 0})
	m = nm.(Model)
	if m.gen[GroupClock] != 1 || m.gen[GroupNetwork] != 0 {
		t.Fatalf("gens after clock tick: %v", m.gen)
	}
	cmd()
	if len(r.calls) != 1 || strings.Join(r.calls[0], ",") != "clock.sync,clock.ntp,clock.exchange" {
		t.Errorf("clock tick ran %v", r.calls)
	}
}

func TestSchedulesNoFasterThanASecond(t *testing.T) {
	for g, spec := range groups {
		if spec.every < 30e9 {
			t.Errorf("group %v refreshes every %v", Group(g), spec.every)
		}
	}
	if feedMinGap < 1e9 {
		t.Errorf("audit feed batches %v apart", feedMinGap)
	}
}

func TestHeaderSaysStatusInWords(t *testing.T) {
	m := New(testOptions(&runner{}))
	m = step(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	if s := screen(m); !strings.Contains(s, "… checking") {
		t.Errorf("before results the header should say checking:\n%s", s)
	}
	m = step(m, ResultsMsg{Group: GroupClock, At: testNow, Results: []checks.Result{{ID: "clock.sync", Status: checks.OK, Summary: "synchronized"}}})
	if s := screen(m); !strings.Contains(s, "✓ all ok") {
		t.Errorf("all ok should be said in words:\n%s", s)
	}
}

func TestPanicReportHasNoSecret(t *testing.T) {
	const secret = "Sup3rS3cretValue-9f8e7d6c5b4a"
	defer func() {
		r := recover()
		pe, ok := r.(PanicError)
		if !ok {
			t.Fatalf("recovered %T %v, want PanicError", r, r)
		}
		if strings.Contains(pe.Error(), secret) || !strings.Contains(pe.Error(), auditlog.RedactedMark) {
			t.Errorf("panic report leaks or lost the redaction: %q", pe.Error())
		}
	}()
	func() {
		defer guard([]keystore.Secret{keystore.NewSecret(secret)})
		panic("bad thing with " + secret)
	}()
}

func TestBackgroundColourPicksPalette(t *testing.T) {
	m := loaded(t, 120, 40)
	dark := m.st.Status[checks.OK].GetForeground()
	m = step(m, tea.BackgroundColorMsg{Color: color.White})
	light := m.st.Status[checks.OK].GetForeground()
	if dark == light {
		t.Fatal("a light background should switch to the light palette")
	}
	if got := m.audit.st.Status[checks.OK].GetForeground(); got != light {
		t.Error("the panes did not get the new styles")
	}
}

// Entries that arrive before any check result still count in the
// sparkline of the minute they arrived in.
func TestAuditBeforeResultsCounts(t *testing.T) {
	m := New(testOptions(&runner{}))
	m = step(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	m = step(m, AuditMsg{Profile: "binance-main", Entries: entries(), At: testNow})
	if s := screen(m); !strings.Contains(s, "errors ▁▁▁▁▁▁▁██▁ 2/h") {
		t.Errorf("sparkline lost entries that came first:\n%s", s)
	}
}

// Logs of several profiles arrive in separate batches; the pane shows one
// timeline.
func TestAuditLogsMergeByTime(t *testing.T) {
	m := loaded(t, 120, 40)
	later := entries()[5]
	later.Message = "bybit late line"
	earlier := entries()[1]
	earlier.Time = testNow.Add(-150 * time.Second)
	earlier.Message = "bybit early line"
	m = step(m, AuditMsg{Profile: "bybit-grid", Entries: []auditlog.Entry{earlier, later}, At: testNow})
	s := screen(m)
	i, j, k := strings.Index(s, "bybit early line"), strings.Index(s, "-1021 [clock] Timestamp"), strings.Index(s, "bybit late line")
	if i < 0 || j < 0 || k < 0 || !(i < j && j < k) {
		t.Errorf("audit lines not in time order (%d %d %d):\n%s", i, j, k, s)
	}
}

// ctrl+c quits from anywhere: the dashboard, the detail view, the filter
// prompt.
func TestCtrlCAlwaysQuits(t *testing.T) {
	for _, before := range [][]string{nil, {"enter"}, {"/", "x"}} {
		m := loaded(t, 120, 40)
		for _, k := range before {
			m = step(m, press(k))
		}
		_, cmd := m.Update(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		if cmd == nil {
			t.Fatalf("after %v: ctrl+c did nothing", before)
		}
		if _, ok := cmd().(tea.QuitMsg); !ok {
			t.Errorf("after %v: ctrl+c did not quit", before)
		}
	}
}
