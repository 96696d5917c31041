package auditlog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

func TestStatsWindows(t *testing.T) {
	now := time.Date(2026, 11, 25, 16, 30, 30, 0, time.UTC)
	s := NewStats(func() time.Time { return now })
	add := func(ago time.Duration, line string) { e := Parse([]byte(line)); e.Time = now.Add(-ago); s.Add(e) }
	add(2*time.Hour, `level=error code=-1021 exchange=binance`)         // outside
	add(50*time.Minute, `level=error code=-1021 exchange=binance`)      // hour only
	add(4*time.Minute, `level=error code=10010 exchange=bybit`)         // 5 min
	add(1*time.Minute, `level=info op=get_ticker status=200`)           // call, no error
	add(0, `level=error msg="HTTP 429 Too Many Requests" exchange=okx`) // 5 min, rate limit
	s.Add(Entry{Level: LevelInfo, Message: "no time"})                  // counts now

	sn := s.Snapshot()
	if sn.EntriesHour != 5 || sn.Entries5m != 4 {
		t.Errorf("entries hour/5m = %d/%d, want 5/4", sn.EntriesHour, sn.Entries5m)
	}
	if sn.ErrorsHour != 3 || sn.Errors5m != 2 {
		t.Errorf("errors hour/5m = %d/%d, want 3/2", sn.ErrorsHour, sn.Errors5m)
	}
	wantHour := map[exchange.Cause]int{exchange.CauseClock: 1, exchange.CauseIP: 1, exchange.CauseRateLimit: 1}
	if fmt.Sprint(sn.CausesHour) != fmt.Sprint(wantHour) {
		t.Errorf("causes hour = %v, want %v", sn.CausesHour, wantHour)
	}
	if sn.Causes5m[exchange.CauseClock] != 0 || sn.Causes5m[exchange.CauseIP] != 1 {
		t.Errorf("causes 5m = %v", sn.Causes5m)
	}
	if sn.CallsPerMinute[59] != 1 || sn.CallsPerMinute[58] != 1 || sn.CallsPerMinute[55] != 1 || sn.CallsPerMinute[9] != 1 {
		t.Errorf("calls per minute = %v", sn.CallsPerMinute)
	}
	if sn.ErrorsPerMinute[59] != 1 || sn.ErrorsPerMinute[58] != 0 {
		t.Errorf("errors per minute = %v", sn.ErrorsPerMinute)
	}
	auth, n := sn.AuthFailuresHour()
	if n != 2 || auth[exchange.CauseRateLimit] != 0 {
		t.Errorf("auth failures = %v (%d)", auth, n)
	}
	// An hour later everything has aged out.
	now = now.Add(61 * time.Minute)
	if sn := s.Snapshot(); sn.EntriesHour != 0 || len(sn.CausesHour) != 0 {
		t.Errorf("after an hour: %+v", sn)
	}
}

