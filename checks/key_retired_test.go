package checks

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// A rotation is finished only when the old key is dead: key.retired is crit
// while the exchange still accepts the retired key, records the revocation
// once the exchange rejects it, then never calls the exchange for it again;
// an exchange that cannot be asked leaves it unknown with the cause.
func TestKeyRetired(t *testing.T) {
	const newKey, newSecret, newPass = "kwTESTokxNewKeyQq1Ww2Ee3", "kwTESTokxNewSecretRr4Tt5Yy6Uu7", "kwTESTokxNewPass-Ii8"
	w := newWorld(t)
	ctx := context.Background()
	w.okx.SetKey(exchangetest.OKXKey{APIKey: newKey, Secret: newSecret, Passphrase: newPass,
		Perm: []string{"read_only", "trade"}, IPs: []string{egressV4.String()}})
	old, err := w.store.Get(ctx, "okx-arb")
	if err != nil {
		t.Fatal(err)
	}
	next := keystore.Item{APIKey: keystore.NewSecret(newKey), APISecret: keystore.NewSecret(newSecret),
		Passphrase: keystore.NewSecret(newPass), CreatedAt: time.Now()}
	if err := w.store.Set(ctx, "okx-arb", old.Replace(next, time.Now())); err != nil {
		t.Fatal(err)
	}
	run := func() Result {
		t.Helper()
		d := w.deps()
		for _, r := range Run(ctx, NewEnv(d), Build(d, Options{Profiles: []string{"okx-arb"}})).Checks {
			if r.ID == "key.retired" {
				return r
			}
		}
		t.Fatal("no key.retired result")
		return Result{}
	}
	fp := keystore.Fingerprint(keystore.NewSecret(okxKey))

	r := run()
	if r.Status != Crit || !strings.Contains(r.Summary, fp) || !strings.Contains(r.Summary, "still authenticates") || !strings.Contains(r.Hint, "revoke it on OKX") {
		t.Fatalf("old key still valid: %v %q (hint %q)", r.Status, r.Summary, r.Hint)
	}
	rows := r.Details["retired"].([]any)
	if len(rows) != 1 || rows[0].(map[string]any)["still_valid"] != true {
		t.Errorf("details %v", r.Details)
	}

	w.okx.Faults.Set(exchangetest.Fault{Kind: exchangetest.ServerError})
	if r := run(); r.Status != Unknown || r.Details["cause"] == nil || r.Hint == "" {
		t.Errorf("exchange failing: %v %q cause %v", r.Status, r.Summary, r.Details["cause"])
	}
	w.okx.Faults.Set(exchangetest.Fault{})

	w.okx.RemoveKey(okxKey) // the trader revoked it
	if r := run(); r.Status != OK || !strings.Contains(r.Summary, "all revoked") || !strings.Contains(r.Summary, "revoked: "+fp) {
		t.Fatalf("after revocation: %v %q", r.Status, r.Summary)
	}
	it, err := w.store.Get(ctx, "okx-arb")
	if err != nil || len(it.Retired) != 1 || it.Retired[0].RevokedAt.IsZero() || !it.APIKey.Equal(next.APIKey) {
		t.Fatalf("revocation not recorded, or the current key changed: %v %+v", err, it.Retired)
	}
	if r := run(); r.Status != OK || r.Details["retired"].([]any)[0].(map[string]any)["revoked_at"] == nil {
		t.Errorf("third run: %v %q", r.Status, r.Summary)
	}
	// Recorded as revoked, the key is not asked about again: if it were, a
	// fake that knew it again would turn the check crit.
	w.okx.SetKey(exchangetest.OKXKey{APIKey: okxKey, Secret: okxSecret, Passphrase: okxPass, IPs: []string{egressV4.String()}})
	if r := run(); r.Status != OK {
		t.Errorf("a recorded revocation was tested again: %v %q", r.Status, r.Summary)
	}
}

// Refused for this host's IP, a retired key still exists on the exchange:
// it works wherever its whitelist allows.
func TestKeyRetiredRefusedForIPStillExists(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	old, _ := w.store.Get(ctx, "bybit-grid") // bound to 198.51.100.0/24, not this host
	next := keystore.Item{APIKey: keystore.NewSecret("kwTESTbybitNext-Aa1"), APISecret: keystore.NewSecret("kwTESTbybitNextSecret-Bb2")}
	if err := w.store.Set(ctx, "bybit-grid", old.Replace(next, time.Now())); err != nil {
		t.Fatal(err)
	}
	d := w.deps()
	for _, r := range Run(ctx, NewEnv(d), Build(d, Options{Profiles: []string{"bybit-grid"}})).Checks {
		if r.ID == "key.retired" && (r.Status != Crit || !strings.Contains(r.Summary, "still authenticates")) {
			t.Errorf("%v %q", r.Status, r.Summary)
		}
	}
}
