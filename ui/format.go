package ui

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/checks"
)

// line is one rendered line of a pane and the status it shows, so a pane
// too short for all its lines can keep the loud ones.
type line struct {
	status checks.Status
	text   string
}

// formatter turns a pane's results into its lines.
type formatter func(st Styles, rs []checks.Result, now time.Time) []line

// texts is the lines' text.
func texts(ls []line) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = l.text
	}
	return out
}

// labelWidth is the width of the label column for rs.
func labelWidth(rs []checks.Result) int {
	w := 0
	for _, r := range rs {
		w = max(w, ansi.StringWidth(checks.Label(r)))
	}
	return w
}

// row is one "mark label text" line.
func row(st Styles, s checks.Status, lbl string, lw int, text string) line {
	return line{s, st.mark(s) + " " + lbl + strings.Repeat(" ", max(0, lw-ansi.StringWidth(lbl))) + "  " + text}
}

// summaryLines is the plain formatter: one line per result with its summary.
func summaryLines(st Styles, rs []checks.Result, _ time.Time) []line {
	lw := labelWidth(rs)
	out := make([]line, 0, len(rs))
	for _, r := range rs {
		out = append(out, row(st, r.Status, checks.Label(r), lw, r.Summary))
	}
	return out
}

// keyLines shows each key's age and rotation countdown, recomputed from the
// check's dates at every minute redraw.
func keyLines(st Styles, rs []checks.Result, now time.Time) []line {
	lw := labelWidth(rs)
	out := make([]line, 0, len(rs))
	for _, r := range rs {
		text := r.Summary
		if c, ok := countdown(r.Details, now); ok {
			text = c
		}
		out = append(out, row(st, r.Status, checks.Label(r), lw, text))
	}
	return out
}

// countdown renders "41d old · rotate in 49d" from key.age details.
func countdown(d map[string]any, now time.Time) (string, bool) {
	created, ok1 := timeField(d, "created_at")
	rotate, ok2 := timeField(d, "rotate_by")
	if !ok1 || !ok2 {
		return "", false
	}
	age := int(now.Sub(created).Hours() / 24)
	left := int(math.Ceil(rotate.Sub(now).Hours() / 24))
	s := fmt.Sprintf("%3dd old · ", age)
	if left >= 0 {
		s += fmt.Sprintf("rotate in %dd", left)
	} else {
		s += fmt.Sprintf("rotation overdue by %dd", -left)
	}
	if exp, ok := timeField(d, "expires_at"); ok {
		s += fmt.Sprintf(" · expires in %dd", int(math.Ceil(exp.Sub(now).Hours()/24)))
	}
	return s, true
}

// permOrder is the order permissions are listed in.
var permOrder = []string{"withdraw", "transfer", "futures", "options", "margin", "trade", "read"}

// permLines shows each key's verdict and what the exchange says it can do.
func permLines(st Styles, rs []checks.Result, _ time.Time) []line {
	lw := labelWidth(rs)
	out := make([]line, 0, len(rs))
	for _, r := range rs {
		text := r.Summary
		// An ok summary already lists what the key can do.
		if g := granted(r.Details); g != "" && r.Status != checks.OK {
			text += st.Muted.Render(" · " + g)
		}
		out = append(out, row(st, r.Status, checks.Label(r), lw, text))
	}
	return out
}

// granted lists the permissions a key has, withdraw in capitals.
func granted(d map[string]any) string {
	m, ok := d["granted"].(map[string]any)
	if !ok {
		return ""
	}
	var on []string
	for _, p := range permOrder {
		if v, _ := m[p].(bool); v {
			if p == "withdraw" {
				p = "WITHDRAW"
			}
			on = append(on, p)
		}
	}
	return strings.Join(on, " ")
}

// hygieneLines lists every finding on its own line; a check without
// findings shows its summary.
func hygieneLines(st Styles, rs []checks.Result, _ time.Time) []line {
	lw := labelWidth(rs)
	var out []line
	for _, r := range rs {
		fs, _ := r.Details["findings"].([]any)
		if len(fs) == 0 {
			out = append(out, row(st, r.Status, checks.Label(r), lw, r.Summary))
			continue
		}
		for _, f := range fs {
			out = append(out, row(st, r.Status, checks.Label(r), lw, finding(f)))
		}
	}
	return out
}

