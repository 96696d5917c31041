package alert

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// TestDocsPythonReceiverVerifiesSignatures runs the receiver docs/watch.md
// shows: it accepts what the webhook notifier sends, once per alert id,
// and refuses an altered body, another key's signature and a request
// signed 10 minutes ago (a replay).
func TestDocsPythonReceiverVerifiesSignatures(t *testing.T) {
	python := testutil.LookPath(t, "python3")
	docs, err := os.ReadFile("../docs/watch.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(docs), "A complete receiver in Python")
	_, rest, ok2 := strings.Cut(rest, "```python\n")
	code, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("docs/watch.md has no Python receiver block")
	}
	script := filepath.Join(t.TempDir(), "receiver.py")
	if err := os.WriteFile(script, []byte(code), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	const key = "whsec-docs-receiver-key-0123"
	_, port, _ := net.SplitHostPort(addr)
	cmd := exec.Command(python, script)
	cmd.Env = append(os.Environ(), "KEYWARDEN_HOOK_KEY="+key, "PORT="+port)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver never listened:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	n := mustNew(t, Spec{Alert: config.Alert{Type: "webhook", URL: "http://" + addr + "/"}, Token: keystore.NewSecret(key)})
	al := sample()
	for range 2 { // the second is a retry: same id, fresh signature
		if err := n.Send(context.Background(), al); err != nil {
			t.Fatalf("the docs' receiver refused a genuine delivery: %v\n%s", err, out.String())
		}
	}
	body := []byte(`{"id":"x1","subject":"forged"}`)
	for name, sig := range map[string]string{
		"altered body":       Sign([]byte(key), []byte(`{"id":"x1","subject":"real"}`), time.Now()),
		"another key":        Sign([]byte("whsec-someone-else-000000"), body, time.Now()),
		"replayed after 10m": Sign([]byte(key), body, time.Now().Add(-10*time.Minute)),
		"no signature":       "",
	} {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/", bytes.NewReader(body))
		req.Header.Set(SignatureHeader, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: HTTP %d, want 401", name, resp.StatusCode)
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if got := strings.Count(out.String(), al.Subject()); got != 1 || strings.Contains(out.String(), "forged") {
		t.Fatalf("the receiver printed the alert %d times (want once):\n%s", got, out.String())
	}
}
