package ui

import (
	"encoding/json"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/checks"
)

// detailOf renders results in full: status word and symbol, summary, hint
// and every detail field, including the exchange's raw data.
func detailOf(st Styles, rs []checks.Result) string {
	if len(rs) == 0 {
		return st.Muted.Render("no results yet")
	}
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("\n")
		}
		head := st.mark(r.Status) + " " + st.Status[r.Status].Render(r.Status.String()) + "  " + st.Title.Render(r.ID)
		if r.Profile != "" {
			head += "  " + r.Profile
		}
		b.WriteString(head + "\n")
		b.WriteString("  " + r.Summary + "\n")
		if r.Hint != "" {
			b.WriteString("  " + st.Muted.Render("hint: ") + r.Hint + "\n")
		}
		if r.Duration > 0 {
			b.WriteString("  " + st.Muted.Render("took: ") + r.Duration.Round(1e6).String() + "\n")
		}
		if len(r.Details) > 0 {
			js, err := json.MarshalIndent(r.Details, "  ", "  ")
			if err == nil {
				b.WriteString("  " + st.Muted.Render("details: ") + string(js) + "\n")
			}
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// detailView is the scrollable full view of one pane, opened with enter.
// It wraps its text itself (on word boundaries, with a hanging indent)
// instead of the viewport's soft wrap, which cuts words in half.
type detailView struct {
	pane    PaneID
	vp      viewport.Model
	content string // unwrapped, re-wrapped on resize
}

func newDetailView(pane PaneID, content string, w, h int) *detailView {
	vp := viewport.New(viewport.WithWidth(w), viewport.WithHeight(h))
	d := &detailView{pane: pane, vp: vp, content: content}
	d.vp.SetContent(wrapDetail(content, w))
	return d
}

func (d *detailView) Update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	d.vp, cmd = d.vp.Update(msg)
	return cmd
}

// SetSize resizes the view and wraps the text for the new width.
func (d *detailView) SetSize(w, h int) {
	d.vp.SetWidth(w)
	d.vp.SetHeight(h)
	d.SetContent(d.content)
}

// SetContent replaces the text, keeping the scroll position.
func (d *detailView) SetContent(s string) {
	d.content = s
	off := d.vp.YOffset()
	d.vp.SetContent(wrapDetail(s, d.vp.Width()))
	d.vp.SetYOffset(off)
}

func (d *detailView) View() string { return d.vp.View() }

// wrapDetail wraps each line of s that is wider than w on word boundaries;
// a word longer than a whole line (a URL, a hash) is cut only then. The
// continuation lines keep the line's indent, so a wrapped summary stays
// under its result.
func wrapDetail(s string, w int) string {
	if w <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if ansi.StringWidth(l) <= w {
			out = append(out, l)
			continue
		}
		ind := len(l) - len(strings.TrimLeft(l, " "))
		if w-ind < 20 {
			ind = 0
		}
		pad := strings.Repeat(" ", ind)
		for _, part := range strings.Split(ansi.Wrap(l[ind:], w-ind, ""), "\n") {
			out = append(out, pad+strings.TrimRight(part, " "))
		}
	}
	return strings.Join(out, "\n")
}