// finding renders one hygiene finding: "path: problem" or "commit path".
func finding(f any) string {
	m, ok := f.(map[string]any)
	if !ok {
		return fmt.Sprint(f)
	}
	path, _ := m["path"].(string)
	if c, ok := m["commit"].(string); ok {
		enc, _ := m["encoding"].(string)
		field, _ := m["field"].(string)
		if field == "" {
			field = "key"
		}
		s := field + " in git history: " + short(c) + " " + path
		if line, ok := m["line"].(float64); ok && line > 0 {
			s += ":" + itoa(int(line))
		}
		if head, ok := m["in_head"].(bool); ok && !head {
			s += " (deleted since)"
		}
		if enc != "" && enc != "raw" {
			s += " (" + enc + ")"
		}
		return s
	}
	problem, _ := m["problem"].(string)
	return path + ": " + problem
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// timeField reads an RFC 3339 time from details.
func timeField(d map[string]any, k string) (time.Time, bool) {
	s, ok := d[k].(string)
	if !ok || s == "" {
		return time.Time{}, false
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func itoa(n int) string { return strconv.Itoa(n) }

// clockLines is the Clock pane: an exchange's offset as "1.2 s behind ·
// margin 3.8 s of 5.0 s", which fits a half-width pane where the check's
// full summary does not; other lines drop the summary's "local clock ".
func clockLines(st Styles, rs []checks.Result, _ time.Time) []line {
	lw := labelWidth(rs)
	out := make([]line, 0, len(rs))
	for _, r := range rs {
		text := strings.TrimPrefix(r.Summary, "local clock ")
		if r.ID == "clock.exchange" && r.Status != checks.Unknown {
			if c, ok := exchangeOffset(r.Details); ok {
				text = c
			}
		}
		out = append(out, row(st, r.Status, checks.Label(r), lw, text))
	}
	return out
}

// exchangeOffset renders clock.exchange details: offset_ms (the server
// ahead of the host when positive), margin_ms and window_ms.
func exchangeOffset(d map[string]any) (string, bool) {
	off, ok1 := numField(d, "offset_ms")
	margin, ok2 := numField(d, "margin_ms")
	window, ok3 := numField(d, "window_ms")
	if !ok1 || !ok2 || !ok3 {
		return "", false
	}
	dir := "behind"
	if off < 0 {
		dir, off = "ahead", -off
	}
	return fmt.Sprintf("%s %s · margin %s of %s", millis(off), dir, millis(margin), millis(window)), true
}

// millis writes a duration in ms as "150 ms" or "1.2 s".
func millis(ms float64) string {
	if math.Abs(ms) < 1000 {
		return strconv.Itoa(int(math.Round(ms))) + " ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 1, 64) + " s"
}

// numField reads a number from details (float64 after JSON, int in tests).
func numField(d map[string]any, k string) (float64, bool) {
	switch v := d[k].(type) {
	case float64:
		return v, true
	case int:
		return float64(v), true
	}
	return 0, false
}

// networkLines is the Network pane: a whitelisted key's line drops the
// egress addresses in front ("198.51.100.23 whitelisted (config
// whitelist)"), which the egress line above already shows.
func networkLines(st Styles, rs []checks.Result, _ time.Time) []line {
	lw := labelWidth(rs)
	out := make([]line, 0, len(rs))
	for _, r := range rs {
		text := r.Summary
		if r.ID == "ip.whitelist" && r.Status == checks.OK {
			if i := strings.Index(text, " whitelisted"); i > 0 {
				text = text[i+1:]
			}
		}
		out = append(out, row(st, r.Status, checks.Label(r), lw, text))
	}
	return out
}

// activityLines: one line per activity check and profile, named by what it
// watches (orders, funds, key), its summary naming the evidence.
func activityLines(st Styles, rs []checks.Result, _ time.Time) []line {
	lw := labelWidth(rs)
	out := make([]line, 0, len(rs))
	for _, r := range rs {
		what := strings.TrimPrefix(r.ID, "activity.")
		out = append(out, row(st, r.Status, checks.Label(r), lw, what+": "+r.Summary))
	}
	return out
}
