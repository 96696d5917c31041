package cmd

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

// rewriteWorld is a Bybit profile whose key is on an exchange fake, and a
// repository (with an origin remote) that leaked it in several commits,
// two branches, a tag, a commit message and the stash.
type rewriteWorld struct {
	config, repo, remote string
	fake                 *exchangetest.Bybit
}

func newRewriteWorld(t *testing.T) rewriteWorld {
	t.Helper()
	testutil.LookPath(t, "git")
	testutil.LookPath(t, "git-filter-repo")
	base := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(base, "cache"))
	t.Setenv("TMPDIR", filepath.Join(base, "tmp")) // where the expressions file goes
	if err := os.Mkdir(filepath.Join(base, "tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	fake := exchangetest.NewBybit(exchangetest.BybitKey{APIKey: scanTestKey, Secret: scanTestSecret,
		Permissions: map[string][]string{"Spot": {"SpotTrade"}}})
	t.Cleanup(fake.Close)

	vault, pass := filepath.Join(base, "vault.age"), filepath.Join(base, "pass")
	writeFile(t, pass, "correct horse battery staple\n")
	if err := os.Chmod(pass, 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := keystore.Open(context.Background(), keystore.Options{Backend: keystore.BackendFile, VaultPath: vault, PassphraseFile: pass})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(context.Background(), "bybit-grid", keystore.Item{
		APIKey: keystore.NewSecret(scanTestKey), APISecret: keystore.NewSecret(scanTestSecret)}); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(base, "config.toml")
	writeFile(t, cfg, "keystore = \"file\"\nvault = \""+vault+"\"\npassphrase_file = \""+pass+"\"\n\n"+
		"[[profile]]\nname = \"bybit-grid\"\nexchange = \"bybit\"\nbase_url = \""+fake.URL()+"\"\n")
	if err := os.Chmod(cfg, 0o600); err != nil {
		t.Fatal(err)
	}

	repo, remote := filepath.Join(base, "bot"), filepath.Join(base, "remote.git")
	gitRun(t, "", "init", "-q", "-b", "main", repo)
	gitRun(t, "", "init", "-q", "--bare", remote)
	gitRun(t, repo, "remote", "add", "origin", remote)
	w := func(name, s string) { writeFile(t, filepath.Join(repo, name), s) }
	w("bot.py", "print('trading')\n")
	w("config.py", "API_KEY = '"+scanTestKey+"'\nAPI_SECRET = '"+scanTestSecret+"'\n")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "first")
	w("settings.json", `{"secret": "`+scanTestSecret+`"}`+"\n")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "settings")
	gitRun(t, repo, "tag", "-a", "v1", "-m", "release v1")
	gitRun(t, repo, "checkout", "-q", "-b", "dev")
	w("values.yaml", "key: "+base64.StdEncoding.EncodeToString([]byte(scanTestKey))+"\n")
	gitRun(t, repo, "add", "-A")
	gitRun(t, repo, "commit", "-q", "-m", "deploy with key "+scanTestKey)
	gitRun(t, repo, "checkout", "-q", "main")
	w("config.py", "import os\nAPI_KEY = os.environ['API_KEY']\n")
	if err := os.Remove(filepath.Join(repo, "settings.json")); err != nil {
		t.Fatal(err)
	}
	gitRun(t, repo, "commit", "-q", "-am", "keys from the environment")
	gitRun(t, repo, "push", "-q", "origin", "main", "dev", "v1")
	gitRun(t, repo, "fetch", "-q", "origin")
	w("bot.py", "print('trading')\nSECRET = '"+scanTestSecret+"'\n")
	gitRun(t, repo, "stash", "-q")
	return rewriteWorld{cfg, repo, remote, fake}
}

