package leaks

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/gitsafe/gitsafetest"
	"github.com/keywarden/keywarden/internal/testutil"
)

// A scanned repository is hostile: its config names a program for every
// setting git could run one from (fsmonitor, hooks, pager, diff and filter
// drivers, gpg, ssh, credential helpers...) and a replace ref hides an old
// leak. Scan (tree, history, cache, tracked files) runs none of them and
// still finds every leak, the hidden one included.
func TestScanHostileRepoRunsNothing(t *testing.T) {
	testutil.LookPath(t, "git")
	root := t.TempDir()
	h := gitsafetest.New(t, filepath.Join(root, "repo"), filepath.Join(root, "markers"), testSecret)
	for _, cache := range []string{"", t.TempDir()} {
		rep, err := Scan(t.Context(), testTargets(), Options{Dir: h.Dir, History: true, CacheDir: cache})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		var got []string
		for _, f := range rep.Findings {
			got = append(got, f.Source+" "+f.Path+" "+f.GitStatus)
			if f.Source == SourceHistory && f.Path == "old.py" && (f.Commit == nil || *f.Commit != h.FirstCommit || f.Object != h.OldBlob) {
				t.Errorf("old.py's leak: commit %v object %s, want %s %s", f.Commit, f.Object, h.FirstCommit, h.OldBlob)
			}
		}
		all := strings.Join(got, "\n")
		for _, want := range []string{"worktree config.py tracked", "history config.py ", "history old.py "} {
			if !strings.Contains(all, want) {
				t.Errorf("no finding %q in:\n%s", want, all)
			}
		}
		var out bytes.Buffer
		if err := rep.WriteText(&out); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out.String(), testSecret) {
			t.Fatal("the report shows the secret")
		}
	}
	if _, _, err := TrackedCached(t.Context(), h.Dir, testTargets(), t.TempDir()); err != nil {
		t.Fatalf("TrackedCached: %v", err)
	}
	if ran := h.Ran(); len(ran) > 0 {
		t.Fatalf("scanning ran the repository's programs:\n%s", strings.Join(ran, "\n"))
	}
}
