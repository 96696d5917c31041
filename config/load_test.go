package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

func contains(s, sub string) bool { return strings.Contains(s, sub) }

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const fullConfig = `keystore = "file"
vault = "~/vault.age"
passphrase_file = "/run/pass"

[clock]
ntp_servers = ["127.0.0.1:11123"]
warn_ms = 100
crit_ms = 500

[ip]
sources = ["http://127.0.0.1:8080"]

[rotation]
max_age = "60d"
warn_before = "7d"

[[profile]]
name = "binance-main"
exchange = "binance"
whitelist = ["203.0.113.7", "2001:db8::/64"]
needs = ["read", "trade"]
created = 2026-10-01
audit_log = "~/logs/api_audit.log"

[[profile]]
name = "okx-arb"
exchange = "okx"
base_url = "http://127.0.0.1:9999"
max_age = "30d"
env = { key = "OKX_KEY", secret = "OKX_SECRET" }

[[alert]]
type = "telegram"
chat_id = "42"
token = "tg-token"
`

func TestLoadFull(t *testing.T) {
	t.Setenv("HOME", "/home/bot")
	p := writeConfig(t, fullConfig)
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Path != p || cfg.Keystore != "file" || cfg.Vault != "/home/bot/vault.age" || cfg.PassphraseFile != "/run/pass" {
		t.Errorf("top level = %q %q %q %q", cfg.Path, cfg.Keystore, cfg.Vault, cfg.PassphraseFile)
	}
	if cfg.Clock.WarnMS != 100 || cfg.Clock.CritMS != 500 || len(cfg.Clock.NTPServers) != 1 {
		t.Errorf("clock = %+v", cfg.Clock)
	}
	if cfg.Rotation.MaxAge != 60*Day || cfg.Rotation.WarnBefore != 7*Day {
		t.Errorf("rotation = %+v", cfg.Rotation)
	}
	if len(cfg.Profiles) != 2 {
		t.Fatalf("profiles = %d", len(cfg.Profiles))
	}
	b := cfg.Profiles[0]
	if b.MaxAge != 60*Day {
		t.Errorf("profile without max_age takes [rotation] max_age, got %v", b.MaxAge)
	}
	if !b.Created.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("created = %v", b.Created)
	}
	if b.AuditLog != "/home/bot/logs/api_audit.log" {
		t.Errorf("audit_log = %q", b.AuditLog)
	}
	if b.Env != (Env{DefaultEnvKey, DefaultEnvSecret, DefaultEnvPassphrase}) {
		t.Errorf("default env = %+v", b.Env)
	}
	o, ok := cfg.Profile("okx-arb")
	if !ok || o.MaxAge != 30*Day || o.BaseURL != "http://127.0.0.1:9999" {
		t.Errorf("okx-arb = %+v", o)
	}
	if o.Env != (Env{"OKX_KEY", "OKX_SECRET", DefaultEnvPassphrase}) {
		t.Errorf("okx env = %+v", o.Env)
	}
	if len(cfg.Alerts) != 1 || cfg.Alerts[0].MinStatus != "warn" || cfg.Alerts[0].URL != "https://api.telegram.org" {
		t.Errorf("alerts = %+v", cfg.Alerts)
	}
}

