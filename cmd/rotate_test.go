package cmd

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// Credentials the Bybit fake of the wizard tests knows, beyond scriptSecrets.
var (
	wizOld      = exchangetest.BybitKey{APIKey: scriptSecrets[0], Secret: scriptSecrets[1]}
	wizNew      = exchangetest.BybitKey{APIKey: scriptSecrets[3], Secret: scriptSecrets[4]}
	wizWithdraw = exchangetest.BybitKey{APIKey: "kwTESTwithdrawKeyAa1Bb2Cc3Dd4Ee5", Secret: "kwTESTwithdrawSecretFf6Gg7Hh8Ii9Jj0"}
	// wizSecrets are every credential the wizard tests use.
	wizSecrets = []string{wizOld.APIKey, wizOld.Secret, wizNew.APIKey, wizNew.Secret, wizWithdraw.APIKey, wizWithdraw.Secret}
)

// wizFake starts a Bybit fake that knows the old, new and withdrawal keys,
// all bound to loopback, and an IP echo server answering 127.0.0.1.
func wizFake(t testing.TB) (*exchangetest.Bybit, string) {
	trade := map[string][]string{"Spot": {"SpotTrade"}}
	ip := []string{"127.0.0.1"}
	old, nw, wd := wizOld, wizNew, wizWithdraw
	old.Permissions, old.IPs = trade, ip
	old.CreatedAt = time.Now().Add(-20 * 24 * time.Hour) // a key made before keywarden saw it
	nw.Permissions, nw.IPs = trade, ip
	wd.Permissions, wd.IPs = map[string][]string{"Spot": {"SpotTrade"}, "Wallet": {"Withdraw"}}, ip
	f := exchangetest.NewBybit(old, nw, wd)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("127.0.0.1\n"))
	}))
	return f, echo.URL
}

// wizConfig is a hand-written config (with a comment) using the file
// keystore, the echo server and, when bybitURL is set, a bybit-grid profile
// on the fake.
func wizConfig(home, bybitURL, echoURL string) string {
	s := "# written by hand; keep this comment\nkeystore = \"file\"\npassphrase_file = \"" + filepath.Join(home, "pass") +
		"\"\n\n[ip]\nsources = [\"" + echoURL + "\"]\n"
	if bybitURL != "" {
		s += "\n[[profile]]\nname = \"bybit-grid\"\nexchange = \"bybit\"\nbase_url = \"" + bybitURL + "\"\nwhitelist = [\"127.0.0.1\"]\n"
	}
	return s
}

func TestRotateScripts(t *testing.T) {
	p := scriptParams("testdata/rotate")
	setup := p.Setup
	p.Setup = func(e *testscript.Env) error {
		if err := setup(e); err != nil {
			return err
		}
		f, echoURL := wizFake(t)
		e.Defer(f.Close)
		e.Values["bybit"] = f
		e.Setenv("BYBIT_URL", f.URL())
		home := filepath.Join(e.WorkDir, "home")
		dir := filepath.Join(home, ".config", "keywarden")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, "config.toml"), []byte(wizConfig(home, f.URL(), echoURL)), 0o600)
	}
	p.Cmds["revoke"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) != 1 {
			ts.Fatalf("usage: revoke APIKEY")
		}
		ts.Value("bybit").(*exchangetest.Bybit).RemoveKey(args[0])
	}
	nosecret := p.Cmds["nosecret"]
	p.Cmds["nosecret"] = func(ts *testscript.TestScript, neg bool, args []string) {
		nosecret(ts, neg, args)
		if len(args) == 0 {
			for _, f := range []string{"stdout", "stderr"} {
				for _, s := range wizSecrets {
					if bytes.Contains([]byte(ts.ReadFile(f)), []byte(s)) {
						ts.Fatalf("a wizard test credential shows in %s", f)
					}
				}
			}
		}
	}
	testscript.Run(t, p)
}
