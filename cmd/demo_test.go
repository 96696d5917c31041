package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/demo"
)

// runDemoMain runs `keywarden demo ARGS...` in-process with a fresh HOME and
// cache directory, and the secrets hook pointed at a file of the test's.
// It returns the exit code, stdout, stderr and the demo's secrets.
func runDemoMain(t *testing.T, args ...string) (code int, stdout, stderr string, secrets []string) {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CACHE_HOME", filepath.Join(home, ".cache"))
	t.Setenv("CACHE_DIRECTORY", filepath.Join(home, "unit-cache"))
	t.Setenv("NO_COLOR", "")
	hook := filepath.Join(t.TempDir(), "secrets")
	t.Setenv(demoSecretsEnv, hook)
	var out, errb bytes.Buffer
	code = Main(append([]string{"demo"}, args...), strings.NewReader(""), &out, &errb)
	if b, err := os.ReadFile(hook); err == nil {
		secrets = strings.Fields(string(b))
		fi, err := os.Stat(hook)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("secrets hook file mode %v, want 0600", fi.Mode().Perm())
		}
	}
	// The demo leaves nothing behind in the user's home: no scan cache.
	for _, v := range []struct{ env, dir string }{
		{"XDG_CACHE_HOME", filepath.Join(home, ".cache")},
		{"CACHE_DIRECTORY", filepath.Join(home, "unit-cache")},
	} {
		if ents, _ := os.ReadDir(v.dir); len(ents) > 0 {
			t.Errorf("the demo wrote to %s: %v", v.env, ents)
		}
		if got := os.Getenv(v.env); got != v.dir {
			t.Errorf("%s not restored: %q", v.env, got)
		}
	}
	return code, out.String(), errb.String(), secrets
}

// TestDemoCheck runs `demo --check` in every output format (and the bare
// `demo` into a pipe, which prints the text report): the world is
// built to fail, so the exit status is 2, the report names the findings the
// world plants, no generated secret is printed, and the world's directory
// is gone afterwards.
func TestDemoCheck(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"text", nil, []string{
			"withdrawals enabled",
			"the exchange rejects this host's IP (198.51.100.23)",
			// The world's NTP servers are 1.2 s off; a loaded machine's
			// round trips move the estimate by a tenth either way.
			"s behind NTP (2/3 agree); falseticker",
			"stored secret found in the audit log",
			"key in git history",
			".env: world-readable (0644)",
			// The intruder, struck between the baseline and the report.
			"1 order the bot did not place",
			"1 move out of the account not allowed",
			"status crit (exit 2)",
		}},
		{"json", []string{"--json"}, []string{`"version": 1`, `"status": "crit"`}},
		{"prometheus", []string{"--prometheus"}, []string{
			`keywarden_check_status{check="key.permissions",profile="binance-main"} 2`,
			`keywarden_check_status{check="ip.whitelist",profile="bybit-grid"} 2`,
			`keywarden_check_status{check="activity.orders",profile="binance-main"} 2`,
			`keywarden_check_status{check="activity.funds",profile="kucoin-spot"} 2`,
			`keywarden_check_status{check="activity.funds",profile="binance-main"} 0`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--check"}, tt.args...)
			if tt.name == "text" {
				args = nil // stdout is not a terminal: the report, as with --check
			}
			code, out, errOut, secrets := runDemoMain(t, args...)
			if code != ExitCrit {
				t.Errorf("exit %d, want %d\nstderr: %s", code, ExitCrit, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("report lacks %q:\n%s", w, out)
				}
			}
			if tt.name == "text" && !regexp.MustCompile(`local clock 1\.[123] s behind NTP`).MatchString(out) {
				t.Errorf("report lacks the 1.2 s NTP offset:\n%s", out)
			}
			// The intruder's evidence, read across the report's line wraps.
			if flat := strings.Join(strings.Fields(out), " "); tt.name == "text" &&
				(!regexp.MustCompile(`SELL 0\.75 BTCUSDT \(order \d+, client id web_[0-9a-f]+\)`).MatchString(flat) ||
					!strings.Contains(flat, "withdrawal 0.5 BTC to "+demo.IntruderAddress)) {
				t.Errorf("report lacks the intruder's order or withdrawal:\n%s", out)
			}
			// 3 keys and 3 secrets, and KuCoin's passphrase.
			if len(secrets) != 7 {
				t.Fatalf("secrets hook wrote %d values, want 7", len(secrets))
			}
			for _, s := range secrets {
				for _, enc := range encodings(s) {
					if strings.Contains(out+errOut, enc) {
						t.Fatalf("a demo secret (or an encoding of it) is in the output:\n%s%s", out, errOut)
					}
				}
			}
			if tt.name == "json" {
				checkDemoJSON(t, out)
			}
		})
	}
}

