package checks

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// WritePrometheus writes the report in the Prometheus text exposition
// format (the names `watch --metrics-addr` serves):
//
//	keywarden_check_status{check,profile}            0 ok, 1 warn, 2 crit, 3 unknown
//	keywarden_check_duration_seconds{check,profile}
//	keywarden_clock_offset_seconds{source}           "ntp", "ntp:<server>", "exchange:<profile>"
//	keywarden_key_age_days{profile}
//	keywarden_key_rotation_days_left{profile}
//
// Offsets are the reference clock minus the local clock.
func WritePrometheus(w io.Writer, r Report) error {
	pw := &promWriter{w: w}
	pw.family("keywarden_check_status", "Check status: 0 ok, 1 warn, 2 crit, 3 unknown.")
	for _, c := range r.Checks {
		pw.sample("keywarden_check_status", labels("check", c.ID, "profile", c.Profile), float64(c.Status))
	}
	pw.family("keywarden_check_duration_seconds", "How long the check took.")
	for _, c := range r.Checks {
		pw.sample("keywarden_check_duration_seconds", labels("check", c.ID, "profile", c.Profile), c.Duration.Seconds())
	}
	pw.family("keywarden_clock_offset_seconds", "Reference clock minus local clock.")
	for _, c := range r.Checks {
		switch c.ID {
		case "clock.ntp":
			if v, ok := number(c.Details["offset_ms"]); ok {
				pw.sample("keywarden_clock_offset_seconds", labels("source", "ntp"), v/1000)
			}
			for _, s := range asMaps(c.Details["servers"]) {
				if v, ok := number(s["offset_ms"]); ok {
					pw.sample("keywarden_clock_offset_seconds", labels("source", "ntp:"+fmt.Sprint(s["server"])), v/1000)
				}
			}
		case "clock.exchange":
			if v, ok := number(c.Details["offset_ms"]); ok {
				pw.sample("keywarden_clock_offset_seconds", labels("source", "exchange:"+c.Profile), v/1000)
			}
		}
	}
	pw.family("keywarden_key_age_days", "Age of the profile's API key in days.")
	for _, c := range r.Checks {
		if c.ID == "key.age" {
			if v, ok := number(c.Details["age_days"]); ok {
				pw.sample("keywarden_key_age_days", labels("profile", c.Profile), v)
			}
		}
	}
	pw.family("keywarden_key_rotation_days_left", "Days until the key must be rotated (negative: overdue).")
	for _, c := range r.Checks {
		if c.ID == "key.age" {
			if v, ok := number(c.Details["days_left"]); ok {
				pw.sample("keywarden_key_rotation_days_left", labels("profile", c.Profile), v)
			}
		}
	}
	return pw.err
}

type promWriter struct {
	w   io.Writer
	err error
}

func (p *promWriter) printf(format string, a ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, a...)
	}
}

func (p *promWriter) family(name, help string) {
	p.printf("# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

func (p *promWriter) sample(name, lbls string, v float64) {
	p.printf("%s{%s} %s\n", name, lbls, formatFloat(v))
}

func labels(kv ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(kv[i])
		b.WriteString(`="`)
		b.WriteString(escapeLabel(kv[i+1]))
		b.WriteByte('"')
	}
	return b.String()
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// number reads a numeric details value, as built here or decoded from JSON.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// asMaps reads a list-of-objects details value, as built here or decoded
// from JSON.
func asMaps(v any) []map[string]any {
	switch l := v.(type) {
	case []map[string]any:
		return l
	case []any:
		var out []map[string]any
		for _, x := range l {
			if m, ok := x.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}
