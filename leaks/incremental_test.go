package leaks

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// scanWarm runs HistoryCached and checks its result against a fresh full
// scan of the same history: the incremental result must be the same. It
// returns HistoryCached's result and the objects it read, sorted.
func scanWarm(t *testing.T, r *repo, targets []Target, cache string) (HistoryResult, []string) {
	t.Helper()
	ctx := context.Background()
	var read []string
	readObjectsHook = func(objs []object) {
		for _, o := range objs {
			read = append(read, o.id)
		}
	}
	got, _, err := HistoryCached(ctx, r.dir, targets, cache, 0)
	readObjectsHook = nil
	slices.Sort(read)
	if err != nil {
		t.Fatalf("HistoryCached: %v", err)
	}
	m := NewMatcher(targets)
	defer m.Close()
	full, err := ScanHistory(ctx, r.dir, m, 0)
	if err != nil {
		t.Fatalf("ScanHistory: %v", err)
	}
	if a, b := findingsJSON(t, got.Findings), findingsJSON(t, full.Findings); a != b {
		t.Fatalf("cached scan differs from a full one:\n got  %s\n want %s", a, b)
	}
	if got.BlobsScanned != full.BlobsScanned || got.BytesScanned != full.BytesScanned || got.Missing != full.Missing {
		t.Errorf("counts: got %d objects %d bytes %d missing, full scan %d %d %d",
			got.BlobsScanned, got.BytesScanned, got.Missing, full.BlobsScanned, full.BytesScanned, full.Missing)
	}
	return got, read
}

