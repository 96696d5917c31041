package ui

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// Credentials of the wizard tests; none may ever show up on a screen.
const (
	wizKey       = "kwWIZkey4Rf7Tg2Yh9Uj3Ik6Ol1Pz8Xc5Vb0Nm"
	wizSecret    = "kwWIZsecret8Qa1Ws2Ed3Rf4Tg5Yh6Uj7Ik8Ol9"
	wizOldKey    = "kwWIZoldKey1Aa2Ss3Dd4Ff5Gg6Hh7Jj8Kk9Ll"
	wizOldSecret = "kwWIZoldSecret9Zz8Xx7Cc6Vv5Bb4Nn3Mm2Qq"
	wizEgress    = "203.0.113.7"
)

var wizSecrets = []string{wizKey, wizSecret, wizOldKey, wizOldSecret}

// wizWorld is a Bybit fake and an IP echo server on loopback, and a config
// pointing at both.
type wizWorld struct {
	bybit *exchangetest.Bybit
	cfg   *config.Config
	path  string // the config file Save appends to
	store keystore.Store
	saves int
}

func newWizWorld(t *testing.T, keys ...exchangetest.BybitKey) *wizWorld {
	t.Helper()
	f := exchangetest.NewBybit(keys...)
	t.Cleanup(f.Close)
	f.SetCallerIP(netip.MustParseAddr(wizEgress))
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(wizEgress + "\n"))
	}))
	t.Cleanup(echo.Close)
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("# my keys\n[ip]\nsources = [\""+echo.URL+"\"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return &wizWorld{bybit: f, cfg: cfg, path: path, store: keystore.NewMemory()}
}

func (ww *wizWorld) opts() WizardOptions {
	return WizardOptions{
		Config:  ww.cfg,
		Backend: "memory",
		Save: func(ctx context.Context, p config.Profile, it keystore.Item) error {
			ww.saves++
			if err := ww.store.Set(ctx, p.Name, it); err != nil {
				return err
			}
			if _, ok := ww.cfg.Profile(p.Name); ok {
				return nil // rotate
			}
			return config.AppendProfile(ww.path, p)
		},
	}
}

// driver feeds a wizard messages as bubbletea would, running the commands
// that carry the wizard's own work (egress, validation, save, old-key test)
// and recording every screen.
type driver struct {
	t       *testing.T
	w       Wizard
	screens []string
	quit    bool
}

func drive(t *testing.T, w Wizard) *driver {
	d := &driver{t: t, w: w}
	d.run(w.Init())
	d.snap()
	return d
}

func (d *driver) send(msg tea.Msg) {
	d.t.Helper()
	m, cmd := d.w.Update(msg)
	d.w = m.(Wizard)
	if _, isKey := msg.(tea.KeyPressMsg); isKey && cmd != nil && d.w.step != stepValidating &&
		d.w.step != stepSaving && d.w.step != stepOldKey && d.w.step != stepDone && !d.w.cancelled {
		cmd = nil // a text input's cursor blink: cosmetic
	}
	d.run(cmd)
	d.snap()
}

// run executes cmd and feeds back what it returns, batches included.
func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
	case tea.QuitMsg:
		d.quit = true
	case egressMsg, verdictMsg, savedMsg, oldKeyMsg:
		d.send(msg)
	}
}

func (d *driver) snap() {
	d.screens = append(d.screens, ansi.Strip(d.w.View().Content))
}

func (d *driver) keys(ks ...string) {
	d.t.Helper()
	for _, k := range ks {
		switch k {
		case "enter":
			d.send(tea.KeyPressMsg{Code: tea.KeyEnter})
		case "esc":
			d.send(tea.KeyPressMsg{Code: tea.KeyEscape})
		case "up":
			d.send(tea.KeyPressMsg{Code: tea.KeyUp})
		case "down":
			d.send(tea.KeyPressMsg{Code: tea.KeyDown})
		case "space":
			d.send(tea.KeyPressMsg{Code: tea.KeySpace, Text: " "})
		default:
			for _, r := range k {
				d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
			}
		}
	}
}

func (d *driver) paste(s string) { d.t.Helper(); d.send(tea.PasteMsg{Content: s}) }

func (d *driver) screen() string { return d.screens[len(d.screens)-1] }

