package checks

import (
	"bytes"
	"encoding/json"
	"io"
	"time"
)

// resultJSON is one check in the version 1 layout.
type resultJSON struct {
	ID         string         `json:"id"`
	Profile    string         `json:"profile,omitempty"`
	Status     Status         `json:"status"`
	Summary    string         `json:"summary"`
	Hint       string         `json:"hint,omitempty"`
	Details    map[string]any `json:"details"`
	DurationMS int64          `json:"duration_ms"`
}

// MarshalJSON renders the spec's version 1 layout. Text is not HTML-escaped
// ("->" stays readable in a bug report).
func (r Report) MarshalJSON() ([]byte, error) {
	checks := make([]resultJSON, 0, len(r.Checks))
	for _, c := range r.Checks {
		d := c.Details
		if d == nil {
			d = map[string]any{}
		}
		checks = append(checks, resultJSON{ID: c.ID, Profile: c.Profile, Status: c.Status, Summary: c.Summary,
			Hint: c.Hint, Details: d, DurationMS: c.Duration.Milliseconds()})
	}
	v := r.Version
	if v == 0 {
		v = 1
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(struct {
		Version    int          `json:"version"`
		Host       string       `json:"host"`
		StartedAt  string       `json:"started_at"`
		DurationMS int64        `json:"duration_ms"`
		Status     Status       `json:"status"`
		Checks     []resultJSON `json:"checks"`
	}{v, r.Host, r.StartedAt.UTC().Format(time.RFC3339), r.Duration.Milliseconds(), r.Status, checks})
	return bytes.TrimRight(b.Bytes(), "\n"), err
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
