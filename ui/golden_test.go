package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/internal/testutil"
)

// loaded is a dashboard of w × h that has received every group's results
// and the audit entries, as if its commands had run.
func loaded(t *testing.T, w, h int) Model {
	t.Helper()
	r := &runner{rs: world()}
	m := New(testOptions(r))
	m = step(m, tea.WindowSizeMsg{Width: w, Height: h})
	for g := range numGroups {
		m = step(m, fetch(context.Background(), r.Run, g, 0, fixedNow, nil)())
	}
	return step(m, AuditMsg{Profile: "binance-main", Entries: entries(), At: testNow})
}

// step sends one message and returns the new model, dropping its command.
func step(m Model, msg tea.Msg) Model {
	nm, _ := m.Update(msg)
	return nm.(Model)
}

func press(s string) tea.KeyPressMsg {
	switch s {
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func TestPaneGolden(t *testing.T) {
	for _, width := range []int{40, 76} {
		m := loaded(t, 120, 40)
		for id, p := range m.panes {
			p.SetSize(width, 8)
			name := strings.ToLower(strings.ReplaceAll(PaneID(id).String(), " ", "-"))
			t.Run(name+"-"+itoa(width), func(t *testing.T) {
				testutil.Golden(t, "pane-"+name+"-"+itoa(width)+".golden", []byte(ansi.Strip(box(m.st, p.Title(), p.View(), width+framedW, 8+framedH, false))))
			})
		}
	}
}

func TestScreenGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		w, h int
		keys []string
	}{
		{"wide", 120, 40, nil},
		{"narrow", 80, 24, nil},
		{"minimum", 60, 16, nil},
		{"too-small", 59, 16, nil},
		{"detail", 100, 30, []string{"tab", "tab", "tab", "enter"}},
		{"detail-audit-narrow", 60, 20, []string{"tab", "tab", "tab", "tab", "enter"}}, // wraps on words
		{"filter", 120, 40, []string{"/", "p", "l", "a", "c", "e"}},
		{"profile", 120, 40, []string{"p", "p"}},
		{"help", 80, 24, []string{"?"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := loaded(t, tc.w, tc.h)
			for _, k := range tc.keys {
				m = step(m, press(k))
			}
			testutil.Golden(t, "screen-"+tc.name+".golden", []byte(ansi.Strip(m.render())))
		})
	}
}
