package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/keystore"
)

// Stored values of the log tests' profile: real-shaped, with characters
// that base64 and URL encoding change.
var (
	logTestKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	logTestSecret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9q"
	logTestPass   = "Ab12345678)(*&^%$#@"
)

type logWorld struct {
	config, log, dir string
}

// newLogWorld makes a config with one profile whose key is stored in a real
// file keystore, and the profile's audit log holding the lines.
func newLogWorld(t *testing.T, lines ...string) logWorld {
	t.Helper()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := filepath.Join(dir, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := keystore.ScryptWorkFactor
	keystore.ScryptWorkFactor = 10
	t.Cleanup(func() { keystore.ScryptWorkFactor = old })
	st, err := keystore.Open(t.Context(), keystore.Options{Backend: keystore.BackendFile, VaultPath: vault, PassphraseFile: pass})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(t.Context(), "okx-arb", keystore.Item{APIKey: keystore.NewSecret(logTestKey),
		APISecret: keystore.NewSecret(logTestSecret), Passphrase: keystore.NewSecret(logTestPass)}); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "bot", "api_audit.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.toml")
	toml := fmt.Sprintf("keystore = \"file\"\nvault = %q\npassphrase_file = %q\n\n[[profile]]\nname = \"okx-arb\"\nexchange = \"okx\"\naudit_log = %q\n", vault, pass, logPath)
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("NO_COLOR", "")
	return logWorld{config: cfg, log: logPath, dir: dir}
}

// assertNoStoredValue fails if any stored value, in any encoding the
// redactor knows, is in out.
func assertNoStoredValue(t *testing.T, what, out string) {
	t.Helper()
	for _, v := range []string{logTestKey, logTestSecret, logTestPass} {
		for _, enc := range auditlog.Encodings(v) {
			if strings.Contains(out, enc.Value) {
				t.Fatalf("%s holds a stored value (%s form)", what, enc.Name)
			}
		}
	}
}

func (w logWorld) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(append([]string{"--config", w.config}, args...), strings.NewReader(""), &stdout, &stderr)
	assertNoStoredValue(t, "stdout", stdout.String())
	assertNoStoredValue(t, "stderr", stderr.String())
	return code, stdout.String(), stderr.String()
}

func leakyLines() []string {
	return []string{
		`{"ts":"2026-11-25T16:04:10Z","level":"info","event":"get_balance","status":200,"duration_ms":42}`,
		`{"ts":"2026-11-25T16:04:11Z","level":"error","event":"place_order","code":"50102","msg":"Timestamp request expired."}`,
		`2026-11-25 16:04:12,000 | DEBUG | headers={'OK-ACCESS-KEY': '` + logTestKey + `', 'OK-ACCESS-PASSPHRASE': '` + logTestPass + `'}`,
		`time=2026-11-25T16:04:13Z level=debug msg="body" sig=` + auditlogB64(logTestSecret),
		`WARN GET /api/v5/account/balance?secret=` + urlQuery(logTestSecret) + ` HTTP 401`,
		`2026-11-25 16:04:14,000 - bot - WARNING - okx {"code":"50110","msg":"Your IP 203.0.113.7 is not included in your API key's IP whitelist."}`,
	}
}

func auditlogB64(s string) string {
	for _, e := range auditlog.Encodings(s) {
		if e.Name == "base64" {
			return e.Value
		}
	}
	return ""
}

func urlQuery(s string) string {
	for _, e := range auditlog.Encodings(s) {
		if e.Name == "urlencoded" {
			return e.Value
		}
	}
	return ""
}

