package ui

import (
	"image/color"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"

	"github.com/keywarden/keywarden/checks"
)

// palette is the dashboard's handful of colours. Each has a light- and a
// dark-background variant; the renderer downsamples them for 16-colour
// terminals and drops them entirely under NO_COLOR.
type palette struct {
	ok, warn, crit, unknown, accent, muted, text color.Color
}

func newPalette(isDark bool) palette {
	ld := lipgloss.LightDark(isDark)
	c := lipgloss.Color
	return palette{
		ok:      ld(c("#1a7f37"), c("#3fb950")),
		warn:    ld(c("#9a6700"), c("#d29922")),
		crit:    ld(c("#cf222e"), c("#f85149")),
		unknown: ld(c("#8250df"), c("#bc8cff")),
		accent:  ld(c("#0969da"), c("#58a6ff")),
		muted:   ld(c("#6e7781"), c("#8b949e")),
		text:    ld(c("#1f2328"), c("#e6edf3")),
	}
}

// Styles is every style the dashboard draws with, built from one palette.
type Styles struct {
	Brand     lipgloss.Style
	Header    lipgloss.Style
	Muted     lipgloss.Style
	Title     lipgloss.Style
	TitleOn   lipgloss.Style // title of the focused pane
	Border    lipgloss.Style
	BorderOn  lipgloss.Style // border of the focused pane
	Status    map[checks.Status]lipgloss.Style
	Match     lipgloss.Style // filter matches in the audit log
	Help      help.Styles
	Sparkline lipgloss.Style
	ErrLine   lipgloss.Style
}

// NewStyles builds the styles for a dark or light terminal background.
func NewStyles(isDark bool) Styles {
	p := newPalette(isDark)
	fg := func(c color.Color) lipgloss.Style { return lipgloss.NewStyle().Foreground(c) }
	return Styles{
		Brand:    fg(p.accent).Bold(true),
		Header:   fg(p.text),
		Muted:    fg(p.muted),
		Title:    fg(p.text).Bold(true),
		TitleOn:  fg(p.accent).Bold(true).Reverse(true),
		Border:   fg(p.muted),
		BorderOn: fg(p.accent),
		Status: map[checks.Status]lipgloss.Style{
			checks.OK:      fg(p.ok),
			checks.Warn:    fg(p.warn).Bold(true),
			checks.Crit:    fg(p.crit).Bold(true),
			checks.Unknown: fg(p.unknown),
		},
		Match:     lipgloss.NewStyle().Underline(true),
		Help:      help.DefaultStyles(isDark),
		Sparkline: fg(p.accent),
		ErrLine:   fg(p.crit),
	}
}

// glyph is the symbol that says a status without colour.
func glyph(s checks.Status) string {
	switch s {
	case checks.OK:
		return "✓"
	case checks.Warn:
		return "!"
	case checks.Crit:
		return "✗"
	}
	return "?"
}

// statusWord is the header's word for a count of a status.
func statusWord(s checks.Status, n int) string {
	switch s {
	case checks.Crit:
		return "critical"
	case checks.Warn:
		if n == 1 {
			return "warning"
		}
		return "warnings"
	case checks.Unknown:
		return "unknown"
	}
	return "ok"
}

// mark renders a status glyph in its colour.
func (s Styles) mark(st checks.Status) string { return s.Status[st].Render(glyph(st)) }
