package checks

import (
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
)

func git(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func writeFile(t *testing.T, dir, name, body string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask
		t.Fatal(err)
	}
}

func hygiene(t *testing.T, project string, store keystore.Store) Result {
	t.Helper()
	p := config.Profile{Name: "bot", Exchange: "binance", Project: project}
	env := NewEnv(Deps{Config: &config.Config{Profiles: []config.Profile{p}}, Store: store})
	sp, _ := SpecFor("hygiene.files")
	r := RunOne(context.Background(), env, sp.check(p, Options{}))
	t.Logf("%s: %s", r.Status, r.Summary)
	return r
}

func findings(r Result) []string {
	var out []string
	for _, f := range r.Details["findings"].([]map[string]any) {
		out = append(out, f["path"].(string)+": "+f["problem"].(string))
	}
	return out
}

func storeWith(t *testing.T, key, sec string) keystore.Store {
	st := keystore.NewMemory()
	if err := st.Set(context.Background(), "bot", keystore.Item{APIKey: secret(key), APISecret: secret(sec)}); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestHygieneFilesRealGit(t *testing.T) {
	testutil.LookPath(t, "git")
	const key, sec = "hygieneKEY0123456789abcdef", "hygieneSECRET0123456789abcdefXYZ"
	st := storeWith(t, key, sec)
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the scanner's tracked-file cache

	t.Run("base64 of the secret in a tracked file", func(t *testing.T) {
		dir := t.TempDir()
		git(t, dir, "init", "-q")
		writeFile(t, dir, "deploy.yaml", "creds: "+base64.StdEncoding.EncodeToString([]byte(sec))+"\n", 0o644)
		git(t, dir, "add", "deploy.yaml")
		r := hygiene(t, dir, st)
		want := []string{"deploy.yaml: stored secret (base64) in a tracked file, line 1"}
		if r.Status != Crit || !slices.Equal(findings(r), want) {
			t.Errorf("%v %q, want crit %q", r.Status, findings(r), want)
		}
	})

	t.Run("clean repo", func(t *testing.T) {
		dir := t.TempDir()
		git(t, dir, "init", "-q")
		writeFile(t, dir, ".gitignore", ".env\n", 0o644)
		writeFile(t, dir, ".env", "EXCHANGE_API_KEY="+key+"\n", 0o600)
		writeFile(t, dir, "bot.py", "import os\nkey = os.environ['EXCHANGE_API_KEY']\n", 0o644)
		git(t, dir, "add", ".gitignore", "bot.py")
		git(t, dir, "commit", "-q", "-m", "init")
		r := hygiene(t, dir, st)
		if r.Status != OK || len(findings(r)) != 0 {
			t.Errorf("%v %v", r.Status, findings(r))
		}
	})

	t.Run("world-readable and not ignored", func(t *testing.T) {
		dir := t.TempDir()
		git(t, dir, "init", "-q")
		writeFile(t, dir, ".env", "EXCHANGE_API_KEY=elsewhere\n", 0o644)
		writeFile(t, dir, "deploy/prod.env", "X=1\n", 0o640)
		r := hygiene(t, dir, st)
		want := []string{".env: world-readable (0644)", ".env: not git-ignored", "deploy/prod.env: group-readable (0640)", "deploy/prod.env: not git-ignored"}
		if r.Status != Warn || !slices.Equal(findings(r), want) {
			t.Errorf("%v %q, want warn %q", r.Status, findings(r), want)
		}
	})

	t.Run("secret in a tracked file and a tracked dotenv", func(t *testing.T) {
		dir := t.TempDir()
		git(t, dir, "init", "-q")
		writeFile(t, dir, "config.py", "API_SECRET = '"+sec+"'\n", 0o644)
		writeFile(t, dir, ".env.local", "K=v\n", 0o600)
		writeFile(t, dir, "untracked.txt", sec, 0o600) // not tracked: `keywarden scan` covers it
		git(t, dir, "add", "config.py", ".env.local")
		git(t, dir, "commit", "-q", "-m", "oops")
		r := hygiene(t, dir, st)
		want := []string{".env.local: tracked by git", "config.py: stored secret in a tracked file, line 1"}
		if r.Status != Crit || !slices.Equal(findings(r), want) {
			t.Errorf("%v %q, want crit %q", r.Status, findings(r), want)
		}
		if !strings.HasPrefix(r.Summary, "config.py: stored secret") || !strings.Contains(r.Hint, "revoke") {
			t.Errorf("summary %q hint %q", r.Summary, r.Hint)
		}
		assertNoSecret(t, r, key, sec)
	})

	t.Run("not a git repo", func(t *testing.T) {
		dir := t.TempDir()
		writeFile(t, dir, "settings.json", `{"key": "`+key+`"}`, 0o600)
		r := hygiene(t, dir, st)
		if r.Status != Crit || !slices.Equal(findings(r), []string{"settings.json: stored key in a file, line 1"}) {
			t.Errorf("%v %q", r.Status, findings(r))
		}
	})

	t.Run("no stored key", func(t *testing.T) {
		dir := t.TempDir()
		r := hygiene(t, dir, keystore.NewMemory())
		if r.Status != OK || !strings.Contains(r.Summary, "no search") {
			t.Errorf("%v %q", r.Status, r.Summary)
		}
	})

	t.Run("missing project", func(t *testing.T) {
		r := hygiene(t, filepath.Join(t.TempDir(), "gone"), st)
		if r.Status != Unknown {
			t.Errorf("%v", r.Status)
		}
	})
}

func assertNoSecret(t *testing.T, r Result, secrets ...string) {
	t.Helper()
	var b strings.Builder
	_ = WriteJSON(&b, Report{Checks: []Result{r}})
	_ = WriteText(&b, Report{Checks: []Result{r}}, false)
	for _, s := range secrets {
		if strings.Contains(b.String(), s) {
			t.Errorf("output holds a stored credential")
		}
	}
}

// The git processes of the hygiene check get no credential variables from
// keywarden's own environment.
func TestHygieneGitGetsNoCredentialEnv(t *testing.T) {
	real := testutil.LookPath(t, "git")
	const key, sec = "hygieneKEY0123456789abcdef", "hygieneSECRET0123456789abcdefXYZ"
	st := storeWith(t, key, sec)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	dir := t.TempDir()
	git(t, dir, "init", "-q")
	writeFile(t, dir, ".env", "X=1\n", 0o644)

	spy := t.TempDir()
	dump := filepath.Join(spy, "env.txt")
	script := "#!/bin/sh\nenv >> '" + dump + "'\nexec '" + real + "' \"$@\"\n"
	writeFile(t, spy, "git", script, 0o755)
	t.Setenv("PATH", spy+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("EXCHANGE_API_SECRET", sec)
	hygiene(t, dir, st)
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("the spy git never ran: %v", err)
	}
	if strings.Contains(string(b), sec) || !strings.Contains(string(b), "PATH=") {
		t.Fatal("a git subprocess got the secret in its environment (or the spy saw no environment)")
	}
}