func TestLogTextRedactsAndClassifies(t *testing.T) {
	w := newLogWorld(t, leakyLines()...)
	for _, args := range [][]string{{"log", "okx-arb"}, {"log"}, {"log", w.log}} {
		code, out, errOut := w.run(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != 6 {
			t.Fatalf("%v: %d lines:\n%s", args, len(lines), out)
		}
		for i, want := range []string{
			"INFO  get_balance",
			"ERROR place_order 50102 [clock] Timestamp request expired.",
			"DEBUG [secret redacted] headers={'OK-ACCESS-KEY': '[REDACTED]', 'OK-ACCESS-PASSPHRASE': '[REDACTED]'}",
			"[secret redacted]",
			"WARN  HTTP 401 [ambiguous-auth] [secret redacted] GET /api/v5/account/balance?secret=[REDACTED] HTTP 401",
			"WARN  50110 [ip] okx",
		} {
			if !strings.Contains(lines[i], want) {
				t.Errorf("%v line %d = %q, want it to contain %q", args, i, lines[i], want)
			}
		}
		if strings.ContainsRune(out, '\x1b') {
			t.Errorf("colour escapes written to a pipe")
		}
	}
}

// TestLogFileOfNoProfile: a FILE no profile names is redacted with every
// stored value.
func TestLogFileOfNoProfile(t *testing.T) {
	w := newLogWorld(t, "x")
	other := filepath.Join(w.dir, "other.log")
	if err := os.WriteFile(other, []byte(strings.Join(leakyLines(), "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := w.run(t, "log", "-n", "4", other)
	if code != 0 || strings.Count(out, "[secret redacted]") != 3 {
		t.Errorf("exit %d, out:\n%s\nerr: %s", code, out, errOut)
	}
}

func TestLogJSON(t *testing.T) {
	w := newLogWorld(t, leakyLines()...)
	code, out, errOut := w.run(t, "log", "--json", "-n", "4", "okx-arb")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		for _, k := range []string{"time", "level", "message", "cause", "code", "http_status", "redacted", "source"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line lacks %q: %s", k, l)
			}
		}
		got = append(got, m)
	}
	if len(got) != 4 {
		t.Fatalf("%d lines, want 4", len(got))
	}
	want := []map[string]any{
		{"level": "debug", "cause": nil, "code": nil, "redacted": true, "source": "python"},
		{"level": "debug", "cause": nil, "redacted": true, "source": "logfmt", "time": "2026-11-25T16:04:13Z"},
		{"level": "warn", "cause": "ambiguous-auth", "http_status": float64(401), "redacted": true, "source": "plain"},
		{"level": "warn", "cause": "ip", "code": "50110", "redacted": false, "source": "python"},
	}
	for i, w := range want {
		for k, v := range w {
			if got[i][k] != v {
				t.Errorf("line %d %s = %v, want %v", i, k, got[i][k], v)
			}
		}
	}
}

func TestLogErrors(t *testing.T) {
	w := newLogWorld(t, "x")
	tests := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"log", "no-such-profile"}, ExitUsage, "neither a profile nor a file"},
		{[]string{"log", "-n", "-1", "okx-arb"}, ExitUsage, "-n must be 0 or more"},
		{[]string{"log", "a", "b"}, ExitUsage, "accepts at most 1 arg"},
		{[]string{"log", filepath.Join(w.dir, "missing", "bot.log")}, ExitUnknown, "does not exist"},
	}
	for _, tt := range tests {
		code, _, errOut := w.run(t, tt.args...)
		if code != tt.code || !strings.Contains(errOut, tt.msg) {
			t.Errorf("%v: exit %d %q, want %d containing %q", tt.args, code, errOut, tt.code, tt.msg)
		}
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestLogFollow follows the file through a rename rotation; new lines,
// secrets included, come out redacted.
func TestLogFollow(t *testing.T) {
	w := newLogWorld(t, leakyLines()[:2]...)
	var stdout, stderr syncBuffer
	app := &App{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}
	root := NewRoot(app)
	root.SetArgs([]string{"--config", w.config, "log", "-f", "-n", "1", "okx-arb"})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()

	waitFor := func(what string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !strings.Contains(stdout.String(), what) {
			if time.Now().After(deadline) {
				cancel()
				t.Fatalf("no %q in output:\n%s\nstderr: %s", what, stdout.String(), stderr.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor("[clock] Timestamp request expired.")
	appendLine := func(path, line string) {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(line + "\n")
	}
	appendLine(w.log, leakyLines()[2])
	waitFor("[secret redacted]")
	if err := os.Rename(w.log, w.log+".1"); err != nil {
		t.Fatal(err)
	}
	appendLine(w.log, `{"level":"error","msg":"after rotation","code":"50113"}`)
	waitFor("50113 [signature] after rotation")
	cancel()
	if err := <-done; err != nil {
		t.Errorf("log -f ended with %v", err)
	}
	out := stdout.String()
	assertNoStoredValue(t, "stdout", out)
	assertNoStoredValue(t, "stderr", stderr.String())
	if strings.Contains(out, "get_balance") {
		t.Error("-n 1 printed more than the last line before following")
	}
}
