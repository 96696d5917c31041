package cmd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/leaks"
)

const (
	scanTestKey    = "Zp4Kq8Wm2Rt6Yv0Xb3Nc7Hd1Jf5Lg9Qs2Ue6Ia0Ok4Mw8Pr3Ty7Vz1Bx5Cn9Dh2"
	scanTestSecret = "S3cr3tQ9w8E7r6T5y4U3i2O1p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMm1234"
)

// scanWorld is a config with a file-backend vault holding one profile's key,
// and a git repository that leaked it.
type scanWorld struct {
	config, repo, commit string
}

func newScanWorld(t *testing.T) scanWorld {
	t.Helper()
	testutil.LookPath(t, "git")
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(base, "cache"))
	vault := filepath.Join(base, "vault.age")
	pass := filepath.Join(base, "pass")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	old := keystore.ScryptWorkFactor
	keystore.ScryptWorkFactor = 10 // a fast vault for tests
	t.Cleanup(func() { keystore.ScryptWorkFactor = old })
	st, err := keystore.Open(context.Background(), keystore.Options{Backend: keystore.BackendFile, VaultPath: vault, PassphraseFile: pass})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(context.Background(), "binance-main", keystore.Item{
		APIKey: keystore.NewSecret(scanTestKey), APISecret: keystore.NewSecret(scanTestSecret)}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "config.toml")
	toml := "keystore = \"file\"\nvault = \"" + vault + "\"\npassphrase_file = \"" + pass + "\"\n\n" +
		"[[profile]]\nname = \"binance-main\"\nexchange = \"binance\"\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}

	repo := filepath.Join(base, "bot")
	gitRun(t, "", "init", "-q", "-b", "main", repo)
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(repo, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("bot.py", "print('trading')\n")
	write("config.py", "API_SECRET = '"+scanTestSecret+"'\n")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "first")
	commit := strings.TrimSpace(gitRun(t, repo, "rev-parse", "HEAD"))
	if err := os.Remove(filepath.Join(repo, "config.py")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, repo, "commit", "-q", "-am", "remove secret")
	write("values.yaml", "key: "+base64.StdEncoding.EncodeToString([]byte(scanTestKey))+"\n") // untracked
	return scanWorld{cfg, repo, commit}
}

func gitRun(t *testing.T, dir string, args ...string) string {
	t.Helper()
	if dir != "" {
		args = append([]string{"-C", dir}, args...)
	}
	cmd := exec.Command("git", args...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return string(out)
}

func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(""), &stdout, &stderr)
	for _, v := range []string{scanTestKey, scanTestSecret, base64.StdEncoding.EncodeToString([]byte(scanTestKey))} {
		if strings.Contains(stdout.String()+stderr.String(), v) {
			t.Fatalf("keywarden %v printed a stored value", args)
		}
	}
	return code, stdout.String(), stderr.String()
}

