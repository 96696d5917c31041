package leakcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/testutil"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/leaks"
)

const (
	leakedSecret = "Lk9mQ2wE4rT6yU8iO0pA1sD3fG5hJ7kL9zX2cV4bN6mQ8wE0rT2yU4iO6pA8sD0"
	cleanKey     = "Cl3anKeyNeverCommitted0123456789abcdefghijklmnopqrstuvwxyzABCDEF"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v: %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestHistoryCheck(t *testing.T) {
	testutil.LookPath(t, "git")
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	if err := os.WriteFile(filepath.Join(repo, "settings.py"), []byte("SECRET = '"+leakedSecret+"'\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	git(t, repo, "add", "-A")
	git(t, repo, "commit", "-q", "-m", "settings")
	commit := git(t, repo, "rev-parse", "HEAD")
	git(t, repo, "rm", "-q", "settings.py")
	git(t, repo, "commit", "-q", "-m", "remove")

	ctx := context.Background()
	st := keystore.NewMemory()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(st.Set(ctx, "leaky", keystore.Item{APIKey: keystore.NewSecret("LeakyKeyId0000000000000000000000000000000000000000000000000000"), APISecret: keystore.NewSecret(leakedSecret)}))
	must(st.Set(ctx, "clean", keystore.Item{APIKey: keystore.NewSecret(cleanKey), APISecret: keystore.NewSecret(strings.Repeat("q", 64))}))
	cfg := &config.Config{Profiles: []config.Profile{
		{Name: "leaky", Exchange: "binance", Project: repo},
		{Name: "clean", Exchange: "binance", Project: repo},
		{Name: "unstored", Exchange: "binance", Project: repo},
		{Name: "noproject", Exchange: "binance"},
	}}
	env := checks.NewEnv(checks.Deps{Config: cfg, Store: st})
	cache := t.TempDir()
	mk := History(cache)
	if mk(cfg.Profiles[3]) != nil {
		t.Error("a profile without a project got a hygiene.history check")
	}

	for _, tc := range []struct {
		profile config.Profile
		status  checks.Status
		n       int
	}{
		{cfg.Profiles[0], checks.Crit, 1},
		{cfg.Profiles[1], checks.OK, 0},
		{cfg.Profiles[2], checks.Unknown, 0},
		{config.Profile{Name: "leaky", Project: t.TempDir()}, checks.OK, 0}, // not a git repository
	} {
		for run := 0; run < 2; run++ { // the second run is served from the cache
			r := checks.RunOne(ctx, env, mk(tc.profile))
			fs := r.Details["findings"]
			b, err := json.Marshal(r)
			must(err)
			if r.ID != ID || r.Status != tc.status || bytes.Count(b, []byte(`"commit"`)) != tc.n {
				t.Errorf("%s run %d: %s %s: %s", tc.profile.Name, run, r.Status, r.Summary, b)
			}
			if bytes.Contains(b, []byte(leakedSecret)) || bytes.Contains(b, []byte(cleanKey)) {
				t.Fatal("result holds a stored value")
			}
			if tc.n > 0 && !bytes.Contains(b, []byte(`"commit":"`+commit+`","encoding":"raw"`)) {
				t.Errorf("findings %v lack commit %s", fs, commit)
			}
			if r.Status == checks.Crit && (r.Hint == "" || !strings.Contains(r.Summary, "settings.py")) {
				t.Errorf("crit without location or hint: %+v", r)
			}
			if tc.status != checks.Unknown && tc.profile.Project == repo && r.Details["cached"] != (run > 0 || tc.profile.Name != "leaky") {
				t.Errorf("%s run %d: cached = %v", tc.profile.Name, run, r.Details["cached"])
			}
		}
	}
}

// TestHistoryCheckSharesScanCache: after `keywarden scan` (leaks.Scan with
// every stored value and the same cache dir) the check reads no object.
func TestHistoryCheckSharesScanCache(t *testing.T) {
	testutil.LookPath(t, "git")
	repo := t.TempDir()
	git(t, repo, "init", "-q", "-b", "main")
	git(t, repo, "commit", "-q", "--allow-empty", "-m", "start")
	ctx := context.Background()
	st := keystore.NewMemory()
	if err := st.Set(ctx, "p", keystore.Item{APIKey: keystore.NewSecret(cleanKey), APISecret: keystore.NewSecret(leakedSecret)}); err != nil {
		t.Fatal(err)
	}
	entries, err := keystore.Secrets(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	var targets []leaks.Target
	for _, e := range entries {
		targets = append(targets, leaks.TargetsFromItem(e.Profile, e.Item)...)
	}
	cache := t.TempDir()
	if _, err := leaks.Scan(ctx, targets, leaks.Options{Dir: repo, History: true, CacheDir: cache}); err != nil {
		t.Fatal(err)
	}
	p := config.Profile{Name: "p", Exchange: "binance", Project: repo}
	env := checks.NewEnv(checks.Deps{Config: &config.Config{Profiles: []config.Profile{p}}, Store: st})
	r := checks.RunOne(ctx, env, History(cache)(p))
	if r.Status != checks.OK || r.Details["cached"] != true {
		t.Errorf("check after scan: %s %s cached=%v, want ok from the cache", r.Status, r.Summary, r.Details["cached"])
	}
}
