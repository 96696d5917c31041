package checks

import (
	"encoding/json"
	"io"
	"time"
)

// reportJSON is the spec's `check --json` version 1 layout.
type reportJSON struct {
	Version    int      `json:"version"`
	Host       string   `json:"host"`
	StartedAt  string   `json:"started_at"`
	DurationMS int64    `json:"duration_ms"`
	Status     Status   `json:"status"`
	Checks     []Result `json:"checks"`
}

// MarshalJSON renders the spec's version 1 layout.
func (r Report) MarshalJSON() ([]byte, error) {
	checks := r.Checks
	if checks == nil {
		checks = []Result{}
	}
	v := r.Version
	if v == 0 {
		v = 1
	}
	return json.Marshal(reportJSON{
		Version:    v,
		Host:       r.Host,
		StartedAt:  r.StartedAt.UTC().Format(time.RFC3339),
		DurationMS: r.Duration.Milliseconds(),
		Status:     r.Status,
		Checks:     checks,
	})
}

// UnmarshalJSON reads a report written by MarshalJSON (for tools and tests
// that consume `check --json`).
func (r *Report) UnmarshalJSON(b []byte) error {
	var v struct {
		Version    int    `json:"version"`
		Host       string `json:"host"`
		StartedAt  string `json:"started_at"`
		DurationMS int64  `json:"duration_ms"`
		Status     Status `json:"status"`
		Checks     []struct {
			Result
			DurationMS int64 `json:"duration_ms"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	t, err := time.Parse(time.RFC3339, v.StartedAt)
	if err != nil && v.StartedAt != "" {
		return err
	}
	*r = Report{Version: v.Version, Host: v.Host, StartedAt: t, Duration: time.Duration(v.DurationMS) * time.Millisecond, Status: v.Status}
	for _, c := range v.Checks {
		res := c.Result
		res.Duration = time.Duration(c.DurationMS) * time.Millisecond
		r.Checks = append(r.Checks, res)
	}
	return nil
}

// WriteJSON writes the report as indented JSON (version 1), ready to paste
// into a bug report: it never holds a secret.
func WriteJSON(w io.Writer, r Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
