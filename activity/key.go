package activity

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// KeySnapshot is what an exchange says about the key, in comparable form.
type KeySnapshot struct {
	// Permissions maps each common permission to yes, no or unknown.
	Permissions map[string]string `json:"permissions"`
	// Raw is the exchange's own permission names, sorted.
	Raw          []string `json:"raw"`
	IPRestricted string   `json:"ip_restricted"`
	// Whitelist is sorted; nil when the exchange does not report one.
	Whitelist []string `json:"whitelist"`
	CreatedAt string   `json:"created_at"`
	ExpiresAt string   `json:"expires_at"`
	// ModifiedAt is when the key's settings were last saved (Kraken's
	// modifiedTime): an edit shows here even when it changed nothing else
	// the snapshot holds. The key's last use is not in the snapshot: every
	// poll of ours moves it.
	ModifiedAt string `json:"modified_at,omitempty"`
}

// Snapshot takes the comparable part of ki.
func Snapshot(ki exchange.KeyInfo) KeySnapshot {
	s := KeySnapshot{Permissions: map[string]string{}, IPRestricted: ki.IPRestricted.String()}
	for _, n := range append([]string{"read"}, exchange.ValueMovingNames...) {
		s.Permissions[n] = ki.Permissions.Get(n).String()
	}
	s.Raw = slices.Sorted(slices.Values(ki.Raw))
	if ki.Whitelist != nil {
		s.Whitelist = slices.Sorted(slices.Values(ki.Whitelist))
	}
	if !ki.CreatedAt.IsZero() {
		s.CreatedAt = ki.CreatedAt.UTC().Format(time.RFC3339)
	}
	if !ki.ExpiresAt.IsZero() {
		s.ExpiresAt = ki.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if !ki.ModifiedAt.IsZero() {
		s.ModifiedAt = ki.ModifiedAt.UTC().Format(time.RFC3339)
	}
	return s
}

// Change is one field of the key's snapshot that differs from the last
// poll's.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Diff lists the fields that differ from old to cur, in a stable order.
func Diff(old, cur KeySnapshot) []Change {
	var out []Change
	add := func(field, a, b string) {
		if a != b {
			out = append(out, Change{Field: field, Before: a, After: b})
		}
	}
	names := append([]string{"read"}, exchange.ValueMovingNames...)
	for _, n := range names {
		add("permission "+n, old.Permissions[n], cur.Permissions[n])
	}
	add("exchange permissions", list(old.Raw), list(cur.Raw))
	add("ip restricted", old.IPRestricted, cur.IPRestricted)
	add("ip whitelist", whitelist(old.Whitelist), whitelist(cur.Whitelist))
	add("created", orNone(old.CreatedAt), orNone(cur.CreatedAt))
	add("expires", orNone(old.ExpiresAt), orNone(cur.ExpiresAt))
	// A snapshot taken before keywarden read the modification time has
	// none: its first appearance is not an edit.
	if old.ModifiedAt != "" || cur.ModifiedAt == "" {
		add("modified", orNone(old.ModifiedAt), orNone(cur.ModifiedAt))
	}
	return out
}

func list(v []string) string {
	if len(v) == 0 {
		return "none"
	}
	return strings.Join(v, ",")
}

func whitelist(v []string) string {
	if v == nil {
		return "not reported"
	}
	return list(v)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// keyState is key.json.
type keyState struct {
	Baseline time.Time `json:"baseline"`
	// Cursor is when the snapshot was last read from the exchange.
	Cursor   time.Time   `json:"cursor,omitzero"`
	Snapshot KeySnapshot `json:"snapshot"`
	// Pending are the changes seen and not yet acknowledged.
	Pending []pendingChange `json:"pending"`
}

type pendingChange struct {
	Change
	At time.Time `json:"at"`
}

func runKey(ctx context.Context, env *checks.Env, p config.Profile, s store) checks.Result {
	a, err := acks(s)
	if err != nil {
		return unknown(KeyID, p, "activity state unreadable", err.Error())
	}
	now := env.Now().UTC()
	gap := readGap(p.Exchange, KeyID)
	var st keyState
	if err := read(s, "key", &st); err != nil {
		return unknown(KeyID, p, "activity state unreadable", err.Error())
	}
	// Within the gap the last read's snapshot stands: no call is made.
	skipped := gap > 0 && !st.Baseline.IsZero() && now.Sub(st.Cursor) < gap
	var ki exchange.KeyInfo
	if !skipped {
		if ki, err = env.KeyInfo(ctx, p); err != nil {
			return unknown(KeyID, p, "key snapshot unavailable", err.Error())
		}
	}
	cur := Snapshot(ki)
	var first bool
	err = update(ctx, s, "key", &st, func(f bool) error {
		first = f
		if f {
			st = keyState{Baseline: now, Cursor: now, Snapshot: cur}
			return nil
		}
		if !skipped {
			for _, c := range Diff(st.Snapshot, cur) {
				st.Pending = append(st.Pending, pendingChange{Change: c, At: now})
			}
			st.Snapshot, st.Cursor = cur, now
		}
		// An ack covers the changes seen up to when it was given; a later
		// change needs a new one.
		if at, ok := a.IDs[KeyAck]; ok {
			st.Pending = slices.DeleteFunc(st.Pending, func(c pendingChange) bool { return !c.At.After(at) })
		}
		return nil
	})
	if err != nil {
		return unknown(KeyID, p, "activity state unwritable", err.Error())
	}
	changes := make([]Change, 0, len(st.Pending))
	for _, c := range st.Pending {
		changes = append(changes, c.Change)
	}
	r := checks.Result{Details: map[string]any{"changes": changes, "baseline_at": stamp(st.Baseline)}}
	switch {
	case first:
		r.Status = checks.OK
		r.Summary = "baseline set: the key's permissions, whitelist and expiry are compared with this snapshot from now on"
	case len(changes) > 0:
		r.Status = checks.Crit
		var parts []string
		for _, c := range changes {
			parts = append(parts, fmt.Sprintf("%s %s → %s", c.Field, c.Before, c.After))
		}
		r.Summary = "the key changed since the last poll: " + strings.Join(parts, "; ")
		r.Hint = fmt.Sprintf("if you did not change it, revoke the key on the exchange now (keywarden rotate %s); if you did: keywarden activity ack %s key", p.Name, p.Name)
	default:
		r.Status = checks.OK
		r.Summary = "the key's permissions, whitelist and expiry are unchanged"
	}
	blind := []string{"no exchange publishes a key-change log or the IPs that used the key: only this key's own snapshot is compared, once per poll; other keys of the account are not seen"}
	if !ki.LastUsedAt.IsZero() {
		r.Details["last_used"] = stamp(ki.LastUsedAt)
	}
	if p.Exchange == "kraken" && st.Snapshot.ModifiedAt == "" {
		blind = append(blind, "Kraken did not report the key's modifiedTime as unix seconds: an edit is seen only by the fields it changed")
	}
	if !exchange.HasActivity(p.Exchange) {
		blind = append(blind, "orders, withdrawals and transfers: not yet monitored on "+p.Exchange)
	}
	r.Details["blind_spots"] = blind
	if !first {
		spaced(&r, gap, st.Cursor, skipped)
	}
	return r
}
