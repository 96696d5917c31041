package ui

import (
	"testing"

	tea "charm.land/bubbletea/v2"
)

// BenchmarkFrame is one full frame: an audit batch arriving (Update) and the
// redraw (View) at 120×40.
func BenchmarkFrame(b *testing.B) {
	m := loaded(&testing.T{}, 120, 40)
	msg := AuditMsg{Profile: "bybit-grid", Entries: entries()[:2], At: testNow}
	b.ReportAllocs()
	for b.Loop() {
		nm, _ := m.Update(msg)
		m = nm.(Model)
		_ = m.View()
	}
}

// BenchmarkView is a redraw alone.
func BenchmarkView(b *testing.B) {
	m := loaded(&testing.T{}, 120, 40)
	m = step(m, tea.WindowSizeMsg{Width: 120, Height: 40})
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}
