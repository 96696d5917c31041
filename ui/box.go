package ui

import (
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// border glyphs: the focused pane gets a heavy border, so focus shows
// without colour too.
type borderSet struct{ tl, tr, bl, br, h, v string }

var (
	thinBorder  = borderSet{"╭", "╮", "╰", "╯", "─", "│"}
	heavyBorder = borderSet{"┏", "┓", "┗", "┛", "━", "┃"}
)

// Frame overheads: a framed box has a border all round and one cell of
// padding each side; a section (narrow terminals) only a title rule.
const (
	framedW, framedH   = 4, 2
	sectionW, sectionH = 2, 1
)

// contentSize is the content area of a w × h pane drawn framed or not.
func contentSize(w, h int, framed bool) (int, int) {
	if framed {
		return max(0, w-framedW), max(0, h-framedH)
	}
	return max(0, w-sectionW), max(0, h-sectionH)
}

// section draws content under a title rule, exactly w × h cells: the
// narrow layout's lighter frame.
func section(st Styles, title, content string, w, h int, focused bool) string {
	if w < 6 || h < 1 {
		return fit(content, w, h)
	}
	b, bs, ts := thinBorder, st.Border, st.Title
	if focused {
		b, bs, ts = heavyBorder, st.BorderOn, st.TitleOn
	}
	title = ansi.Truncate(title, w-6, "…")
	top := bs.Render(b.h+b.h) + ts.Render(" "+title+" ")
	top += bs.Render(strings.Repeat(b.h, max(0, w-ansi.StringWidth(top))))
	if h == 1 {
		return top
	}
	cw, ch := contentSize(w, h, false)
	lines := strings.Split(fit(content, cw, ch), "\n")
	for i := range lines {
		lines[i] = " " + lines[i] + " "
	}
	return top + "\n" + strings.Join(lines, "\n")
}

// box draws content inside a titled border of exactly w × h cells, with one
// cell of padding each side.
func box(st Styles, title, content string, w, h int, focused bool) string {
	if w < 6 || h < 2 {
		return fit(content, w, h)
	}
	b, bs, ts := thinBorder, st.Border, st.Title
	if focused {
		b, bs, ts = heavyBorder, st.BorderOn, st.TitleOn
	}
	title = ansi.Truncate(title, w-6, "…")
	top := bs.Render(b.tl+b.h) + ts.Render(" "+title+" ")
	top += bs.Render(strings.Repeat(b.h, max(0, w-ansi.StringWidth(top)-1)) + b.tr)
	var sb strings.Builder
	sb.WriteString(top)
	cw, ch := contentSize(w, h, true)
	for _, line := range strings.Split(fit(content, cw, ch), "\n") {
		if ch == 0 {
			break
		}
		sb.WriteString("\n" + bs.Render(b.v) + " " + line + " " + bs.Render(b.v))
	}
	sb.WriteString("\n" + bs.Render(b.bl+strings.Repeat(b.h, w-2)+b.br))
	return sb.String()
}

// fit truncates or pads s to exactly w × h cells.
func fit(s string, w, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	for i, l := range lines {
		l = ansi.Truncate(l, w, "…")
		lines[i] = l + strings.Repeat(" ", max(0, w-ansi.StringWidth(l)))
	}
	return strings.Join(lines, "\n")
}

// clip fits lines into h: when they do not all fit it keeps the most
// severe ones (crit, then unknown, then warn, then ok), in their order, and
// says how many more there are.
func clip(lines []line, h int, st Styles) []string {
	if len(lines) <= h || h <= 0 {
		return texts(lines)
	}
	keep := h - 1
	if h == 1 {
		keep = 1
	}
	idx := make([]int, len(lines))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return lines[idx[a]].status.Worse(lines[idx[b]].status) })
	idx = idx[:keep]
	sort.Ints(idx)
	out := make([]string, 0, h)
	for _, i := range idx {
		out = append(out, lines[i].text)
	}
	more := st.Muted.Render("… " + itoa(len(lines)-keep) + " more · enter for details")
	if h == 1 {
		out[0] += st.Muted.Render(" · +" + itoa(len(lines)-keep) + " more")
		return out
	}
	return append(out, more)
}