func TestScanCommandJSON(t *testing.T) {
	w := newScanWorld(t)
	code, out, errOut := runMain(t, "--config", w.config, "scan", w.repo, "--json")
	if code != ExitCrit {
		t.Fatalf("exit %d, want %d; stderr: %s", code, ExitCrit, errOut)
	}
	var rep struct {
		Findings []struct {
			Profile, Field, Encoding, Path string
			Line                           int
			Commit                         *string
			InHead                         bool `json:"in_head"`
		}
		BlobsScanned *int64 `json:"blobs_scanned"`
		BytesScanned *int64 `json:"bytes_scanned"`
		DurationMS   *int64 `json:"duration_ms"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if rep.BlobsScanned == nil || *rep.BlobsScanned == 0 || rep.BytesScanned == nil || rep.DurationMS == nil {
		t.Errorf("missing counters in %s", out)
	}
	if len(rep.Findings) != 2 {
		t.Fatalf("want 2 findings (untracked base64 key, secret in history), got %s", out)
	}
	wt, hist := rep.Findings[0], rep.Findings[1]
	if wt.Profile != "binance-main" || wt.Field != "key" || wt.Encoding != "base64" || wt.Path != "values.yaml" || wt.Line != 1 || wt.Commit != nil {
		t.Errorf("working-tree finding = %+v", wt)
	}
	if hist.Field != "secret" || hist.Encoding != "raw" || hist.Path != "config.py" || hist.Commit == nil || *hist.Commit != w.commit || hist.InHead {
		t.Errorf("history finding = %+v, want config.py in %s, not in HEAD", hist, w.commit)
	}
}

func TestScanCommandText(t *testing.T) {
	w := newScanWorld(t)
	code, out, _ := runMain(t, "--config", w.config, "scan", w.repo)
	if code != ExitCrit {
		t.Fatalf("exit %d, want %d", code, ExitCrit)
	}
	for _, want := range []string{"binance-main secret (raw) in history: " + w.commit[:10] + " config.py:1", "values.yaml:1", "keywarden rotate binance-main", "git filter-repo"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}

	// Without history only the working-tree finding is left.
	code, out, _ = runMain(t, "--config", w.config, "scan", w.repo, "--history=false", "--json")
	if code != ExitCrit || strings.Count(out, `"profile"`) != 1 {
		t.Errorf("--history=false: exit %d, output %s", code, out)
	}
}

func TestScanCommandCleanAndUsage(t *testing.T) {
	w := newScanWorld(t)
	clean := t.TempDir()
	if err := os.WriteFile(filepath.Join(clean, "main.py"), []byte("print(1)\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runMain(t, "--config", w.config, "scan", clean); code != ExitOK || !strings.Contains(out, "no stored key") {
		t.Errorf("clean dir: exit %d, output %q %q", code, out, errOut)
	}
	if code, _, _ := runMain(t, "--config", w.config, "scan", clean, "extra"); code != ExitUsage {
		t.Errorf("two directories: exit %d, want %d", code, ExitUsage)
	}
	if code, _, errOut := runMain(t, "--config", w.config, "scan", filepath.Join(clean, "missing")); code != ExitUnknown || !strings.Contains(errOut, "missing") {
		t.Errorf("missing dir: exit %d, stderr %q", code, errOut)
	}
}

func TestScanCommandNothingStored(t *testing.T) {
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(base, "cache"))
	pass := filepath.Join(base, "pass")
	if err := os.WriteFile(pass, []byte("pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "config.toml")
	toml := "keystore = \"file\"\nvault = \"" + filepath.Join(base, "vault.age") + "\"\npassphrase_file = \"" + pass + "\"\n"
	if err := os.WriteFile(cfg, []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errOut := runMain(t, "--config", cfg, "scan", base)
	if code != ExitUnknown || errOut == "" {
		t.Errorf("empty keystore: exit %d, stderr %q; want %d and a reason", code, errOut, ExitUnknown)
	}
	t.Logf("stderr: %s", errOut)
}

// TestScanProgress: nothing is drawn before the delay; after it, the line
// shows the share read and is cleared when the scan ends.
func TestScanProgress(t *testing.T) {
	var p leaks.Progress
	var quick bytes.Buffer
	showProgress(&quick, &p, time.Hour, time.Millisecond)()
	if quick.Len() != 0 {
		t.Errorf("a scan shorter than the delay drew %q", quick.String())
	}
	p.Total.Store(4 << 20)
	p.Done.Store(1 << 20)
	var slow syncBuffer
	stop := showProgress(&slow, &p, time.Millisecond, time.Millisecond)
	waitUntil(t, 10*time.Second, "progress line", func() bool {
		return strings.Contains(slow.String(), "scanning git history:  25% (1.0 of 4.0 MiB)")
	})
	stop()
	out := slow.String()
	if !strings.Contains(out, "scanning git history:  25% (1.0 of 4.0 MiB)") || !strings.HasSuffix(out, "\r\x1b[K") {
		t.Errorf("progress output %q", out)
	}
}

// TestScanMissingObjects: a blob deleted from a real repository's object
// files is counted, reported, and makes the result unknown (exit 3), not
// clean.
func TestScanMissingObjects(t *testing.T) {
	w := newScanWorld(t)
	if err := os.Remove(filepath.Join(w.repo, "values.yaml")); err != nil { // the untracked leak
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(w.repo, "notes.txt"), "clean notes\n")
	gitRun(t, w.repo, "add", "notes.txt")
	gitRun(t, w.repo, "commit", "-q", "-m", "notes")
	// The commit that leaked the secret is in history: remove the leaked
	// blob itself, so nothing is found and only the missing count tells.
	blob := strings.TrimSpace(gitRun(t, w.repo, "rev-parse", w.commit+":config.py"))
	if err := os.Remove(filepath.Join(w.repo, ".git", "objects", blob[:2], blob[2:])); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMain(t, "--config", w.config, "scan", w.repo, "--no-cache")
	if code != ExitUnknown {
		t.Fatalf("exit %d, want %d; stdout:\n%s\nstderr: %s", code, ExitUnknown, out, errOut)
	}
	if !strings.Contains(out, "1 object(s) that history refers to are missing") || !strings.Contains(out, "the result is unknown") || strings.Contains(out, "✓") {
		t.Errorf("report does not say the result is unknown:\n%s", out)
	}
	code, out, _ = runMain(t, "--config", w.config, "scan", w.repo, "--json")
	if code != ExitUnknown || !strings.Contains(out, `"missing_objects": 1`) {
		t.Errorf("--json: exit %d, want 3 with missing_objects 1:\n%s", code, out)
	}
	// Cached, the count is kept.
	code, out, _ = runMain(t, "--config", w.config, "scan", w.repo, "--json")
	if code != ExitUnknown || !strings.Contains(out, `"missing_objects": 1`) || !strings.Contains(out, `"history": "cached"`) {
		t.Errorf("cached: exit %d, want 3 with missing_objects 1:\n%s", code, out)
	}
}