func (d *driver) want(sub string) {
	d.t.Helper()
	if !strings.Contains(d.screen(), sub) {
		d.t.Fatalf("screen lacks %q:\n%s", sub, d.screen())
	}
}

// noSecret fails when any credential appears on any screen so far.
func (d *driver) noSecret() {
	d.t.Helper()
	for i, s := range d.screens {
		for _, sec := range wizSecrets {
			if strings.Contains(s, sec) || strings.Contains(s, sec[4:len(sec)-4]) {
				d.t.Fatalf("screen %d shows a credential:\n%s", i, s)
			}
		}
	}
}

// toKey drives add from the start to the key step for a Bybit profile on
// the fake.
func toKey(d *driver, url, name string) {
	d.t.Helper()
	d.want("binance")
	d.keys("down", "enter") // bybit
	d.want("Endpoint")
	d.keys("up", "enter") // the last choice: custom URL
	d.want("Custom base URL")
	d.paste(url)
	d.keys("enter")
	d.want("Profile name")
	d.keys(name, "enter")
	d.want("New API key")
}

func bybitKey(perms map[string][]string, ips ...string) exchangetest.BybitKey {
	return exchangetest.BybitKey{APIKey: wizKey, Secret: wizSecret, Permissions: perms, IPs: ips}
}

var tradeOnly = map[string][]string{"Spot": {"SpotTrade"}}

func TestAddHappyPath(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly, wizEgress))
	d := drive(t, NewAddWizard(ww.opts()))
	toKey(d, ww.bybit.URL(), "bybit-grid")
	d.paste(wizKey + "\n")
	d.want("key " + keystore.Fingerprint(keystore.NewSecret(wizKey))) // the fingerprint, never the key
	d.keys("enter")
	d.want("API secret")
	d.paste(wizSecret)
	d.keys("enter")
	d.want("[x] read")
	d.keys("enter")
	d.want("IP whitelist")
	d.want(wizEgress) // pre-filled with the detected egress
	d.keys("enter", "30d", "enter")
	d.want("good to store in keystore memory")
	d.want("trade")
	d.keys("enter")
	d.want("Done")
	d.want("keywarden exec bybit-grid -- CMD")
	d.noSecret()

	res := d.w.Result()
	if !res.Saved || d.w.Cancelled() || ww.saves != 1 {
		t.Fatalf("saved %v cancelled %v saves %d", res.Saved, d.w.Cancelled(), ww.saves)
	}
	it, err := ww.store.Get(context.Background(), "bybit-grid")
	if err != nil || it.APIKey.Reveal() != wizKey || it.APISecret.Reveal() != wizSecret {
		t.Fatalf("stored item wrong: %v", err)
	}
	cfg, err := config.Load(ww.path)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := cfg.Profile("bybit-grid")
	if !ok || p.Exchange != "bybit" || p.BaseURL != ww.bybit.URL() || p.MaxAge != 30*config.Day ||
		strings.Join(p.Whitelist, ",") != wizEgress || strings.Join(p.Needs, ",") != "read,trade" {
		t.Fatalf("profile written wrong: %+v", p)
	}
	data, _ := os.ReadFile(ww.path)
	if !strings.HasPrefix(string(data), "# my keys\n") {
		t.Fatalf("config comment lost:\n%s", data)
	}
	d.keys("x")
	if !d.quit {
		t.Fatal("a key on the done screen does not quit")
	}
}

func TestAddWithdrawalRefusedThenAccepted(t *testing.T) {
	ww := newWizWorld(t, bybitKey(map[string][]string{"Spot": {"SpotTrade"}, "Wallet": {"Withdraw"}}, wizEgress))
	d := drive(t, NewAddWizard(ww.opts()))
	toKey(d, ww.bybit.URL(), "bybit-w")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "enter", "enter", "enter")
	d.want("refused: withdrawals enabled")
	d.want("WITHDRAW") // the dashboard's permission line
	d.keys("enter")
	d.want("This key is refused")
	d.want("Withdrawals are enabled")
	d.keys("enter")
	d.want("type accept")
	if ww.saves != 0 {
		t.Fatal("stored before the risk was accepted")
	}
	d.keys("accept", "enter")
	d.want("Done")
	if res := d.w.Result(); !res.Saved || len(res.Accepted) != 1 || res.Accepted[0] != checks.RiskWithdraw {
		t.Fatalf("result %+v", res)
	}
	d.noSecret()
}

