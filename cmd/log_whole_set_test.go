package cmd

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/keystore"
)

// Values stored beside okx-arb's: another profile sharing its audit log, a
// notifier token no profile names, and okx-arb's own retired key.
var (
	sharedKey    = "kwOTHERkey-Zx8Cv7Bn6Mm5Ll4Kk3Jj2Hh1Gg0"
	sharedSecret = "kwOTHERsecret-Qw1Er2Ty3Ui4Op5As6Df7"
	hookToken    = "kwHOOKtoken-Pp9Oo8Ii7Uu6Yy5Tt4"
	retiredKey   = "kwRETIREDkey-Aa1Ss2Dd3Ff4Gg5Hh6"
	retiredValue = "kwRETIREDsecret-Jj7Kk8Ll9Zz0Xx1"
)

// newSharedLogWorld is newLogWorld with a second profile, bin-b, writing
// to the same audit log, a stored token item, and a retired key in
// okx-arb's item; the log holds every one of those values.
func newSharedLogWorld(t *testing.T) logWorld {
	t.Helper()
	var lines []string
	for _, v := range []string{sharedKey, sharedSecret, hookToken, retiredKey, retiredValue, logTestKey} {
		lines = append(lines, `2026-11-25 16:04:12,000 | DEBUG | headers={'X-KEY': '`+v+`'}`)
	}
	w := newLogWorld(t, lines...)
	app := &App{ConfigPath: w.config}
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	it, err := st.Get(t.Context(), "okx-arb")
	if err != nil {
		t.Fatal(err)
	}
	it.Retired = []keystore.Retired{{APIKey: keystore.NewSecret(retiredKey), APISecret: keystore.NewSecret(retiredValue)}}
	for name, item := range map[string]keystore.Item{
		"okx-arb": it,
		"bin-b":   {APIKey: keystore.NewSecret(sharedKey), APISecret: keystore.NewSecret(sharedSecret)},
		"hook":    {APISecret: keystore.NewSecret(hookToken)},
	} {
		if err := st.Set(t.Context(), name, item); err != nil {
			t.Fatal(err)
		}
	}
	// bin-b comes first, so it is the "first matching profile" of `log FILE`.
	text, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	head, prof, _ := strings.Cut(string(text), "[[profile]]")
	binB := fmt.Sprintf("[[profile]]\nname = \"bin-b\"\nexchange = \"binance\"\naudit_log = %q\n\n", w.log)
	if err := os.WriteFile(w.config, []byte(head+binB+"[[profile]]"+prof), 0o600); err != nil {
		t.Fatal(err)
	}
	return w
}

func assertNoneOf(t *testing.T, what, out string, values ...string) {
	t.Helper()
	for _, v := range values {
		for _, enc := range auditlog.Encodings(v) {
			if strings.Contains(out, enc.Value) {
				t.Fatalf("%s holds a stored value (%s form)", what, enc.Name)
			}
		}
	}
}

// TestLogRedactsEveryStoredValue: `log PROFILE` and `log FILE` on a log
// shared with another profile redact every stored value of every item
// (other profiles', tokens', retired ones), not only the named profile's
// or the first matching profile's.
func TestLogRedactsEveryStoredValue(t *testing.T) {
	w := newSharedLogWorld(t)
	for _, args := range [][]string{{"log", "okx-arb"}, {"log", "bin-b"}, {"log", w.log}, {"log", "--json", "okx-arb"}} {
		code, out, errOut := w.run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		assertNoneOf(t, fmt.Sprint(args), out+errOut, sharedKey, sharedSecret, hookToken, retiredKey, retiredValue)
		if n := strings.Count(out, "[REDACTED]"); n != 6 {
			t.Errorf("%v: %d values redacted, want 6:\n%s", args, n, out)
		}
	}
}

// The dashboard's audit feeds and the auditlog check redact with the same
// whole set.
func TestDashboardSecretsAreTheWholeSet(t *testing.T) {
	w := newSharedLogWorld(t)
	app := &App{ConfigPath: w.config}
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	st, err := app.OpenStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := auditlog.NewRedactor(storedSecrets(t.Context(), st, cfg))
	for _, v := range []string{sharedKey, sharedSecret, hookToken, retiredKey, retiredValue, logTestKey, logTestSecret, logTestPass} {
		if out, found := r.Redact([]byte("x " + v + " y")); !found || strings.Contains(string(out), v) {
			t.Errorf("the dashboard's redactor misses a stored value")
		}
	}
}
