package ui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/checks"
)

// View draws the header, the panes (or the detail view) and the footer.
func (m Model) View() tea.View {
	defer guard(m.opts.Secrets)
	v := tea.NewView(m.render())
	v.AltScreen = true
	if m.opts.Mouse {
		v.MouseMode = tea.MouseModeCellMotion
	}
	v.WindowTitle = "keywarden · " + m.overallWord()
	return v
}

// render is the screen as a string; tests compare it against golden files.
func (m Model) render() string {
	if m.w == 0 {
		return ""
	}
	if m.w < minWidth || m.h < minHeight {
		msg := fmt.Sprintf("keywarden needs a terminal of at least %d×%d;\nthis one is %d×%d.\n\nEnlarge the window, or run `keywarden check`.",
			minWidth, minHeight, m.w, m.h)
		return lipgloss.Place(m.w, m.h, lipgloss.Center, lipgloss.Center, msg)
	}
	footer := m.footer()
	bodyH := m.h - headerHeight - lipgloss.Height(footer)
	var body string
	if m.detail != nil {
		p := m.panes[m.detail.pane]
		body = box(m.st, p.Title()+" · details", m.detail.View(), m.w, bodyH, true)
	} else {
		body = m.body()
	}
	return m.header() + "\n" + body + "\n" + footer
}

// body draws the panes in their layout rows.
func (m Model) body() string {
	var rows []string
	for _, r := range m.layout.rows {
		var cells []string
		for _, id := range r {
			rc := m.layout.rects[id]
			p := m.panes[id]
			if rc.collapsed {
				cells = append(cells, fit(m.st.Muted.Render("▸ ")+m.st.Title.Render(p.Title()), rc.w, 1))
				continue
			}
			draw := section
			if m.layout.framed {
				draw = box
			}
			cells = append(cells, draw(m.st, p.Title(), p.View(), rc.w, rc.h, id == m.focus))
		}
		rows = append(rows, lipgloss.JoinHorizontal(lipgloss.Top, cells...))
	}
	return strings.Join(rows, "\n")
}

// header: brand, overall status in words and symbols, host, backend, key
// count, the selected profile, and when results last arrived.
func (m Model) header() string {
	parts := []string{}
	if m.opts.Host != "" {
		parts = append(parts, m.opts.Host)
	}
	if m.opts.Backend != "" {
		parts = append(parts, "keystore: "+m.opts.Backend)
	}
	n := len(m.opts.Profiles)
	parts = append(parts, fmt.Sprintf("%d key%s", n, plural(n)))
	if p := m.profiles[m.profile]; p != "" {
		parts = append(parts, "profile: "+p)
	}
	// The status comes first so a narrow terminal never cuts it off.
	left := " " + m.st.Brand.Render("keywarden") + "  " + m.counts() + "  " + m.st.Muted.Render("·") + " " + m.st.Header.Render(strings.Join(parts, " · "))
	right := ""
	if !m.refreshed.IsZero() {
		right = m.st.Muted.Render("refreshed " + m.refreshed.Format("15:04:05") + " ")
	}
	gap := m.w - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		return fit(left, m.w, 1)
	}
	return left + strings.Repeat(" ", gap) + right
}

// counts is the overall status: "✗ 2 critical  ! 1 warning", "✓ all ok",
// or "… checking" before the first results.
func (m Model) counts() string {
	rs := m.all()
	if len(rs) == 0 {
		return m.st.Muted.Render("… checking")
	}
	n := map[checks.Status]int{}
	for _, r := range rs {
		n[r.Status]++
	}
	var out []string
	for _, s := range []checks.Status{checks.Crit, checks.Unknown, checks.Warn} {
		if n[s] > 0 {
			out = append(out, m.st.Status[s].Render(fmt.Sprintf("%s %d %s", glyph(s), n[s], statusWord(s, n[s]))))
		}
	}
	if len(out) == 0 {
		return m.st.Status[checks.OK].Render(glyph(checks.OK) + " all ok")
	}
	return strings.Join(out, "  ")
}

// overallWord is the worst status as a word, for the window title.
func (m Model) overallWord() string {
	rs := m.all()
	if len(rs) == 0 {
		return "checking"
	}
	w := checks.OK
	for _, r := range rs {
		w = checks.Worst(w, r.Status)
	}
	return glyph(w) + " " + w.String()
}

// all is every current result, all profiles.
func (m Model) all() []checks.Result {
	var rs []checks.Result
	for g := range numGroups {
		rs = append(rs, m.results[g]...)
	}
	return rs
}

// footer is the short help, the full help on `?`, or the keys of whatever
// has the keyboard (the detail view, the filter prompt).
func (m Model) footer() string {
	h := m.help
	h.SetWidth(m.w - 1)
	switch {
	case m.detail != nil:
		return " " + h.ShortHelpView([]key.Binding{m.keys.Back, m.keys.Scroll})
	case m.audit.Editing():
		return " " + h.ShortHelpView(m.audit.Bindings())
	case m.showHelp:
		h.ShowAll = true
		return indent(h.View(m.keys))
	case m.w < compactFooter:
		k := m.keys
		return " " + h.ShortHelpView([]key.Binding{k.Next, k.Detail, k.Help, k.Quit})
	}
	return " " + h.View(m.keys)
}

// relayout recomputes the layout for the current size, content and focus,
// and gives each pane and the detail view its size.
func (m Model) relayout() Model {
	if m.w < minWidth || m.h < minHeight {
		return m
	}
	bodyH := m.h - headerHeight - lipgloss.Height(m.footer())
	var wants [numPanes]int
	for id, p := range m.panes {
		wants[id] = p.Want()
	}
	m.layout = computeLayout(m.w, bodyH, wants, m.focus)
	for id, p := range m.panes {
		r := m.layout.rects[id]
		p.SetSize(contentSize(r.w, r.h, m.layout.framed))
	}
	if m.detail != nil {
		m.detail.SetSize(m.detailSize())
	}
	return m
}

// detailSize is the detail view's content area.
func (m Model) detailSize() (int, int) {
	return contentSize(m.w, m.h-headerHeight-lipgloss.Height(m.footer()), true)
}

func indent(s string) string {
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = " " + lines[i]
	}
	return strings.Join(lines, "\n")
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