func TestAddNoIPRestrictionRefused(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly)) // no IPs bound
	d := drive(t, NewAddWizard(ww.opts()))
	toKey(d, ww.bybit.URL(), "bybit-open")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "enter", "enter", "enter")
	d.want("no IP restriction")
	d.keys("enter")
	d.want("The key has no effective IP restriction")
	d.keys("esc")
	if !d.w.Cancelled() || ww.saves != 0 || !d.quit {
		t.Fatalf("esc on the risk screen: cancelled %v saves %d", d.w.Cancelled(), ww.saves)
	}
}

func TestAddBadSignature(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly, wizEgress))
	d := drive(t, NewAddWizard(ww.opts()))
	toKey(d, ww.bybit.URL(), "bybit-typo")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizOldSecret) // not this key's secret
	d.keys("enter", "enter", "enter", "enter")
	d.want("bad signature: the secret does not belong to this key")
	if !d.w.verdict.Failed || d.w.verdict.Cause != "signature" {
		t.Fatalf("verdict %+v", d.w.verdict)
	}
	d.keys("enter") // re-enter the key
	d.want("New API key")
	if d.w.inputs[stepKey].Value() != "" || d.w.inputs[stepSecret].Value() != "" {
		t.Fatal("re-entering keeps the rejected credentials")
	}
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "enter", "enter", "enter")
	d.want("good to store")
	d.noSecret()
}

func TestAddMissingPermission(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly, wizEgress))
	d := drive(t, NewAddWizard(ww.opts()))
	toKey(d, ww.bybit.URL(), "bybit-fut")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "down", "down", "down", "space", "enter", "enter", "enter") // + futures
	d.want("the key lacks futures")
	d.keys("enter")
	d.want("New API key")
	if ww.saves != 0 {
		t.Fatal("stored a key that lacks what the bot needs")
	}
}

func TestAddStepValidation(t *testing.T) {
	ww := newWizWorld(t)
	o := ww.opts()
	o.Taken = []string{"taken"}
	d := drive(t, NewAddWizard(o))
	d.keys("enter", "enter") // binance, production
	for _, c := range []struct{ in, want string }{
		{"Bad Name", "invalid profile name"},
		{"taken", "already exists"},
	} {
		d.keys(c.in, "enter")
		d.want(c.want)
		for range c.in {
			d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
		}
	}
	d.keys("ok", "enter", "enter")
	d.want("cannot be empty")
}

// TestEscAtEveryStep presses Esc on each screen of add and checks that
// nothing was saved.
func TestEscAtEveryStep(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly, wizEgress))
	url := ww.bybit.URL()
	path := []struct {
		keys []string
		at   wizStep
	}{
		{nil, stepExchange},
		{[]string{"down", "enter"}, stepHost},
		{[]string{"up", "enter"}, stepURL},
		{[]string{url, "enter"}, stepName},
		{[]string{"n", "enter"}, stepKey},
		{[]string{wizKey, "enter"}, stepSecret},
		{[]string{wizSecret, "enter"}, stepNeeds},
		{[]string{"enter"}, stepWhitelist},
		{[]string{"enter"}, stepMaxAge},
		{[]string{"enter"}, stepVerdict},
	}
	for i := range path {
		d := drive(t, NewAddWizard(ww.opts()))
		for _, p := range path[:i+1] {
			d.keys(p.keys...)
		}
		if d.w.step != path[i].at {
			t.Fatalf("step %d: at %d, want %d:\n%s", i, d.w.step, path[i].at, d.screen())
		}
		d.keys("esc")
		if !d.w.Cancelled() || !d.quit || ww.saves != 0 {
			t.Fatalf("esc at step %d: cancelled %v quit %v saves %d", path[i].at, d.w.Cancelled(), d.quit, ww.saves)
		}
		d.noSecret()
	}
	data, _ := os.ReadFile(ww.path)
	if strings.Contains(string(data), "[[profile]]") {
		t.Fatal("esc wrote a profile")
	}
}

