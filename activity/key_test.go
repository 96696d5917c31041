package activity

import (
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// keyFakes starts each exchange not covered by TestAccounts with a trading
// key, and returns a world and a function that edits the key on the fake,
// and the change activity.key must then report.
var keyFakes = map[string]func(t *testing.T) (*world, func(), string){
	"coinbase": func(t *testing.T) (*world, func(), string) {
		secret, err := exchangetest.GenerateCoinbaseKey("ES256")
		if err != nil {
			t.Fatal(err)
		}
		k := exchangetest.CoinbaseKey{Name: "organizations/0b2e5a0c-1111-4444-8888-0123456789ab/apiKeys/9f0e1d2c-3333-5555-7777-ba9876543210",
			Secret: secret, Permissions: exchangetest.CoinbaseKeyPermissions{CanView: true, CanTrade: true,
				PortfolioUUID: "8bfc20d7-f7c6-4422-bf07-8243ca4169fe", PortfolioType: "DEFAULT"}}
		f := exchangetest.NewCoinbase(k)
		t.Cleanup(f.Close)
		w := newWorld(t, "coinbase", f.URL(), keystore.Item{APIKey: keystore.NewSecret(k.Name), APISecret: keystore.NewSecret(secret)}, false)
		return w, func() {
			k.Permissions.CanTransfer = true
			if err := f.SetKey(k); err != nil {
				t.Fatal(err)
			}
		}, "permission transfer no→yes"
	},
}

// TestKeyChangeOnEveryOtherExchange: activity.key needs only the key-info
// endpoint, so it works where history is not yet monitored, and says so.
func TestKeyChangeOnEveryOtherExchange(t *testing.T) {
	for name, start := range keyFakes {
		t.Run(name, func(t *testing.T) {
			w, change, want := start(t)
			r := w.want(KeyID, checks.OK)
			blind, _ := r.Details["blind_spots"].([]string)
			if !strings.Contains(strings.Join(blind, "\n"), "not yet monitored on "+name) {
				t.Errorf("blind spots do not say history is not monitored: %v", blind)
			}
			w.want(KeyID, checks.OK)
			change()
			if c := changes(w.want(KeyID, checks.Crit)); !strings.Contains(c, want) {
				t.Fatalf("changes %q, want %q", c, want)
			}
			w.ack(KeyAck)
			w.want(KeyID, checks.OK)
			for _, mk := range Checks(w.state) {
				if c := mk(w.profile); c != nil && c.ID() != KeyID {
					t.Errorf("%s built for %s, whose history is not read", c.ID(), name)
				}
			}
		})
	}
}
