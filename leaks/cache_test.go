package leaks

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistoryCache(t *testing.T) {
	r := newRepo(t)
	r.write("config.py", "SECRET = '"+testSecret+"'\n")
	c1 := r.commit("leak")
	cache := t.TempDir()
	ctx := context.Background()

	first, cached, err := HistoryCached(ctx, r.dir, testTargets(), cache, 0)
	if err != nil || cached {
		t.Fatalf("first scan: cached=%v err=%v", cached, err)
	}
	if len(first.Findings) != 1 || *first.Findings[0].Commit != c1 {
		t.Fatalf("first scan findings %+v", briefs(first.Findings))
	}
	again, cached, err := HistoryCached(ctx, r.dir, testTargets(), cache, 0)
	if err != nil || !cached {
		t.Fatalf("unchanged repo: cached=%v err=%v, want a cache hit", cached, err)
	}
	if fmt.Sprint(briefs(again.Findings)) != fmt.Sprint(briefs(first.Findings)) || again.BlobsScanned != first.BlobsScanned {
		t.Errorf("cached result differs: %+v vs %+v", again, first)
	}

	// Other values: a different cache entry.
	other := testTargets()[:1]
	if _, cached, err := HistoryCached(ctx, r.dir, other, cache, 0); err != nil || cached {
		t.Errorf("other values: cached=%v err=%v, want a fresh scan", cached, err)
	}
	// Each way the history can change invalidates the entry.
	for _, change := range []struct {
		name string
		do   func()
	}{
		{"new commit", func() { r.write("b.txt", "b\n"); r.commit("b") }},
		{"reset (orphan left in reflog)", func() { r.git("reset", "-q", "--hard", "HEAD~1") }},
		{"new tag", func() { r.git("tag", "t") }},
		{"staged blob (new loose object)", func() { r.write("c.txt", "c\n"); r.git("add", "c.txt") }},
	} {
		if _, cached, err := HistoryCached(ctx, r.dir, testTargets(), cache, 0); err != nil || !cached {
			t.Fatalf("before %s: cached=%v err=%v", change.name, cached, err)
		}
		change.do()
		if _, cached, err := HistoryCached(ctx, r.dir, testTargets(), cache, 0); err != nil || cached {
			t.Errorf("after %s: cached=%v err=%v, want a fresh scan", change.name, cached, err)
		}
	}
	assertCacheHasNoValues(t, cache)
}

func TestTrackedCache(t *testing.T) {
	r := newRepo(t)
	r.write("a.py", "KEY = '"+testKey+"'\n")
	r.write("b.py", "clean\n")
	r.commit("files")
	r.write("untracked.txt", testSecret) // not tracked: not this function's business
	cache := t.TempDir()
	ctx := context.Background()
	want := []brief{{source: "worktree", field: "key", enc: Raw, path: "a.py", status: StatusTracked}}

	got, cached, err := TrackedCached(ctx, r.dir, testTargets(), cache)
	if err != nil || cached || fmt.Sprint(briefs(got)) != fmt.Sprint(want) {
		t.Fatalf("first: %+v cached=%v err=%v", briefs(got), cached, err)
	}
	got, cached, err = TrackedCached(ctx, r.dir, testTargets(), cache)
	if err != nil || !cached || fmt.Sprint(briefs(got)) != fmt.Sprint(want) {
		t.Fatalf("unchanged: %+v cached=%v err=%v", briefs(got), cached, err)
	}
	// Editing a tracked file (not committed) is seen at once.
	r.write("b.py", "S = '"+testSecret+"'\n")
	got, cached, err = TrackedCached(ctx, r.dir, testTargets(), cache)
	if err != nil || cached || len(got) != 2 {
		t.Fatalf("after edit: %+v cached=%v err=%v", briefs(got), cached, err)
	}
	if _, _, err := TrackedCached(ctx, t.TempDir(), testTargets(), cache); err == nil || !strings.Contains(err.Error(), "not a git repository") {
		t.Errorf("outside git: err=%v, want ErrNotRepo", err)
	}
	assertCacheHasNoValues(t, cache)
}

func assertCacheHasNoValues(t *testing.T, dir string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Fatal("nothing cached")
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(f)
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is readable by others: %v", f, fi.Mode())
		}
		for _, v := range []string{testKey, testSecret, testPassphrase} {
			for _, n := range encodings([]byte(v)) {
				if strings.Contains(string(b), string(n.b)) {
					t.Fatalf("cache file %s holds a value (%s)", f, n.enc)
				}
			}
		}
	}
}
