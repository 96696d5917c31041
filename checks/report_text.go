package checks

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// textWidth is the width the text report is laid out for.
const textWidth = 80

// Symbol is the status glyph used by the text report and the dashboard.
func Symbol(s Status) string {
	switch s {
	case OK:
		return "✓"
	case Warn:
		return "!"
	case Crit:
		return "✗"
	}
	return "?"
}

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

func statusColor(s Status) string {
	switch s {
	case OK:
		return "\x1b[32m"
	case Warn:
		return "\x1b[33m"
	case Crit:
		return "\x1b[1;31m"
	}
	return "\x1b[35m"
}

// WriteText writes the report grouped like the dashboard's panes, one line
// per check (wrapped to 80 columns) with the hint under anything not ok.
// color adds ANSI colours; callers pass false for NO_COLOR, --no-color or a
// non-terminal.
func WriteText(w io.Writer, r Report, color bool) error {
	p := &textPrinter{w: w, color: color}
	p.line(p.paint(ansiBold, "keywarden check") + "  " + r.Host + "  " + r.StartedAt.UTC().Format(time.RFC3339) + "  " + fmtDuration(r.Duration))

	groups := map[string][]Result{}
	var order []string
	placed := map[int]bool{}
	for s := range NumSections {
		for i, res := range r.Checks {
			if sp, ok := SpecFor(res.ID); ok && sp.Section == s {
				groups[s.String()] = append(groups[s.String()], res)
				placed[i] = true
			}
		}
		order = append(order, s.String())
	}
	for i, res := range r.Checks {
		if !placed[i] {
			groups["Other"] = append(groups["Other"], res)
		}
	}
	order = append(order, "Other")

	width := 0
	for _, res := range r.Checks {
		width = max(width, utf8.RuneCountInString(Label(res)))
	}
	width = min(width, 22)

	for _, title := range order {
		rs := groups[title]
		if len(rs) == 0 {
			continue
		}
		p.line("")
		p.line(p.paint(ansiBold, title))
		for _, res := range rs {
			p.result(res, width)
		}
	}
	profiles := false
	for _, res := range r.Checks {
		profiles = profiles || res.Profile != ""
	}
	if !profiles {
		p.line("")
		p.line(p.paint(ansiDim, "no profile was checked: add one with `keywarden add` or `keywarden import`"))
	}
	p.line("")
	p.line(p.footer(r))
	return p.err
}

type textPrinter struct {
	w     io.Writer
	color bool
	err   error
}

func (p *textPrinter) paint(code, s string) string {
	if !p.color || s == "" {
		return s
	}
	return code + s + ansiReset
}

func (p *textPrinter) line(s string) {
	if p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, s+"\n")
}

// result writes "  ✓ label   summary" with the summary wrapped under itself,
// and "→ hint" below for anything not ok.
func (p *textPrinter) result(r Result, width int) {
	lbl := Label(r)
	pad := width - utf8.RuneCountInString(lbl)
	indent := 4 + width + 2
	if pad < 0 { // a long label gets its own line
		p.line("  " + p.paint(statusColor(r.Status), Symbol(r.Status)) + " " + lbl)
		lbl, pad = "", width
	}
	head := "  " + p.paint(statusColor(r.Status), Symbol(r.Status)) + " " + lbl + strings.Repeat(" ", pad) + "  "
	lines := wrap(r.Summary, textWidth-indent)
	for i, l := range lines {
		if i == 0 {
			p.line(head + l)
			continue
		}
		p.line(strings.Repeat(" ", indent) + l)
	}
	if r.Status != OK && r.Hint != "" {
		for i, l := range wrap(r.Hint, textWidth-indent-2) {
			prefix := "→ "
			if i > 0 {
				prefix = "  "
			}
			p.line(strings.Repeat(" ", indent) + p.paint(ansiDim, prefix+l))
		}
	}
}

func (p *textPrinter) footer(r Report) string {
	n := map[Status]int{}
	for _, c := range r.Checks {
		n[c.Status]++
	}
	parts := []string{}
	for _, s := range []struct {
		st   Status
		word string
	}{{Crit, "critical"}, {Unknown, "unknown"}, {Warn, "warning"}, {OK, "ok"}} {
		if n[s.st] > 0 {
			word := s.word
			if s.st == Warn && n[s.st] != 1 {
				word += "s"
			}
			parts = append(parts, p.paint(statusColor(s.st), fmt.Sprintf("%s %d %s", Symbol(s.st), n[s.st], word)))
		}
	}
	if len(parts) == 0 {
		parts = append(parts, "no checks ran")
	}
	return strings.Join(parts, "  ") + "  · status " + p.paint(statusColor(r.Status), r.Status.String()) +
		fmt.Sprintf(" (exit %d)", ExitCode(r.Status))
}

// wrap breaks s into lines of at most n runes at spaces (a longer word gets
// a line of its own).
func wrap(s string, n int) []string {
	if n < 20 {
		n = 20
	}
	var lines []string
	var cur strings.Builder
	curLen := 0
	words := strings.Fields(s)
	for i := 0; i < len(words); i++ {
		w := words[i]
		// Keep a number with its unit ("30 s", "2 days") on one line.
		if i+1 < len(words) && isUnit(words[i+1]) {
			w += " " + words[i+1]
			i++
		}
		wl := utf8.RuneCountInString(w)
		if curLen > 0 && curLen+1+wl > n {
			lines = append(lines, cur.String())
			cur.Reset()
			curLen = 0
		}
		if curLen > 0 {
			cur.WriteByte(' ')
			curLen++
		}
		cur.WriteString(w)
		curLen += wl
	}
	if curLen > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

func fmtDuration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

func isUnit(w string) bool {
	switch strings.TrimRight(w, ",;:)") {
	case "ms", "s", "day", "days":
		return true
	}
	return false
}