// checkDemoJSON parses the JSON report: the spread of states the world is
// built for, and its project directory removed on exit.
func checkDemoJSON(t *testing.T, out string) {
	t.Helper()
	var rep struct {
		Status string `json:"status"`
		Checks []struct {
			ID      string         `json:"id"`
			Profile string         `json:"profile"`
			Status  string         `json:"status"`
			Summary string         `json:"summary"`
			Details map[string]any `json:"details"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	// Only the intruder's order (on Binance) and withdrawal (on KuCoin)
	// are foreign: the bots' own orders are logged with their ids and
	// matched.
	for _, c := range rep.Checks {
		switch c.ID + " " + c.Profile {
		case "activity.orders " + demo.IntruderOrderProfile:
			fs, _ := c.Details["foreign"].([]any)
			f, _ := firstOf(fs).(map[string]any)
			id, _ := f["order_id"].(string)
			client, _ := f["client_order_id"].(string)
			if c.Status != "crit" || len(fs) != 1 || id == "" || !strings.HasPrefix(client, "web_") ||
				!strings.Contains(c.Summary, "order "+id+", client id "+client) {
				t.Errorf("activity.orders: %s %q %v, want crit with the intruder's one order", c.Status, c.Summary, fs)
			}
			if n, _ := c.Details["matched"].(float64); n == 0 {
				t.Error("activity.orders matched none of the bot's own orders")
			}
		case "activity.funds " + demo.IntruderWithdrawalProfile:
			ms, _ := c.Details["movements"].([]any)
			m, _ := firstOf(ms).(map[string]any)
			if c.Status != "crit" || len(ms) != 1 || m["to"] != demo.IntruderAddress || m["allowed"] != false ||
				m["id"] == "" || !strings.Contains(c.Summary, fmt.Sprintf("(id %v)", m["id"])) {
				t.Errorf("activity.funds: %s %q %v, want crit with the intruder's withdrawal", c.Status, c.Summary, ms)
			}
		case "activity.funds " + demo.IntruderOrderProfile, "activity.orders " + demo.IntruderWithdrawalProfile:
			if c.Status != "ok" {
				t.Errorf("%s %s: %s %q, want ok", c.ID, c.Profile, c.Status, c.Summary)
			}
		}
	}
	want := map[string]string{
		"key.permissions binance-main": "crit", // withdrawals on
		"ip.whitelist bybit-grid":      "crit", // whitelist misses the egress IP
		"key.permissions kucoin-spot":  "ok",   // the healthy one
		"clock.ntp ":                   "crit",
		"ip.public ":                   "ok",
		"auditlog binance-main":        "crit", // the leaked secret
		"hygiene.history binance-main": "crit",
	}
	project := ""
	for _, c := range rep.Checks {
		k := c.ID + " " + c.Profile
		if w, ok := want[k]; ok {
			if c.Status != w {
				t.Errorf("%s: status %s, want %s", k, c.Status, w)
			}
			delete(want, k)
		}
		if c.ID == "hygiene.history" {
			project, _ = c.Details["project"].(string)
		}
	}
	for k := range want {
		t.Errorf("no %s in the report", k)
	}
	if project == "" {
		t.Fatal("hygiene.history names no project")
	}
	if _, err := os.Stat(filepath.Dir(project)); !os.IsNotExist(err) {
		t.Errorf("the world's directory %s is left behind (stat: %v)", filepath.Dir(project), err)
	}
}

// TestDemoUsage: flag mistakes are usage errors (64) that say what to run.
func TestDemoUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--json"}, "go with --check"},
		{[]string{"--check", "--json", "--prometheus"}, "cannot be combined"},
		{[]string{"extra"}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut, secrets := runDemoMain(t, tt.args...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q lacks %q", errOut, tt.want)
			}
			if out != "" || secrets != nil {
				t.Errorf("a usage error started the world: stdout %q, %d secrets", out, len(secrets))
			}
		})
	}
}

// TestDemoSecretsHookRefusesExisting: the hook never overwrites a file.
func TestDemoSecretsHookRefusesExisting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "exists")
	if err := os.WriteFile(path, []byte("keep\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeDemoSecrets(path, nil); err == nil || !strings.Contains(err.Error(), "must not exist") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "keep\n" {
		t.Errorf("file overwritten: %q", b)
	}
}

func firstOf(xs []any) any {
	if len(xs) == 0 {
		return nil
	}
	return xs[0]
}
