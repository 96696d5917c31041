// Package checks is the engine behind `keywarden check`, the dashboard,
// `exec`'s pre-launch gate and `watch`: checks, a parallel runner that shares
// work between them, and printers for text, JSON and Prometheus.
package checks

import (
	"encoding/json"
	"fmt"
	"time"
)

// Status is a check's verdict. The numeric values are the Nagios exit codes
// and the Prometheus keywarden_check_status values.
type Status int

// Statuses.
const (
	OK      Status = 0
	Warn    Status = 1
	Crit    Status = 2
	Unknown Status = 3
)

func (s Status) String() string {
	switch s {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	case Crit:
		return "crit"
	}
	return "unknown"
}

// ParseStatus parses "ok", "warn", "crit" or "unknown".
func ParseStatus(v string) (Status, error) {
	switch v {
	case "ok":
		return OK, nil
	case "warn":
		return Warn, nil
	case "crit":
		return Crit, nil
	case "unknown":
		return Unknown, nil
	}
	return Unknown, fmt.Errorf("unknown status %q (want ok, warn, crit or unknown)", v)
}

// severity orders statuses for "worst wins": crit > unknown > warn > ok.
func (s Status) severity() int {
	switch s {
	case OK:
		return 0
	case Warn:
		return 1
	case Unknown:
		return 2
	}
	return 3
}

// Worse reports whether s is worse than o.
func (s Status) Worse(o Status) bool { return s.severity() > o.severity() }

// Worst returns the worst of the statuses (OK for none).
func Worst(ss ...Status) Status {
	w := OK
	for _, s := range ss {
		if s.Worse(w) {
			w = s
		}
	}
	return w
}

// MarshalJSON renders the status word.
func (s Status) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON parses the status word.
func (s *Status) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	st, err := ParseStatus(v)
	*s = st
	return err
}

// Result is one check's outcome, rendered alike by the dashboard, `check`
// (text, JSON, Prometheus) and `watch`. Details hold the spec's fields for the
// check id; they never hold a secret.
type Result struct {
	ID       string         `json:"id"`
	Profile  string         `json:"profile,omitempty"` // "" for host-scope checks
	Status   Status         `json:"status"`
	Summary  string         `json:"summary"`
	Hint     string         `json:"hint,omitempty"`
	Details  map[string]any `json:"details"`
	Duration time.Duration  `json:"-"`
	// key is key.permissions' typed judgement, for Validate and the gate;
	// nil for every other result and after a JSON round trip.
	key *KeyJudgement
}

// MarshalJSON adds duration_ms.
func (r Result) MarshalJSON() ([]byte, error) {
	type plain Result
	d := r.Details
	if d == nil {
		d = map[string]any{}
	}
	p := plain(r)
	p.Details = d
	return json.Marshal(struct {
		plain
		DurationMS int64 `json:"duration_ms"`
	}{p, r.Duration.Milliseconds()})
}

// Key identifies a result: check id and profile.
func (r Result) Key() string {
	if r.Profile == "" {
		return r.ID
	}
	return r.ID + "/" + r.Profile
}
