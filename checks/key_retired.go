package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// runKeyRetired tests every retired key of the profile that is not yet
// known to be revoked: a rotation is only finished when the old key is
// dead. A key the exchange rejects as unknown is recorded as revoked (with
// the date) and not called again.
func runKeyRetired(ctx context.Context, env *Env, p config.Profile) Result {
	d := map[string]any{"retired": []any{}}
	it, err := env.Item(ctx, p.Name)
	if errors.Is(err, keystore.ErrNotFound) {
		return Result{Status: OK, Details: d, Summary: "no stored key, so no retired key"}
	}
	if err != nil {
		return Result{Status: Unknown, Details: d, Summary: "cannot read the stored key: " + err.Error(),
			Hint: "fix the keystore (see the keystore check), then run the check again"}
	}
	if len(it.Retired) == 0 {
		return Result{Status: OK, Details: d, Summary: "no retired keys"}
	}
	var c exchange.Client
	var off time.Duration
	if c, err = env.Client(p); err == nil {
		off = env.signingOffset(ctx, p)
	}
	// The item is the Env's shared copy: record revocations in a copy.
	retired := slices.Clone(it.Retired)
	var rows []any
	var valid, unsure, revokedNow []string
	var unsureWhy []string
	for i, r := range retired {
		fp := keystore.Fingerprint(r.APIKey)
		row := map[string]any{"fingerprint": fp, "retired_at": rfc3339(r.RetiredAt), "still_valid": nil, "revoked_at": rfc3339(r.RevokedAt)}
		rows = append(rows, row)
		if !r.RevokedAt.IsZero() {
			row["still_valid"] = false
			continue
		}
		if c == nil {
			unsure = append(unsure, fp)
			unsureWhy = append(unsureWhy, fp+": "+err.Error())
			d["cause"] = string(exchange.CauseOf(err))
			continue
		}
		_, kerr := c.KeyInfo(ctx, r.Credentials(), off)
		switch cause := exchange.CauseOf(kerr); {
		case kerr == nil:
			row["still_valid"] = true
			valid = append(valid, fp)
		case cause == exchange.CauseIP || cause == exchange.CausePermission:
			// Refused for this host's IP or a permission: the exchange
			// knows the key, so it still works where it is allowed.
			row["still_valid"] = true
			valid = append(valid, fp)
		case cause == exchange.CauseKey:
			row["still_valid"] = false
			retired[i].RevokedAt = env.Now().UTC()
			row["revoked_at"] = rfc3339(retired[i].RevokedAt)
			revokedNow = append(revokedNow, fp)
		case cause == exchange.CauseAmbiguousAuth:
			unsure = append(unsure, fp)
			unsureWhy = append(unsureWhy, fp+": rejected without saying why, most likely revoked ("+kerr.Error()+")")
			d["cause"] = string(cause)
		default:
			unsure = append(unsure, fp)
			unsureWhy = append(unsureWhy, fp+": "+kerr.Error())
			d["cause"] = string(cause)
		}
	}
	d["retired"] = rows
	page := exchange.APIPage(p.Exchange)
	var notes []string
	if len(revokedNow) > 0 {
		if err := recordRevoked(ctx, env, p.Name, retired); err != nil {
			notes = append(notes, "could not record the revocation: "+err.Error())
		} else {
			notes = append(notes, "revoked: "+strings.Join(revokedNow, ", "))
		}
	}
	switch {
	case len(valid) > 0:
		return Result{Status: Crit, Details: d,
			Summary: fmt.Sprintf("retired key %s still authenticates on %s", strings.Join(valid, ", "), p.Exchange),
			Hint:    "revoke it on " + page + ": whoever has the old key can still use it"}
	case len(unsure) > 0:
		return Result{Status: Unknown, Details: d,
			Summary: "cannot tell whether retired key " + strings.Join(unsure, ", ") + " is revoked: " + strings.Join(unsureWhy, "; "),
			Hint:    "make sure it is deleted on " + page}
	}
	s := fmt.Sprintf("%d retired %s, all revoked", len(retired), plural(len(retired), "key", "keys"))
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, "; ") + ")"
	}
	return Result{Status: OK, Details: d, Summary: s}
}

// recordRevoked writes the revocation dates into the stored item, reading it
// again first so a concurrent rotation is not undone: only the dates of the
// retired keys it still holds change.
func recordRevoked(ctx context.Context, env *Env, profile string, seen []keystore.Retired) error {
	st, err := env.Store()
	if err != nil {
		return err
	}
	cur, err := st.Get(ctx, profile)
	if err != nil {
		return err
	}
	changed := false
	for i, r := range cur.Retired {
		for _, s := range seen {
			if r.RevokedAt.IsZero() && !s.RevokedAt.IsZero() && r.APIKey.Equal(s.APIKey) {
				cur.Retired[i].RevokedAt = s.RevokedAt
				changed = true
			}
		}
	}
	if !changed {
		return nil
	}
	return st.Set(ctx, profile, cur)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