func TestAddOKXAsksPassphrase(t *testing.T) {
	const pass = "kwWIZpassphrase-Xq7"
	f := exchangetest.NewOKX(exchangetest.OKXKey{APIKey: wizKey, Secret: wizSecret, Passphrase: pass,
		Perm: []string{"read_only", "trade"}, IPs: []string{wizEgress}})
	t.Cleanup(f.Close)
	f.SetCallerIP(netip.MustParseAddr(wizEgress))
	ww := newWizWorld(t)
	d := drive(t, NewAddWizard(ww.opts()))
	d.keys("down", "down", "enter", "up", "enter") // okx, custom URL
	d.paste(f.URL())
	d.keys("enter", "okx-arb", "enter")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter")
	d.want("API passphrase")
	d.keys("enter")
	d.want("cannot be empty")
	d.paste(pass)
	d.keys("enter", "enter", "enter", "enter")
	d.want("good to store")
	d.keys("enter")
	d.want("Done")
	it, err := ww.store.Get(context.Background(), "okx-arb")
	if err != nil || it.Passphrase.Reveal() != pass {
		t.Fatalf("passphrase not stored: %v", err)
	}
	for i, s := range d.screens {
		if strings.Contains(s, pass) {
			t.Fatalf("screen %d shows the passphrase", i)
		}
	}
	d.noSecret()
}

// BenchmarkValidate is the live validation the wizard waits for, against
// the Bybit fake on loopback (server time, key info, egress lookup).
func BenchmarkValidate(b *testing.B) {
	f := exchangetest.NewBybit(bybitKey(tradeOnly, wizEgress))
	defer f.Close()
	f.SetCallerIP(netip.MustParseAddr(wizEgress))
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(wizEgress)) }))
	defer echo.Close()
	cfg := &config.Config{IP: config.IP{Sources: []string{echo.URL}}}
	p := config.Profile{Name: "bench", Exchange: "bybit", BaseURL: f.URL(), Whitelist: []string{wizEgress}}
	it := keystore.Item{APIKey: keystore.NewSecret(wizKey), APISecret: keystore.NewSecret(wizSecret)}
	for b.Loop() {
		if v := checks.Validate(context.Background(), cfg, p, it, nil); !v.Acceptable() {
			b.Fatalf("verdict %+v", v)
		}
	}
}

func TestParseWhitelist(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		bad  bool
	}{
		{"", "", false},
		{"203.0.113.7", "203.0.113.7", false},
		{"203.0.113.7, 2001:db8::/64 198.51.100.0/24", "203.0.113.7,2001:db8::/64,198.51.100.0/24", false},
		{"203.0.113.7,,", "203.0.113.7", false},
		{"203.0.113", "", true},
		{"example.com", "", true},
	} {
		got, err := parseWhitelist(c.in)
		if (err != nil) != c.bad || strings.Join(got, ",") != c.want {
			t.Errorf("parseWhitelist(%q) = %v, %v", c.in, got, err)
		}
	}
}

func TestVerdictRecheckAndOtherKey(t *testing.T) {
	ww := newWizWorld(t, bybitKey(map[string][]string{"Spot": {"SpotTrade"}, "Wallet": {"Withdraw"}}, wizEgress))
	d := drive(t, NewAddWizard(ww.opts()))
	toKey(d, ww.bybit.URL(), "bybit-fix")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "enter", "enter", "enter")
	d.want("refused: withdrawals enabled")
	ww.bybit.SetKey(bybitKey(tradeOnly, wizEgress)) // the user turns withdrawals off
	d.keys("r")
	d.want("good to store")
	d.keys("e")
	d.want("New API key")
	if d.w.inputs[stepKey].Value() != "" {
		t.Fatal("e keeps the old key in the field")
	}
	d.noSecret()
}

func TestSaveFailureShown(t *testing.T) {
	ww := newWizWorld(t, bybitKey(tradeOnly, wizEgress))
	o := ww.opts()
	o.Save = func(context.Context, config.Profile, keystore.Item) error {
		return errors.New("keyring not answering after 5s: start a Secret Service or use --keystore file")
	}
	d := drive(t, NewAddWizard(o))
	toKey(d, ww.bybit.URL(), "bybit-x")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "enter", "enter", "enter", "enter")
	d.want("Not stored")
	d.want("keyring not answering")
	if res := d.w.Result(); res.Saved || res.Err == nil || d.w.Cancelled() {
		t.Fatalf("result %+v cancelled %v", res, d.w.Cancelled())
	}
}
