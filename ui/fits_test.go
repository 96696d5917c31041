package ui

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/keywarden/keywarden/checks"
)

// The frame never has more lines than the terminal, or wider lines: a
// taller frame scrolls the terminal and every later frame lands garbled.
func TestFrameFitsTheTerminal(t *testing.T) {
	// Every check of the specs for three profiles, each a line long enough
	// to be cut, besides the fixture world.
	rich := world()
	for _, sp := range checks.Specs() {
		for _, p := range []string{"binance-main", "bybit-grid", "okx-arb"} {
			if sp.Host {
				p = ""
			}
			rich = append(rich, checks.Result{ID: sp.ID, Profile: p, Status: checks.Unknown,
				Summary: strings.Repeat("a long summary that does not fit ", 5), Details: map[string]any{}})
			if sp.Host {
				break
			}
		}
	}
	for _, rs := range [][]checks.Result{world(), rich} {
		for _, w := range []int{60, 80, 100, 120, 160} {
			for h := 16; h <= 60; h++ {
				fits(t, w, h, rs)
			}
		}
	}
}

func fits(t *testing.T, w, h int, rs []checks.Result) {
	t.Helper()
	r := &runner{rs: rs}
	m := New(testOptions(r))
	m = step(m, tea.WindowSizeMsg{Width: w, Height: h})
	for g := range numGroups {
		m = step(m, fetch(context.Background(), r.Run, g, 0, fixedNow, nil)())
	}
	m = step(m, AuditMsg{Profile: "binance-main", Entries: entries(), At: testNow})
	for f := range numPanes {
		m.focus = f
		m = m.relayout()
		{
			s := m.View().Content
			lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
			if len(lines) > h {
				t.Errorf("%dx%d, focus %v: %d lines", w, h, f, len(lines))
			}
			for i, l := range lines {
				if ansi.StringWidth(l) > w {
					t.Errorf("%dx%d: line %d is %d wide", w, h, i, ansi.StringWidth(l))
					break
				}
			}
		}
	}
}
