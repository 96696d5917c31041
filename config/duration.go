package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Day is 24 hours; config durations count calendar-free days.
const Day = 24 * time.Hour

var dayRE = regexp.MustCompile(`^([0-9]+)([dw])$`)

// ParseDuration reads a config duration: whole days ("90d"), weeks ("2w"), or
// anything time.ParseDuration accepts ("36h", "90m"). Negative and zero
// durations are rejected: every duration in the config is a positive span.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration: use a number of days like \"90d\"")
	}
	if m := dayRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		days := n
		if m[2] == "w" {
			days = 7 * n
		}
		// 100000 days (273 years) is far below time.Duration's limit (~292
		// years), so the product cannot overflow.
		if err != nil || n > 100000 || days > 100000 {
			return 0, fmt.Errorf("duration %q is too large", s)
		}
		if n == 0 {
			return 0, fmt.Errorf("duration %q must be positive", s)
		}
		return time.Duration(days) * Day, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q: use days like \"90d\", weeks like \"2w\", or hours like \"36h\"", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q must be positive", s)
	}
	return d, nil
}

// FormatDuration writes d the way the config reads it: whole days as "90d",
// anything else in Go's notation.
func FormatDuration(d time.Duration) string {
	if d > 0 && d%Day == 0 {
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	}
	return d.String()
}
