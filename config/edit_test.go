package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const commented = `# my keywarden config
keystore = "file"   # headless box

[rotation]
max_age = "60d"   # company policy

# the main bot
[[profile]]
name = "binance-main"
exchange = "binance"
env.key = "BINANCE_KEY"

# the grid bot, on bybit
[[profile]]
name = "bybit-grid"
exchange = "bybit"
[profile.env]
secret = "BYBIT_SECRET"

# alerts go to my phone
[[alert]]
type = "ntfy"
url = "https://ntfy.sh/my-topic"
`

func TestAppendProfileKeepsLayout(t *testing.T) {
	p := writeConfig(t, commented)
	prof := Profile{
		Name: "okx-arb", Exchange: "okx", BaseURL: "http://127.0.0.1:1",
		Whitelist: []string{"203.0.113.7"}, Needs: []string{"read", "trade"},
		MaxAge: 30 * Day, Created: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
		AuditLog: "/var/log/bot \"quoted\".log",
		Env:      Env{Key: "OKX_KEY", Secret: DefaultEnvSecret},
	}
	if err := AppendProfile(p, prof); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if !strings.HasPrefix(string(data), commented) {
		t.Errorf("the existing text changed:\n%s", data)
	}
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := cfg.Profile("okx-arb")
	if !ok {
		t.Fatal("appended profile missing")
	}
	if got.BaseURL != prof.BaseURL || got.MaxAge != prof.MaxAge || !got.Created.Equal(prof.Created) ||
		got.AuditLog != prof.AuditLog || got.Env.Key != "OKX_KEY" || got.Env.Secret != DefaultEnvSecret ||
		strings.Join(got.Whitelist, ",") != "203.0.113.7" || strings.Join(got.Needs, ",") != "read,trade" {
		t.Errorf("round trip: got %+v", got)
	}
	if len(cfg.Alerts) != 1 || len(cfg.Profiles) != 3 {
		t.Errorf("other blocks lost: %d alerts, %d profiles", len(cfg.Alerts), len(cfg.Profiles))
	}

	err = AppendProfile(p, Profile{Name: "bybit-grid", Exchange: "bybit"})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("duplicate name: %v", err)
	}
	if err := AppendProfile(p, Profile{Name: "Bad Name", Exchange: "bybit"}); err == nil {
		t.Error("bad name accepted")
	}
	if err := AppendProfile(p, Profile{Name: "x", Exchange: "nyse"}); err == nil {
		t.Error("unknown exchange accepted")
	}
	after, _ := os.ReadFile(p)
	if string(after) != string(data) {
		t.Error("a refused append changed the file")
	}
}

func TestAppendProfileCreatesFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "new", "keywarden", "config.toml")
	if err := AppendProfile(p, Profile{Name: "a", Exchange: "kraken"}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("new config mode %04o, want 0600", fi.Mode().Perm())
	}
	di, _ := os.Stat(filepath.Dir(p))
	if di.Mode().Perm() != 0o700 {
		t.Errorf("new config dir mode %04o, want 0700", di.Mode().Perm())
	}
	cfg, err := Load(p)
	if err != nil || len(cfg.Profiles) != 1 {
		t.Fatalf("load after create: %v %+v", err, cfg)
	}
}

func TestRemoveProfile(t *testing.T) {
	tests := []struct {
		name     string
		remove   string
		want     string // the file after removal
		wantLeft []string
	}{
		{
			name:   "first of two, dotted env key",
			remove: "binance-main",
			want: `# my keywarden config
keystore = "file"   # headless box

[rotation]
max_age = "60d"   # company policy

# the grid bot, on bybit
[[profile]]
name = "bybit-grid"
exchange = "bybit"
[profile.env]
secret = "BYBIT_SECRET"

# alerts go to my phone
[[alert]]
type = "ntfy"
url = "https://ntfy.sh/my-topic"
`,
			wantLeft: []string{"bybit-grid"},
		},
		{
			name:   "second, with sub-table",
			remove: "bybit-grid",
			want: `# my keywarden config
keystore = "file"   # headless box

[rotation]
max_age = "60d"   # company policy

# the main bot
[[profile]]
name = "binance-main"
exchange = "binance"
env.key = "BINANCE_KEY"

# alerts go to my phone
[[alert]]
type = "ntfy"
url = "https://ntfy.sh/my-topic"
`,
			wantLeft: []string{"binance-main"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, commented)
			if err := RemoveProfile(p, tt.remove); err != nil {
				t.Fatal(err)
			}
			data, _ := os.ReadFile(p)
			if string(data) != tt.want {
				t.Errorf("after removing %s:\n%s\nwant:\n%s", tt.remove, data, tt.want)
			}
			cfg, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			var left []string
			for _, pr := range cfg.Profiles {
				left = append(left, pr.Name)
			}
			if strings.Join(left, ",") != strings.Join(tt.wantLeft, ",") {
				t.Errorf("left %v, want %v", left, tt.wantLeft)
			}
		})
	}
	p := writeConfig(t, commented)
	if err := RemoveProfile(p, "nope"); !errors.Is(err, ErrNoProfile) {
		t.Errorf("removing a missing profile: %v, want ErrNoProfile", err)
	}
	// A profile written as an inline array is not an editable block: an
	// error, never a silent success.
	inline := "profile = [{ name = \"a\", exchange = \"okx\" }]\n"
	p = writeConfig(t, inline)
	err := RemoveProfile(p, "a")
	if err == nil || errors.Is(err, ErrNoProfile) || !strings.Contains(err.Error(), "remove it by hand") {
		t.Errorf("inline profile: %v", err)
	}
	if data, _ := os.ReadFile(p); string(data) != inline {
		t.Error("a refused removal changed the file")
	}
}

func TestAppendThenRemoveRestoresFile(t *testing.T) {
	p := writeConfig(t, commented)
	if err := AppendProfile(p, Profile{Name: "kraken-dca", Exchange: "kraken"}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveProfile(p, "kraken-dca"); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(p)
	if string(data) != commented {
		t.Errorf("append+remove changed the file:\n%s", data)
	}
}
