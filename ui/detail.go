package ui

import (
	"encoding/json"
	"strings"

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
type detailView struct {
	pane PaneID
	vp   viewport.Model
}

func newDetailView(pane PaneID, content string, w, h int) *detailView {
	vp := viewport.New(viewport.WithWidth(w), viewport.WithHeight(h))
	vp.SoftWrap = true
	vp.SetContent(content)
	return &detailView{pane: pane, vp: vp}
}

func (d *detailView) Update(msg tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	d.vp, cmd = d.vp.Update(msg)
	return cmd
}

func (d *detailView) SetSize(w, h int) {
	d.vp.SetWidth(w)
	d.vp.SetHeight(h)
}

// SetContent replaces the text, keeping the scroll position.
func (d *detailView) SetContent(s string) {
	off := d.vp.YOffset()
	d.vp.SetContent(s)
	d.vp.SetYOffset(off)
}

func (d *detailView) View() string { return d.vp.View() }
