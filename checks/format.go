package checks

import (
	"fmt"
	"math"
	"time"
)

// round3 rounds to three decimals, so JSON shows microsecond precision in
// milliseconds without float noise.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// ms converts a duration to milliseconds for details.
func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

// fmtMS renders milliseconds for people: "4 ms", "1.9 s", "7.0 s".
func fmtMS(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 10000:
		return fmt.Sprintf("%.0f s", v/1000)
	case a >= 1000:
		return fmt.Sprintf("%.1f s", v/1000)
	case a >= 10:
		return fmt.Sprintf("%.0f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}

// fmtSignedMS renders a signed offset: "+12 ms", "-1.9 s".
func fmtSignedMS(v float64) string {
	if v >= 0 {
		return "+" + fmtMS(v)
	}
	return fmtMS(v)
}

// rfc3339 renders a time for details: RFC 3339 UTC, or nil for the zero time.
func rfc3339(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

// errText is an error's text for details, or nil.
func errText(err error) any {
	if err == nil {
		return nil
	}
	return err.Error()
}

const day = 24 * time.Hour

// days renders a day count: "1 day", "41 days".
func days(n int) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d day", n)
	}
	return fmt.Sprintf("%d days", n)
}
