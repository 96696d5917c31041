package cmd

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfig writes a config with two profiles, one with an audit log, a
// file keystore whose vault does not exist, and every network source on a
// closed loopback port.
func writeConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := `keystore = "file"
vault = "` + filepath.Join(dir, "vault.age") + `"

# Nothing leaves the machine: closed loopback ports answer at once.
[clock]
ntp_servers = ["127.0.0.1:9"]

[ip]
sources = ["http://127.0.0.1:9"]

[[profile]]
name = "binance-main"
exchange = "binance"
base_url = "http://127.0.0.1:9"
audit_log = "` + filepath.Join(dir, "bot.log") + `"

[[profile]]
name = "okx-arb"
exchange = "okx"
base_url = "http://127.0.0.1:9"
`
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The bare command never draws a dashboard into a pipe: stdout gets the
// check report and no escape sequence at all.
func TestBareCommandWithoutTerminalPrintsNoDashboard(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := Main([]string{"--config", writeConfig(t), "--offline-not-a-flag"}, strings.NewReader(""), &stdout, &stderr)
	if code != ExitUsage {
		t.Errorf("unknown flag: exit %d, want %d", code, ExitUsage)
	}
	stdout.Reset()
	stderr.Reset()
	code = Main([]string{"--config", writeConfig(t)}, strings.NewReader(""), &stdout, &stderr)
	if strings.ContainsRune(stdout.String(), '\x1b') || strings.ContainsRune(stderr.String(), '\x1b') {
		t.Errorf("escape codes written to a pipe:\n%q\n%q", stdout.String(), stderr.String())
	}
	if code < ExitOK || code > ExitUnknown {
		t.Errorf("exit %d, want a check status (0-3); stderr: %s", code, stderr.String())
	}
	if stdout.Len() == 0 {
		t.Error("stdout is not a terminal: the check report should be printed")
	}
}

// dashboardOptions wires every profile, the audit feed of the profile that
// has a log, the keystore backend in use, and the checks engine.
func TestDashboardOptionsWiring(t *testing.T) {
	app := &App{ConfigPath: writeConfig(t), Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}}
	cfg, err := app.LoadConfig()
	if err != nil {
		t.Fatal(err)
	}
	store, storeErr := app.OpenStore(context.Background(), cfg)
	opts := dashboardOptions(app, cfg, store, storeErr, storedSecrets(context.Background(), store, cfg))
	if got := strings.Join(opts.Profiles, ","); got != "binance-main,okx-arb" {
		t.Errorf("profiles %q", got)
	}
	if _, ok := opts.Audit["binance-main"]; !ok || len(opts.Audit) != 1 {
		t.Errorf("audit feeds %v, want binance-main only", opts.Audit)
	}
	if opts.Backend != "file" {
		t.Errorf("backend %q, want the configured file backend", opts.Backend)
	}
	if opts.Input != nil {
		t.Error("stdin is not a terminal: the dashboard must not read it")
	}
	// The runner is the checks engine: the keystore check answers, and it
	// says the store could not be opened.
	rs := opts.Run(context.Background(), []string{"keystore"})
	if len(rs) != 1 || rs[0].ID != "keystore" {
		t.Fatalf("keystore group ran %+v", rs)
	}
	if rs[0].Summary == "" {
		t.Error("keystore result has no summary")
	}
}
