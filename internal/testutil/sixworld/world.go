// Package sixworld is a keywarden home for end-to-end tests of activity
// monitoring: six profiles, one per exchange, each against its own
// in-process fake, their keys stored in a real file vault by `keywarden
// import`, each with the bot's audit log; and a test API that makes, on
// every fake at once, what an intruder with the key would: a foreign
// order, a withdrawal to an address the profile does not list, and a key
// change (withdrawals granted). The cmd tests (check, watch) and the e2e
// dashboard test share it.
package sixworld

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/demo"
	"github.com/keywarden/keywarden/keystore"
)

// Egress is the address every fake sees the requests come from and the
// loopback public-IP sources report; every key's whitelist holds it.
var Egress = netip.MustParseAddr("203.0.113.154")

// ColdWallet is the one withdrawal address every profile allows; the
// injected withdrawals go elsewhere.
const (
	ColdWallet = "0xC0LDWALLET"
	evilWallet = "0xE71LWALLET"
)

// KeyChange is the field every injected key change shows: withdrawals
// granted.
const KeyChange = "permission withdraw"

// World is the home directory, its config and the environment keywarden
// runs with.
type World struct {
	Dir, Config string
	// Env is every variable keywarden needs (HOME, XDG dirs, the vault's
	// passphrase through $CREDENTIALS_DIRECTORY, KEYWARDEN_CONFIG), and
	// nothing of the developer's: a terminal can be started with exactly
	// these.
	Env []string
	// Profiles, in exchange order.
	Profiles []*Profile
	bin      string
	secrets  []string
}

// Profile is one exchange's profile and its fake.
type Profile struct {
	Name, Exchange, AuditLog string
	v                        venue
	orders                   int
}

// Evidence is what one profile's injection made: what each alert must
// name.
type Evidence struct {
	OrderID      string // the foreign order
	WithdrawalID string // the withdrawal to an unlisted address
	KeyField     string // the changed field of the key's snapshot
}

// venue is one exchange's fake and how the tests act on it.
type venue struct {
	fake interface {
		URL() string
		SetCallerIP(netip.Addr)
		Close()
	}
	// dotenv is the bot's .env with the key, as the exchange's SDKs name it.
	dotenv string
	// importArgs are import's extra flags for this exchange.
	importArgs []string
	// own places an order of the bot's and returns what the bot logs.
	own func(n int, at time.Time) (symbol, orderID, clientID string)
	// symbol is a market the bot trades, logged before the baseline.
	symbol string
	// foreign places an order nobody logged; its exchange id.
	foreign func(at time.Time) string
	// withdraw records a withdrawal of the account to address to.
	withdraw func(id, to string, at time.Time)
	// grantWithdrawals changes the key: withdrawals enabled.
	grantWithdrawals func()
}

// Exchanges are the six, in the order of Profiles.
var Exchanges = []string{"binance", "bybit", "okx", "kraken", "kucoin", "coinbase"}

// New builds the world: loopback NTP and public-IP sources, the six fakes,
// a file vault whose passphrase comes from $CREDENTIALS_DIRECTORY, each key
// imported (validated against its fake) with `keywarden import --shred`
// from the bot's dotenv, and each profile given its audit log (naming the
// market it trades) and an allowed withdrawal address. extra is appended
// to the config (e.g. [[alert]] blocks); a notifier token it names can be
// stored with ImportToken. bin is the keywarden binary.
func New(t testing.TB, bin, extra string) *World {
	t.Helper()
	dir := t.TempDir()
	w := &World{Dir: dir, Config: filepath.Join(dir, "config.toml"), bin: bin}
	creds := filepath.Join(dir, "creds")
	if err := os.MkdirAll(creds, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(creds, "keywarden-passphrase"), "six-world-vault-passphrase-9f3e\n")

	var ntp []string
	for range 2 {
		s, err := demo.StartNTP(0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		ntp = append(ntp, s.Addr())
	}
	var sources []string
	for _, f := range []string{demo.EchoPlain, demo.EchoPlainNL, demo.EchoJSON} {
		e := demo.StartIPEcho(net.IP(Egress.AsSlice()), f)
		t.Cleanup(e.Close)
		sources = append(sources, e.URL())
	}
	write(t, w.Config, fmt.Sprintf("keystore = \"file\"\nvault = %q\n\n[clock]\nntp_servers = %s\n\n[ip]\nsources = %s\n%s",
		filepath.Join(dir, "vault.age"), tomlList(ntp), tomlList(sources), extra))

	w.Env = []string{
		"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"), "XDG_DATA_HOME=" + filepath.Join(dir, ".local", "share"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, ".cache"), "XDG_STATE_HOME=" + filepath.Join(dir, ".local", "state"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"), "CREDENTIALS_DIRECTORY=" + creds, "KEYWARDEN_CONFIG=" + w.Config,
		"KEYWARDEN_KEYSTORE=", keystore.UnlockTTLEnv + "=0", "DBUS_SESSION_BUS_ADDRESS=", "NOTIFY_SOCKET=", "PATH=" + os.Getenv("PATH"),
	}

	for _, ex := range Exchanges {
		v, secrets := newVenue(t, ex)
		w.secrets = append(w.secrets, secrets...)
		t.Cleanup(v.fake.Close)
		v.fake.SetCallerIP(Egress)
		p := &Profile{Name: ex + "-bot", Exchange: ex, AuditLog: filepath.Join(dir, ex+"-bot", "api_audit.log"), v: v}
		w.Profiles = append(w.Profiles, p)
		if err := os.MkdirAll(filepath.Dir(p.AuditLog), 0o700); err != nil {
			t.Fatal(err)
		}
		// The bot has started: its log names the market it trades (symbol-
		// scoped exchanges list orders per market).
		p.log(t, map[string]any{"event": "fetch_balance", "symbol": v.symbol})
		env := filepath.Join(filepath.Dir(p.AuditLog), ".env")
		write(t, env, v.dotenv)
		args := append([]string{"import", p.Name, "--exchange", ex, "--base-url", v.fake.URL(), "--shred", env}, v.importArgs...)
		if out, code := w.Run(t, args...); code != 0 {
			t.Fatalf("keywarden import %s: exit %d\n%s", p.Name, code, out)
		}
	}

	// Each profile's audit log and allowed address, in its block as import
	// wrote it.
	cfg, err := os.ReadFile(w.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range w.Profiles {
		block := fmt.Sprintf("name = %q\nexchange = %q\n", p.Name, p.Exchange)
		if !bytes.Contains(cfg, []byte(block)) {
			t.Fatalf("import wrote an unexpected profile block for %s:\n%s", p.Name, cfg)
		}
		cfg = bytes.Replace(cfg, []byte(block), fmt.Appendf(nil, "%saudit_log = %q\nactivity = { addresses = [%q] }\n", block, p.AuditLog, ColdWallet), 1)
	}
	write(t, w.Config, string(cfg))
	return w
}

// ImportToken stores a notifier token under name, as `keywarden import
// --token` does.
func (w *World) ImportToken(t testing.TB, name, token string) {
	t.Helper()
	f := filepath.Join(w.Dir, name+".env")
	write(t, f, "HOOK_TOKEN="+token+"\n")
	if out, code := w.Run(t, "import", name, "--token", "--shred", f); code != 0 {
		t.Fatalf("keywarden import %s --token: exit %d\n%s", name, code, out)
	}
	w.secrets = append(w.secrets, token)
}

// Run runs keywarden with args to completion (at most three minutes) and
// returns its stdout and stderr and its exit status.
func (w *World) Run(t testing.TB, args ...string) (string, int) {
	t.Helper()
	out, errb, code := w.RunSplit(t, args...)
	return out + errb, code
}

// RunSplit is Run with stdout and stderr apart.
func (w *World) RunSplit(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, w.bin, args...)
	c.Env = w.Environ()
	var o, e bytes.Buffer
	c.Stdout, c.Stderr = &o, &e
	err := c.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("keywarden %s: %v\n%s%s", strings.Join(args, " "), err, o.String(), e.String())
	}
	return o.String(), e.String(), code
}