func writeLog(t *testing.T, now time.Time, lines ...string) string {
	t.Helper()
	var b strings.Builder
	for i, l := range lines {
		ts := now.Add(-time.Duration(len(lines)-i) * time.Minute).Format(time.RFC3339)
		fmt.Fprintf(&b, "{\"ts\":%q,%s}\n", ts, l)
	}
	p := filepath.Join(t.TempDir(), "api_audit.log")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckStatuses(t *testing.T) {
	now := time.Now()
	secrets := func(context.Context) ([]keystore.Secret, error) {
		return []keystore.Secret{keystore.NewSecret(binanceSecret), keystore.NewSecret("")}, nil
	}
	tests := []struct {
		name       string
		lines      []string
		secrets    SecretsFunc
		want       checks.Status
		summary    string
		leaks      any
		causeCount map[string]int
	}{
		{"quiet and fine", []string{`"level":"info","event":"get_ticker","status":200`}, secrets, checks.OK, "1 entry, 0 errors", 0, map[string]int{}},
		{"auth failures warn and name the cause", []string{
			`"level":"error","exchange":"binance","code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."`,
			`"level":"error","exchange":"binance","code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."`,
			`"level":"error","exchange":"binance","code":-2015,"msg":"Invalid API-key, IP, or permissions for action."`,
		}, secrets, checks.Warn, "3 auth failures in the last hour: clock (2), ambiguous-auth (1)", 0, map[string]int{"clock": 2, "ambiguous-auth": 1}},
		{"rate limits warn", []string{`"level":"warning","status":429,"msg":"Too Many Requests"`}, secrets, checks.Warn, "1 rate-limit error in", 0, map[string]int{"rate-limit": 1}},
		{"a leaked secret is crit", []string{
			`"level":"debug","msg":"secret=` + binanceSecret + `"`,
			`"level":"error","exchange":"okx","code":"50102","msg":"Timestamp request expired."`,
		}, secrets, checks.Crit, "stored secret found in the audit log (1 line)", 1, map[string]int{"clock": 1}},
		{"no keystore: unknown, leaks not counted", []string{`"level":"info","msg":"ok"`},
			func(context.Context) ([]keystore.Secret, error) { return nil, errors.New("keyring not answering") },
			checks.Unknown, "secret-leak scan skipped", nil, map[string]int{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := config.Profile{Name: "binance-main", Exchange: "binance", AuditLog: writeLog(t, now, tt.lines...)}
			r := RunCheck(t.Context(), p, tt.secrets, now)
			if r.ID != "auditlog" || r.Profile != "binance-main" {
				t.Errorf("id/profile = %s/%s", r.ID, r.Profile)
			}
			if r.Status != tt.want || !strings.Contains(r.Summary, tt.summary) {
				t.Errorf("got %s %q, want %s containing %q", r.Status, r.Summary, tt.want, tt.summary)
			}
			if r.Status != checks.OK && r.Hint == "" {
				t.Error("no hint")
			}
			if r.Details["secret_leaks"] != tt.leaks {
				t.Errorf("secret_leaks = %v, want %v", r.Details["secret_leaks"], tt.leaks)
			}
			if fmt.Sprint(r.Details["causes"]) != fmt.Sprint(tt.causeCount) {
				t.Errorf("causes = %v, want %v", r.Details["causes"], tt.causeCount)
			}
			for _, k := range []string{"path", "last_entry_at", "entries_last_hour", "errors_last_hour", "causes", "secret_leaks"} {
				if _, ok := r.Details[k]; !ok {
					t.Errorf("details lack %s", k)
				}
			}
			out, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			assertNoSecret(t, "check result JSON", out)
		})
	}
}

func TestCheckMissingLogAndNoLog(t *testing.T) {
	p := config.Profile{Name: "bybit-grid", Exchange: "bybit", AuditLog: filepath.Join(t.TempDir(), "nope.log")}
	r := RunCheck(t.Context(), p, nil, time.Now())
	if r.Status != checks.Unknown || r.Summary != "audit log not found" {
		t.Errorf("missing log: %s %q", r.Status, r.Summary)
	}
	if NewCheck(config.Profile{Name: "x"}) != nil {
		t.Error("a profile without audit_log must get no check")
	}
}

// TestNewCheckThroughEngine registers the check the way the checks engine
// does and reads the secret through the shared Env and a real (memory) store.
func TestNewCheckThroughEngine(t *testing.T) {
	now := time.Now()
	logPath := writeLog(t, now, `"level":"debug","msg":"key=`+binanceSecret+`"`)
	cfg := &config.Config{Profiles: []config.Profile{{Name: "binance-main", Exchange: "binance", AuditLog: logPath}}}
	store := keystore.NewMemory()
	if err := store.Set(t.Context(), "binance-main", keystore.Item{APIKey: keystore.NewSecret("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"), APISecret: keystore.NewSecret(binanceSecret)}); err != nil {
		t.Fatal(err)
	}
	c := NewCheck(cfg.Profiles[0])
	env := checks.NewEnv(checks.Deps{Config: cfg, Store: store})
	r := c.Run(t.Context(), env)
	if r.Status != checks.Crit || r.Details["secret_leaks"] != 1 {
		t.Errorf("got %s %q leaks=%v", r.Status, r.Summary, r.Details["secret_leaks"])
	}
}

// TestCheckRedactsByTheWholeSet: a profile's log holding another item's
// values (another profile's secret, a token, a retired key) is crit.
func TestCheckRedactsByTheWholeSet(t *testing.T) {
	const otherSecret = "kwOTHERsecret-Qw1Er2Ty3Ui4Op5As6Df7"
	const token = "kwHOOKtoken-Pp9Oo8Ii7Uu6Yy5Tt4"
	const retired = "kwRETIREDsecret-Jj7Kk8Ll9Zz0Xx1"
	store := keystore.NewMemory()
	for name, it := range map[string]keystore.Item{
		"binance-main": {APIKey: keystore.NewSecret("vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"), APISecret: keystore.NewSecret(binanceSecret),
			Retired: []keystore.Retired{{APIKey: keystore.NewSecret("kwRETIREDkey-Aa1Ss2Dd3Ff4"), APISecret: keystore.NewSecret(retired)}}},
		"bin-b": {APIKey: keystore.NewSecret("kwOTHERkey-Zx8Cv7Bn6Mm5Ll4"), APISecret: keystore.NewSecret(otherSecret)},
		"hook":  {APISecret: keystore.NewSecret(token)},
	} {
		if err := store.Set(t.Context(), name, it); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Now()
	for _, v := range []string{otherSecret, token, retired} {
		logPath := writeLog(t, now, `"level":"debug","msg":"key=`+v+`"`)
		cfg := &config.Config{Profiles: []config.Profile{{Name: "binance-main", Exchange: "binance", AuditLog: logPath}}}
		r := NewCheck(cfg.Profiles[0]).Run(t.Context(), checks.NewEnv(checks.Deps{Config: cfg, Store: store}))
		if r.Status != checks.Crit || r.Details["secret_leaks"] != 1 {
			t.Errorf("got %s %q leaks=%v", r.Status, r.Summary, r.Details["secret_leaks"])
		}
	}
}
