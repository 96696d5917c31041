package leaks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParsePushUpdates(t *testing.T) {
	const a, b = "1111111111111111111111111111111111111111", "2222222222222222222222222222222222222222"
	zero := strings.Repeat("0", 40)
	for _, tc := range []struct {
		name, in string
		want     []PushUpdate
		deletes  []bool
		err      bool
	}{
		{"one branch", "refs/heads/main " + a + " refs/heads/main " + b + "\n", []PushUpdate{{"refs/heads/main", a, "refs/heads/main", b}}, []bool{false}, false},
		{"new branch and a deletion", "refs/heads/dev " + a + " refs/heads/dev " + zero + "\n(delete) " + zero + " refs/heads/old " + b + "\n",
			[]PushUpdate{{"refs/heads/dev", a, "refs/heads/dev", zero}, {"(delete)", zero, "refs/heads/old", b}}, []bool{false, true}, false},
		{"blank lines", "\n\n", nil, nil, false},
		{"sha-256 ids", "HEAD " + strings.Repeat("a", 64) + " refs/heads/x " + strings.Repeat("0", 64) + "\n", []PushUpdate{{"HEAD", strings.Repeat("a", 64), "refs/heads/x", strings.Repeat("0", 64)}}, []bool{false}, false},
		{"three fields", "refs/heads/main " + a + " refs/heads/main\n", nil, nil, true},
		{"not an id", "refs/heads/main --all refs/heads/main " + b + "\n", nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePushUpdates(strings.NewReader(tc.in))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] || got[i].Deletes() != tc.deletes[i] {
					t.Errorf("update %d = %v (deletes %v), want %v (deletes %v)", i, got[i], got[i].Deletes(), tc.want[i], tc.deletes[i])
				}
			}
		})
	}
}

func TestHooksDir(t *testing.T) {
	ctx := context.Background()
	t.Setenv("GIT_CONFIG_GLOBAL", "/dev/null") // the user's own core.hooksPath must not count
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	r := newRepo(t)
	r.write("a.txt", "a\n")
	r.git("add", "a.txt")
	r.git("commit", "-q", "-m", "a")
	want := func(what, got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("%s: HooksDir = %s, want %s", what, got, want)
		}
	}
	real, _ := filepath.EvalSymlinks(r.dir)
	got, err := HooksDir(ctx, r.dir)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = filepath.EvalSymlinks(filepath.Dir(got))
	want("default", got, filepath.Join(real, ".git"))

	// A linked worktree shares the main repository's hooks.
	wt := filepath.Join(t.TempDir(), "wt")
	r.git("worktree", "add", "-q", wt)
	got, err = HooksDir(ctx, wt)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = filepath.EvalSymlinks(filepath.Dir(got))
	want("worktree", got, filepath.Join(real, ".git"))

	r.git("config", "core.hooksPath", ".githooks")
	if err := os.MkdirAll(filepath.Join(r.dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	got, err = HooksDir(ctx, filepath.Join(r.dir, "sub"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ = filepath.EvalSymlinks(filepath.Dir(got))
	want("relative core.hooksPath from a subdirectory", got, real)

	r.git("config", "core.hooksPath", "/srv/hooks")
	got, _ = HooksDir(ctx, r.dir)
	want("absolute core.hooksPath", got, "/srv/hooks")

	t.Setenv("HOME", "/home/trader")
	r.git("config", "core.hooksPath", "~/hooks")
	got, _ = HooksDir(ctx, r.dir)
	want("~ core.hooksPath", got, "/home/trader/hooks")
}

// TestScanStagedSkipsSubmodules: a staged submodule (a commit id in the
// index) is not read as a blob; a deleted file is not checked.
func TestScanStagedSkipsSubmodules(t *testing.T) {
	r := newRepo(t)
	r.write("leak.txt", "secret "+testSecret+"\n")
	r.git("add", "leak.txt")
	r.git("commit", "-q", "-m", "leak")
	r.git("rm", "-q", "leak.txt")
	r.git("update-index", "--add", "--cacheinfo", "160000,"+strings.TrimSpace(r.git("rev-parse", "HEAD"))+",vendor/lib")
	m := NewMatcher(testTargets())
	defer m.Close()
	rep, err := ScanStaged(context.Background(), r.dir, m)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 0 || rep.Objects != 0 || rep.Missing != 0 {
		t.Errorf("findings %v, objects %d, missing %d: want nothing read", rep.Findings, rep.Objects, rep.Missing)
	}
}

// TestScanPushNames: a pushed commit with a directory named after the key
// and a file in it holding the secret: both found, the name never shown;
// a commit the remote already has is not read again.
func TestScanPushNames(t *testing.T) {
	r := newRepo(t)
	r.write("a.txt", "clean\n")
	old := r.commit("clean")
	r.write(testKey+"/x.txt", "s = "+testSecret+"\n")
	head := r.commit("leak")
	m := NewMatcher(testTargets())
	defer m.Close()
	rep, err := ScanPush(context.Background(), r.dir, m, "origin", []PushUpdate{{"refs/heads/main", head, "refs/heads/main", old}})
	if err != nil {
		t.Fatal(err)
	}
	var name, content bool
	for _, f := range rep.Findings {
		if strings.Contains(f.Path+f.Where(), testKey) {
			t.Fatalf("finding shows the key: %+v", f)
		}
		name = name || f.InName && f.Field == FieldKey
		content = content || f.Field == FieldSecret && f.Path == RedactedName+"/x.txt" && f.Line == 1 && f.Commit != nil && *f.Commit == head
	}
	if !name || !content {
		t.Errorf("findings %+v: want the key in a name and the secret in [redacted]/x.txt:1 of the pushed commit", rep.Findings)
	}
	// Everything already on the remote: nothing to read.
	rep, err = ScanPush(context.Background(), r.dir, m, "origin", []PushUpdate{{"refs/heads/main", head, "refs/heads/main", head}})
	if err != nil || len(rep.Findings) != 0 || rep.Objects != 0 {
		t.Errorf("push of what the remote has: %v, %d findings, %d objects", err, len(rep.Findings), rep.Objects)
	}
}