// Environ is the test process's environment with Env over it, for a child
// that needs the rest (a re-executed test binary).
func (w *World) Environ() []string { return append(os.Environ(), w.Env...) }

// Secrets is every key, secret, passphrase and token stored, for a search
// of what keywarden printed or sent.
func (w *World) Secrets() []string { return slices.Clone(w.secrets) }

// Inject makes on every fake, at once, one order of the bot's (logged, so
// not an alert) and the intruder's three events: a foreign order, a
// withdrawal to an address the profile does not list, and the key granted
// withdrawals. The orders are dated past activity.Grace, as an exchange
// that shows an order late would: judged at the next poll. It returns each
// profile's evidence by profile name.
func (w *World) Inject(t testing.TB) map[string]Evidence {
	t.Helper()
	out := map[string]Evidence{}
	now := time.Now()
	placed := now.Add(-activity.Grace - time.Minute)
	for _, p := range w.Profiles {
		p.orders++
		sym, oid, cid := p.v.own(p.orders, placed)
		line := map[string]any{"event": "place_order", "method": "POST", "status": 200, "symbol": sym}
		if oid != "" {
			line["order_id"] = oid
		}
		if cid != "" {
			line["client_order_id"] = cid
		}
		p.log(t, line)
		ev := Evidence{OrderID: p.v.foreign(placed), WithdrawalID: "wd-" + p.Exchange + "-intruder", KeyField: KeyChange}
		p.v.withdraw(ev.WithdrawalID, evilWallet, now)
		p.v.grantWithdrawals()
		out[p.Name] = ev
	}
	return out
}

// log appends one JSON line to the profile's audit log.
func (p *Profile) log(t testing.TB, fields map[string]any) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `{"ts":%q,"level":"info"`, time.Now().UTC().Format(time.RFC3339Nano))
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := fields[k].(type) {
		case int:
			fmt.Fprintf(&b, ",%q:%d", k, v)
		default:
			fmt.Fprintf(&b, ",%q:%q", k, fmt.Sprint(v))
		}
	}
	b.WriteString("}\n")
	f, err := os.OpenFile(p.AuditLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(b.String()); err != nil {
		t.Fatal(err)
	}
}

// Age moves every activity check's cursor d into the past, as if its last
// read of the exchange's history had been d ago. Binance's funds history
// is read at most every 90 s (docs/activity.md, Rate limits): a test that
// checks twice in a row ages the state in between, as time would pass
// between two polls of watch.
func (w *World) Age(t testing.TB, d time.Duration) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(w.Dir, ".local", "state", "keywarden", "activity", "*", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no activity state to age (%v)", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var st map[string]json.RawMessage
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		raw, ok := st["cursor"]
		if !ok {
			continue
		}
		var at time.Time
		if err := json.Unmarshal(raw, &at); err != nil {
			t.Fatalf("%s: cursor: %v", f, err)
		}
		if st["cursor"], err = json.Marshal(at.Add(-d)); err != nil {
			t.Fatal(err)
		}
		if b, err = json.Marshal(st); err != nil {
			t.Fatal(err)
		}
		write(t, f, string(b))
	}
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func tomlList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = strconv.Quote(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
