package cmd

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/internal/testutil"
)

// TestCheckScripts runs `check`, the bare command without a terminal and
// `exec`'s gate against a fake Binance (a key with withdrawals enabled, on
// its whitelist) and a loopback public-IP source.
func TestCheckScripts(t *testing.T) {
	testutil.LookPath(t, "git")
	p := scriptParams("testdata/check")
	setup := p.Setup
	p.Setup = func(e *testscript.Env) error {
		if err := setup(e); err != nil {
			return err
		}
		egress := netip.MustParseAddr("203.0.113.7")
		bin := exchangetest.NewBinance(exchangetest.BinanceKey{
			APIKey: scriptSecrets[0], Secret: scriptSecrets[1],
			Reading: true, SpotAndMarginTrading: true, Withdrawals: true,
			Whitelist: []string{egress.String()}, CreatedAt: time.Now().Add(-41 * 24 * time.Hour),
		})
		// A futures-only key with no IP restriction: it moves value from
		// anywhere, so the gate must refuse it although it cannot trade spot
		// or withdraw.
		bin.SetKey(exchangetest.BinanceKey{
			APIKey: scriptSecrets[3], Secret: scriptSecrets[4],
			Reading: true, Futures: true, CreatedAt: time.Now().Add(-10 * 24 * time.Hour),
		})
		bin.SetCallerIP(egress)
		// An OKX trading key "bound" to 0.0.0.0/0, which admits everyone.
		okx := exchangetest.NewOKX(exchangetest.OKXKey{
			APIKey: scriptSecrets[6], Secret: scriptSecrets[7], Passphrase: scriptSecrets[8],
			Perm: []string{"read_only", "trade"}, IPs: []string{"0.0.0.0/0"},
		})
		okx.SetCallerIP(egress)
		ip := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintln(w, egress)
		}))
		e.Defer(func() { bin.Close(); okx.Close(); ip.Close() })
		e.Setenv("BINANCE_URL", bin.URL())
		e.Setenv("OKX_URL", okx.URL())
		e.Setenv("IP_URL", ip.URL)
		return nil
	}
	p.Cmds["subst"] = cmdSubst
	p.Cmds["hostilegit"] = cmdHostileGit
	p.Cmds["nothingran"] = cmdNothingRan
	testscript.Run(t, p)
}

// cmdSubst expands $VARS of the script's environment in files, in place:
// subst FILE... (configs need the fakes' loopback URLs).
func cmdSubst(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: subst FILE...")
	}
	for _, f := range args {
		path := ts.MkAbs(f)
		data := os.Expand(ts.ReadFile(f), ts.Getenv)
		ts.Check(os.WriteFile(path, []byte(data), 0o600))
	}
}
