package cmd

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
)

// TestPreCommitFramework runs the real pre-commit framework with the
// repository's .pre-commit-hooks.yaml: a commit with a staged secret is
// blocked, a clean one passes, and a push of a commit holding the secret is
// blocked by the push-stage hook.
func TestPreCommitFramework(t *testing.T) {
	preCommit := testutil.LookPath(t, "pre-commit")
	w := newScanWorld(t)
	base := t.TempDir()
	t.Setenv("KEYWARDEN_CONFIG", w.config) // the hooks' keywarden reads it
	t.Setenv("PRE_COMMIT_HOME", filepath.Join(base, "pre-commit-home"))

	// A hooks repository holding a copy of the manifest, used by commit id.
	hooks := filepath.Join(base, "hooks")
	gitRun(t, "", "init", "-q", "-b", "main", hooks)
	manifest, err := os.ReadFile("../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(hooks, ".pre-commit-hooks.yaml"), string(manifest))
	gitRun(t, hooks, "add", "-A")
	gitRun(t, hooks, "commit", "-q", "-m", "hooks")
	rev := strings.TrimSpace(gitRun(t, hooks, "rev-parse", "HEAD"))

	repo := w.repo
	writeFile(t, filepath.Join(repo, ".pre-commit-config.yaml"), "repos:\n- repo: "+hooks+"\n  rev: "+rev+
		"\n  hooks:\n  - id: keywarden\n  - id: keywarden-pre-push\n")
	run := func(wantOK bool, name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		out, err := cmd.CombinedOutput()
		if (err == nil) != wantOK {
			t.Fatalf("%s %v: %v (want success %v):\n%s", name, args, err, wantOK, out)
		}
		for _, v := range []string{scanTestKey, scanTestSecret} {
			if strings.Contains(string(out), v) {
				t.Fatalf("%s %v printed a stored value", name, args)
			}
		}
		return string(out)
	}
	run(true, preCommit, "install", "--hook-type", "pre-commit", "--hook-type", "pre-push")

	run(true, "git", "add", ".pre-commit-config.yaml")
	run(true, "git", "commit", "-q", "-m", "use pre-commit")

	writeFile(t, filepath.Join(repo, "settings.py"), "# settings\nSECRET = '"+scanTestSecret+"'\n")
	run(true, "git", "add", "settings.py")
	out := run(false, "git", "commit", "-q", "-m", "leak")
	if !strings.Contains(out, "binance-main secret (raw) in settings.py:2") || !strings.Contains(out, "--no-verify") {
		t.Errorf("pre-commit output does not name the finding and the escape hatch:\n%s", out)
	}

	// Committed past the hook, the secret is stopped at the push.
	remote := filepath.Join(base, "remote.git")
	gitRun(t, "", "init", "-q", "--bare", remote)
	run(true, "git", "remote", "add", "origin", remote)
	run(true, "git", "commit", "-q", "--no-verify", "-m", "leak (forced)")
	out = run(false, "git", "push", "-q", "origin", "main")
	if !strings.Contains(out, "settings.py:2") || !strings.Contains(out, "push blocked") {
		t.Errorf("pre-push output does not name the finding:\n%s", out)
	}
}

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
