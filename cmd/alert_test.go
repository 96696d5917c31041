package cmd

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestAlertTestSendsThroughEachNotifier: `alert test` sends one test
// notification per notifier, says which delivered, and exits 2 when one
// did not; NAME picks one; an unknown NAME is a usage error.
func TestAlertTestSendsThroughEachNotifier(t *testing.T) {
	var mu sync.Mutex
	var kinds []string
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var p struct{ Kind, Subject string }
		_ = json.Unmarshal(b, &p)
		mu.Lock()
		kinds = append(kinds, p.Kind+" "+p.Subject)
		mu.Unlock()
	}))
	defer ok.Close()
	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Cannot POST "+r.URL.RequestURI(), http.StatusServiceUnavailable)
	}))
	defer down.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	const canary = "kwCANARYqueryTOKEN42"
	body := `keystore = "file"
vault = "` + filepath.Join(dir, "vault.age") + `"

[[alert]]
type = "webhook"
name = "primary"
url = "` + ok.URL + `/kw"
fallback = "backup"

[[alert]]
type = "webhook"
name = "backup"
url = "` + down.URL + `/hook?token=` + canary + `"
`
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := Main(append([]string{"--config", cfg}, args...), strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}

	code, out, errOut := run("alert", "test")
	if code != ExitCrit || !strings.Contains(out, "✓ primary: delivered\n") || !strings.Contains(out, "✗ backup: backup: HTTP 503: Cannot POST /hook?token=[REDACTED]") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "1 of 2 notifiers failed") || strings.Contains(out+errOut, canary) {
		t.Fatalf("stderr: %s", errOut)
	}
	if code, out, _ = run("alert", "test", "primary"); code != ExitOK || out != "✓ primary: delivered\n" {
		t.Fatalf("alert test primary: exit %d\n%s", code, out)
	}
	mu.Lock()
	if len(kinds) != 2 || !strings.HasPrefix(kinds[0], "test TEST keywarden on ") {
		t.Fatalf("receiver got %q", kinds)
	}
	mu.Unlock()
	if code, _, errOut = run("alert", "test", "nope"); code != ExitUsage || !strings.Contains(errOut, `no notifier "nope": the config has primary, backup`) {
		t.Fatalf("unknown name: exit %d: %s", code, errOut)
	}

	if err := os.WriteFile(cfg, []byte(`keystore = "file"`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut = run("alert", "test"); code != ExitUnknown || !strings.Contains(errOut, "no [[alert]] blocks") {
		t.Fatalf("no blocks: exit %d: %s", code, errOut)
	}
}