func findingsJSON(t *testing.T, fs []Finding) string {
	t.Helper()
	if fs == nil {
		fs = []Finding{}
	}
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newObjects lists what `git rev-list --objects` says tip has that the
// commits in not lack, sorted.
func newObjects(r *repo, tip string, not ...string) []string {
	args := []string{"rev-list", "--objects", "--no-object-names", tip}
	for _, n := range not {
		args = append(args, "^"+n)
	}
	ids := strings.Fields(r.git(args...))
	slices.Sort(ids)
	return ids
}

func TestIncrementalNewCommit(t *testing.T) {
	r := newRepo(t)
	r.fillClean(30)
	r.write("config.py", "SECRET = '"+testSecret+"'\n")
	r.commit("old leak")
	r.git("branch", "side")
	cache := t.TempDir()
	before, _ := scanWarm(t, r, testTargets(), cache)
	if len(before.Findings) != 1 {
		t.Fatalf("warm-up findings %+v", briefs(before.Findings))
	}

	// A clean commit: the findings stay, only its objects are read.
	old := r.git("rev-parse", "HEAD")
	r.write("bot/new.py", "def f():\n    return 1\n")
	r.commit("clean")
	got, read := scanWarm(t, r, testTargets(), cache)
	if want := newObjects(r, "HEAD", old); !slices.Equal(read, want) {
		t.Errorf("incremental scan read %d objects %v, want the %d new ones %v", len(read), read, len(want), want)
	}
	if findingsJSON(t, got.Findings) != findingsJSON(t, before.Findings) {
		t.Errorf("a clean commit changed the findings: %+v, was %+v", briefs(got.Findings), briefs(before.Findings))
	}

	// A commit that leaks: found, at that commit.
	old = r.git("rev-parse", "HEAD")
	r.write("deploy/env.sh", "export BINANCE_API_KEY="+testKey+"\n")
	leak := r.commit("new leak")
	got, read = scanWarm(t, r, testTargets(), cache)
	if want := newObjects(r, "HEAD", old); !slices.Equal(read, want) {
		t.Errorf("incremental scan read %d objects, want the %d new ones", len(read), len(want))
	}
	found := false
	for _, f := range got.Findings {
		if f.Path == "deploy/env.sh" && f.Commit != nil && *f.Commit == leak && f.InHead {
			found = true
		}
	}
	if !found {
		t.Errorf("new leak not found: %+v", briefs(got.Findings))
	}

	// A commit that deletes the old leak's file: still in history, no
	// longer in HEAD.
	r.remove("config.py")
	r.commit("remove")
	got, _ = scanWarm(t, r, testTargets(), cache)
	for _, f := range got.Findings {
		if f.Path == "config.py" && f.InHead {
			t.Errorf("config.py still in HEAD after its removal: %+v", briefs(got.Findings))
		}
	}
	// A merge of an old branch, a new branch and a tag at old commits.
	r.git("merge", "-q", "--no-ff", "-m", "merge side", "side")
	scanWarm(t, r, testTargets(), cache)
	r.git("branch", "other", "HEAD~2")
	r.git("tag", "v1", "HEAD~1")
	scanWarm(t, r, testTargets(), cache)
	// A tag naming a blob, moved to another blob.
	r.write("blob.txt", "one\n")
	r.git("tag", "blobtag", r.git("hash-object", "-w", "blob.txt"))
	scanWarm(t, r, testTargets(), cache)
	r.write("blob.txt", "two\n")
	r.git("tag", "-f", "blobtag", r.git("hash-object", "-w", "blob.txt"))
	if _, read := scanWarm(t, r, testTargets(), cache); len(read) != 1 {
		t.Errorf("moved blob tag: read %d objects, want the new blob", len(read))
	}
	assertCacheHasNoValues(t, cache)
}

func TestIncrementalRewrite(t *testing.T) {
	r := newRepo(t)
	r.fillClean(10)
	clean := r.commit("clean")
	r.write("config.py", "SECRET = '"+testSecret+"'\n")
	r.commit("leak")
	cache := t.TempDir()
	if got, _ := scanWarm(t, r, testTargets(), cache); len(got.Findings) != 1 || got.Findings[0].Reach != ReachRef {
		t.Fatalf("warm-up findings %+v", briefs(got.Findings))
	}
	// Force-push style rewrite: the leak commit is only in the reflog now.
	r.git("reset", "-q", "--hard", clean)
	r.write("README.md", "fixed\n")
	r.commit("rewritten")
	got, read := scanWarm(t, r, testTargets(), cache)
	if want := newObjects(r, "HEAD", clean); !slices.Equal(read, want) {
		t.Errorf("after the rewrite the scan read %d objects, want the %d new ones", len(read), len(want))
	}
	if len(got.Findings) != 1 || got.Findings[0].Reach != ReachReflog || len(got.Findings[0].Refs) != 0 {
		t.Errorf("after the rewrite: %+v, want the leak as reflog-only", briefs(got.Findings))
	}
	// Once the reflog is expired and the objects pruned, it is gone.
	r.git("reflog", "expire", "--expire=now", "--all")
	r.git("gc", "-q", "--prune=now")
	if got, _ := scanWarm(t, r, testTargets(), cache); len(got.Findings) != 0 {
		t.Errorf("after gc: %+v, want none", briefs(got.Findings))
	}
}

func TestIncrementalNewTarget(t *testing.T) {
	r := newRepo(t)
	r.write("config.py", "SECRET = '"+testSecret+"'\n")
	r.commit("leak")
	r.write("a.txt", "a\n")
	r.commit("a")
	cache := t.TempDir()
	var keyOnly []Target
	for _, tg := range testTargets() {
		if tg.Field == FieldKey {
			keyOnly = append(keyOnly, tg)
		}
	}
	if got, _ := scanWarm(t, r, keyOnly, cache); len(got.Findings) != 0 {
		t.Fatalf("key only: %+v", briefs(got.Findings))
	}
	r.write("b.txt", "b\n")
	r.commit("b")
	// All values: another cache entry, so the old history is read for them.
	if got, _ := scanWarm(t, r, testTargets(), cache); len(got.Findings) != 1 || got.Findings[0].Path != "config.py" {
		t.Errorf("new target: %+v, want the secret in config.py", briefs(got.Findings))
	}
}

func TestIncrementalFallsBack(t *testing.T) {
	r := newRepo(t)
	r.write("config.py", "clean\n")
	r.commit("clean")
	cache := t.TempDir()
	scanWarm(t, r, testTargets(), cache)
	// A staged blob the commit does not take: a dangling object no ref
	// reaches, which only a full read finds.
	r.write("staged.txt", "S = '"+testSecret+"'\n")
	r.git("add", "staged.txt")
	r.git("rm", "-q", "--cached", "staged.txt")
	r.remove("staged.txt")
	r.write("b.txt", "b\n")
	r.commit("b")
	got, read := scanWarm(t, r, testTargets(), cache)
	if len(got.Findings) != 1 || got.Findings[0].Reach != ReachDangling {
		t.Errorf("dangling leak: %+v", briefs(got.Findings))
	}
	if int64(len(read)) != got.BlobsScanned {
		t.Errorf("read %d objects, want a full read (%d)", len(read), got.BlobsScanned)
	}
}

func TestIncrementalMissingObjects(t *testing.T) {
	r := newRepo(t)
	r.write("config.py", "SECRET = '"+testSecret+"'\n")
	c1 := r.commit("leak")
	r.remove("config.py") // or the next `git add -A` writes its blob again
	r.write("a.txt", "a\n")
	r.commit("a")
	dropBlob := func(rev string) {
		t.Helper()
		blob := r.git("rev-parse", rev)
		if err := os.Remove(filepath.Join(r.dir, ".git", "objects", blob[:2], blob[2:])); err != nil {
			t.Fatal(err)
		}
	}
	dropBlob(c1 + ":config.py") // a damaged clone: the leaked blob is gone
	cache := t.TempDir()
	if got, _ := scanWarm(t, r, testTargets(), cache); got.Missing != 1 || len(got.Findings) != 0 {
		t.Fatalf("warm-up: %d missing, findings %+v", got.Missing, briefs(got.Findings))
	}
	// A new commit keeps the count; one whose blob is gone adds to it.
	old := r.git("rev-parse", "HEAD")
	r.write("b.txt", "b\n")
	r.commit("b")
	if got, read := scanWarm(t, r, testTargets(), cache); got.Missing != 1 || !slices.Equal(read, newObjects(r, "HEAD", old)) {
		t.Errorf("after a commit: %d missing (want 1), read %d objects", got.Missing, len(read))
	}
	r.write("c.txt", "c\n")
	r.commit("c")
	dropBlob("HEAD:c.txt")
	if got, read := scanWarm(t, r, testTargets(), cache); got.Missing != 2 || len(read) != 2 {
		t.Errorf("after a commit with its blob gone: %d missing (want 2), read %d objects (want its commit and tree)", got.Missing, len(read))
	}
}