func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", dir)
	t.Setenv("XDG_DATA_HOME", filepath.Join(dir, "data"))
	if got, want := DefaultPath(), filepath.Join(dir, "keywarden", "config.toml"); got != want {
		t.Errorf("DefaultPath() = %q, want %q", got, want)
	}
	cfg, err := Load("")
	if err != nil {
		t.Fatalf("missing default file must give defaults, got %v", err)
	}
	if cfg.Path != "" || cfg.Keystore != "auto" || cfg.Rotation.MaxAge != 90*Day || cfg.Rotation.WarnBefore != 14*Day ||
		cfg.Clock.WarnMS != 250 || cfg.Clock.CritMS != 1000 || len(cfg.Clock.NTPServers) != 3 || len(cfg.IP.Sources) != 3 {
		t.Errorf("defaults = %+v", cfg)
	}
	if cfg.Vault != filepath.Join(dir, "data", "keywarden", "vault.age") {
		t.Errorf("default vault = %q", cfg.Vault)
	}
	if _, err := Load(filepath.Join(dir, "nope.toml")); err == nil || !contains(err.Error(), "does not exist") {
		t.Errorf("missing explicit file must be an error, got %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings of the error
	}{
		{"malformed", "keystore = \"auto\"\n\n[clock\nwarn_ms = 3\n", []string{":3:"}},
		{"unterminated string", "keystore = \"auto\nvault = \"x\"\n", []string{":1:"}},
		{"wrong type", "[clock]\nwarn_ms = \"fast\"\n", []string{":2:", "warn_ms"}},
		{"unknown exchange", "[[profile]]\nname = \"a\"\nexchange = \"binanse\"\n", []string{":3:", "profile.exchange", "unknown exchange: use one of", "binance, bybit"}},
		{"unknown exchange second profile", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\n\n[[profile]]\nname = \"b\"\nexchange = \"nyse\"\n", []string{":7:", "profile.exchange"}},
		{"bad profile name", "[[profile]]\nname = \"Main Key\"\nexchange = \"okx\"\n", []string{":2:", "profile.name", "invalid profile name"}},
		{"missing name", "[[profile]]\nexchange = \"okx\"\n", []string{":1:", "profile.name", "no name"}},
		{"missing exchange", "[[profile]]\nname = \"a\"\n", []string{":1:", "profile.exchange", "no exchange"}},
		{"duplicate profile", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\n[[profile]]\nname = \"a\"\nexchange = \"okx\"\n", []string{":5:", "duplicate profile \"a\""}},
		{"unknown field", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\nexchnage = \"okx\"\n", []string{":4:", "unknown field", "profile.exchnage"}},
		{"unknown top field", "keystroe = \"file\"\n", []string{":1:", "keystroe"}},
		{"bad keystore", "\nkeystore = \"vault\"\n", []string{":2:", "keystore", "auto, keyring, file"}},
		{"bad duration", "[rotation]\nmax_age = \"ninety days\"\n", []string{":2:", "rotation.max_age", "90d"}},
		{"bad profile duration", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\nmax_age = \"-3d\"\n", []string{":4:", "profile.max_age"}},
		{"bad whitelist", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\nwhitelist = [\"1.2.3.4\", \"my-vps\"]\n", []string{":4:", "whitelist entry #2"}},
		{"bad needs", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\nneeds = [\"trade\", \"yolo\"]\n", []string{":4:", "permission #2"}},
		{"bad env", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\nenv = { key = \"MY KEY\" }\n", []string{":4:", "env.key"}},
		{"bad created", "[[profile]]\nname = \"a\"\nexchange = \"okx\"\ncreated = \"yesterday\"\n", []string{":4:", "created"}},
		{"bad alert", "[[alert]]\ntype = \"pager\"\nurl = \"https://x\"\n", []string{":2:", "alert.type"}},
		{"telegram without chat_id", "\n[[alert]]\ntype = \"telegram\"\ntoken = \"tg\"\n", []string{":2:", "alert.chat_id", "chat_id"}},
		{"ntfy without url", "[[alert]]\ntype = \"ntfy\"\n", []string{":1:", "alert.url", "`url` is required"}},
		{"slack without a webhook URL", "[[alert]]\ntype = \"slack\"\nmin_status = \"crit\"\n", []string{":1:", "alert.token", "no webhook URL"}},
		{"bad thresholds", "[clock]\nwarn_ms = 900\ncrit_ms = 100\n", []string{":2:", "warn_ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, tt.text)
			_, err := Load(p)
			if err == nil {
				t.Fatalf("Load accepted:\n%s", tt.text)
			}
			msg := err.Error()
			for _, w := range append([]string{p}, tt.want...) {
				if !contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
		})
	}
}

func TestLoadRefusesWritableByOthers(t *testing.T) {
	for _, mode := range []os.FileMode{0o620, 0o602, 0o666} {
		p := writeConfig(t, "keystore = \"auto\"\n")
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(p)
		if err == nil {
			t.Fatalf("mode %04o accepted", mode)
		}
		if !contains(err.Error(), "chmod go-w "+p) {
			t.Errorf("mode %04o: error %q lacks the chmod fix", mode, err)
		}
	}
	p := writeConfig(t, "keystore = \"auto\"\n")
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err != nil {
		t.Errorf("a world-readable config holds no secrets and must load: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(fullConfig)
	f.Add("[[profile]]\nname = \"a\"\nexchange = \"okx\"\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := Parse("fuzz.toml", []byte(text))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.toml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for _, p := range cfg.Profiles {
			if !ValidProfileName(p.Name) || CheckExchange(p.Exchange) != nil {
				t.Fatalf("invalid profile accepted: %+v", p)
			}
		}
	})
}

// A config in a directory others can write, or owned by another user, could
// have been swapped to send the signed requests elsewhere: it is refused,
// naming the path and the fix.
func TestLoadRefusesConfigOthersCouldSwap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keywarden")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte("keystore = \"auto\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := Load(p)
	if err == nil || !contains(err.Error(), "directory "+dir) || !contains(err.Error(), "chmod go-w "+dir) {
		t.Errorf("config in a world-writable directory: %v", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err != nil {
		t.Fatalf("private again: %v", err)
	}
	if os.Geteuid() != 0 {
		testutil.MissingReal(t, "a second uid: only root can chown the config to uid 65534 (run the tests as root)")
	}
	if err := os.Chown(p, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !contains(err.Error(), "config file "+p) || !contains(err.Error(), "owned by uid 65534") {
		t.Errorf("config of another user: %v", err)
	}
	// Editing (import, add, remove) refuses it too.
	if err := AppendProfile(p, Profile{Name: "a", Exchange: "okx"}); err == nil || !contains(err.Error(), "owned by uid 65534") {
		t.Errorf("edit of a config of another user: %v", err)
	}
}

// Slack's and Discord's webhook URL is the credential: a block naming only
// the keystore item that holds it loads, as docs/watch.md says. A refused
// block never quotes its url.
func TestLoadAlertBlocks(t *testing.T) {
	p := writeConfig(t, "[[alert]]\ntype = \"slack\"\ntoken = \"slack-hook\"\n\n[[alert]]\ntype = \"discord\"\nurl = \"https://discord.example/api/webhooks/1/x\"\n")
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Alerts) != 2 || cfg.Alerts[0].Token != "slack-hook" || cfg.Alerts[0].URL != "" || cfg.Alerts[1].MinStatus != "warn" {
		t.Errorf("alerts = %+v", cfg.Alerts)
	}

	p = writeConfig(t, "[[alert]]\ntype = \"telegram\"\nurl = \"https://tg.example/verySecretPath\"\ntoken = \"tg\"\n")
	_, err = Load(p)
	if err == nil || !contains(err.Error(), "alert.chat_id") || contains(err.Error(), "verySecretPath") {
		t.Errorf("telegram without chat_id: %v", err)
	}
}

// A fallback names another block; a name that clashes or a fallback that
// names nothing is refused at its line.
func TestLoadAlertFallback(t *testing.T) {
	p := writeConfig(t, "[[alert]]\ntype = \"slack\"\ntoken = \"slack-hook\"\nfallback = \"pager\"\nfallback_after = \"2m\"\n\n[[alert]]\ntype = \"ntfy\"\nname = \"pager\"\nurl = \"https://ntfy.sh/kw\"\n")
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Alerts; len(a) != 2 || a[0].Fallback != "pager" || a[0].FallbackAfter != 2*time.Minute || a[1].Name != "pager" || a[1].FallbackAfter != DefaultFallbackAfter {
		t.Errorf("alerts = %+v", cfg.Alerts)
	}
	p = writeConfig(t, "[[alert]]\ntype = \"slack\"\ntoken = \"slack-hook\"\nfallback = \"nobody\"\n")
	if _, err = Load(p); err == nil || !contains(err.Error(), "alert.fallback") || !contains(err.Error(), ":4") {
		t.Errorf("fallback naming nothing: %v", err)
	}
}