// TestScanRewrite runs scan --rewrite on a real repository: refused while
// the key works on the exchange fake; once it is revoked, backup, filter-repo,
// a clean rescan and push commands that, run as printed, leave a remote
// whose fresh clone scans clean.
func TestScanRewrite(t *testing.T) {
	w := newRewriteWorld(t)
	head := gitRun(t, w.repo, "rev-parse", "HEAD")

	code, out, errOut := runMain(t, "--config", w.config, "scan", "--rewrite", w.repo)
	if code != ExitCrit {
		t.Fatalf("live key: exit %d, want %d\nstdout: %s\nstderr: %s", code, ExitCrit, out, errOut)
	}
	for _, want := range []string{"refusing to rewrite history", "STILL WORKS on bybit", exchange.APIPage("bybit"), "keywarden rotate bybit-grid", "--accept-risk"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("refusal does not say %q:\n%s", want, errOut)
		}
	}
	if got := gitRun(t, w.repo, "rev-parse", "HEAD"); got != head {
		t.Fatal("a refused rewrite changed the repository")
	}

	w.fake.RemoveKey(scanTestKey) // revoked on the exchange
	code, out, errOut = runMain(t, "--config", w.config, "scan", "--rewrite", w.repo)
	if code != ExitOK {
		t.Fatalf("revoked key: exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(out, "✓ bybit-grid key") || !strings.Contains(out, "✓ rescan: no stored value left") {
		t.Errorf("output does not confirm the revocation and the clean rescan:\n%s", out)
	}
	bundle := regexp.MustCompile(`backup of every branch, tag and the stash: (\S+)`).FindStringSubmatch(out)
	if bundle == nil {
		t.Fatalf("no backup path in:\n%s", out)
	}
	if fi, err := os.Stat(bundle[1]); err != nil || fi.Mode().Perm() != 0o600 || strings.HasPrefix(bundle[1], w.repo+string(filepath.Separator)) {
		t.Errorf("backup %s: %v, mode %v: want a 0600 file outside the repository", bundle[1], err, fi.Mode())
	}
	gitRun(t, "", "bundle", "verify", bundle[1])
	if left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "keywarden-replace-*")); len(left) > 0 {
		t.Errorf("expressions file left behind: %v", left)
	}
	// The rewritten history still has its shape, with the values replaced.
	if got := gitRun(t, w.repo, "show", "v1:settings.json"); !strings.Contains(got, "***REMOVED***") {
		t.Errorf("tag v1's settings.json: %q", got)
	}
	if got := gitRun(t, w.repo, "log", "-1", "--format=%s", "dev"); got != "deploy with key ***REMOVED***\n" {
		t.Errorf("dev's commit message: %q", got)
	}
	if got := gitRun(t, w.repo, "stash", "list"); !strings.Contains(got, "stash@{0}") {
		t.Errorf("the stash is gone: %q", got)
	}
	if got := gitRun(t, w.repo, "stash", "show", "-p"); !strings.Contains(got, "+SECRET = '***REMOVED***'") {
		t.Errorf("the stash's change: %q", got)
	}

	cmds := regexp.MustCompile(`(?m)^  (git (?:remote add|push) .*)$`).FindAllStringSubmatch(out, -1)
	var lines []string
	for _, c := range cmds {
		lines = append(lines, c[1])
	}
	want := []string{
		"git remote add origin " + w.remote,
		"git push --force origin refs/heads/dev:refs/heads/dev refs/heads/main:refs/heads/main",
		"git push --force origin refs/tags/v1:refs/tags/v1",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("push commands:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range lines {
		sh := exec.Command("sh", "-c", c)
		sh.Dir = w.repo
		if b, err := sh.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v: %s", c, err, b)
		}
	}
	// What a new clone of the remote gets is clean.
	clone := filepath.Join(t.TempDir(), "clone")
	gitRun(t, "", "clone", "-q", "--mirror", "--no-local", w.remote, clone)
	code, out, _ = runMain(t, "--config", w.config, "scan", "--no-cache", clone)
	if code != ExitOK {
		t.Errorf("a clone of the remote after the push: exit %d, want 0:\n%s", code, out)
	}

	// Nothing left: a second run says so.
	code, out, _ = runMain(t, "--config", w.config, "scan", "--rewrite", w.repo)
	if code != ExitOK || !strings.Contains(out, "nothing to rewrite") {
		t.Errorf("second run: exit %d:\n%s", code, out)
	}
}

// TestScanRewriteAcceptRisk: with --accept-risk the rewrite runs while the
// key still works, and says so loudly.
func TestScanRewriteAcceptRisk(t *testing.T) {
	w := newRewriteWorld(t)
	code, out, errOut := runMain(t, "--config", w.config, "scan", "--rewrite", "--accept-risk", w.repo)
	if code != ExitOK {
		t.Fatalf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "!!! --accept-risk: REWRITING HISTORY WHILE A LEAKED KEY MAY STILL WORK !!!") || !strings.Contains(errOut, "REVOKE IT NOW") {
		t.Errorf("no loud warning:\n%s", errOut)
	}
	if !strings.Contains(out, "✓ rescan") {
		t.Errorf("no clean rescan:\n%s", out)
	}
	if code, _, _ := runMain(t, "--config", w.config, "scan", "--accept-risk", w.repo); code != ExitUsage {
		t.Errorf("--accept-risk without --rewrite: exit %d, want 64", code)
	}
}
