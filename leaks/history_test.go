package leaks

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// brief is the part of a finding a test asserts on.
type brief struct {
	source, field string
	enc           Encoding
	path          string
	commit        string // "" when nil
	inHead        bool
	status        string // worktree git status
	reach         string
	refs          string // comma-joined
}

func briefs(fs []Finding) []brief {
	var out []brief
	for _, f := range fs {
		b := brief{source: f.Source, field: string(f.Field), enc: f.Encoding, path: f.Path,
			inHead: f.InHead, status: f.GitStatus, reach: f.Reach, refs: strings.Join(f.Refs, ",")}
		if f.Commit != nil {
			b.commit = *f.Commit
		}
		out = append(out, b)
	}
	return out
}

func TestScanGitRepos(t *testing.T) {
	cfg := "exchange:\n  api_key: " + testKey + "\n"
	for _, tc := range []struct {
		name  string
		build func(r *repo) []brief // builds the repo, returns what must be found
	}{
		{"added then deleted in a later commit", func(r *repo) []brief {
			r.fillClean(5)
			c1 := r.commit("clean")
			_ = c1
			r.write("config.py", "API_SECRET = '"+testSecret+"'\n")
			c2 := r.commit("add config")
			r.remove("config.py")
			r.commit("oops, remove it")
			return []brief{{source: "history", field: "secret", enc: Raw, path: "config.py", commit: c2, reach: ReachRef, refs: "main"}}
		}},
		{"on a side branch only", func(r *repo) []brief {
			r.fillClean(3)
			r.commit("clean")
			r.git("checkout", "-q", "-b", "feature")
			r.write("bot/keys.yaml", cfg)
			c := r.commit("wip keys")
			r.git("checkout", "-q", "main")
			return []brief{{source: "history", field: "key", enc: Raw, path: "bot/keys.yaml", commit: c, reach: ReachRef, refs: "feature"}}
		}},
		{"in a stash (tracked change and untracked file)", func(r *repo) []brief {
			r.write("bot/main.py", "print('hi')\n")
			r.commit("clean")
			r.write("bot/main.py", "KEY = '"+testKey+"'\n")
			r.write("notes.txt", "secret "+testSecret+"\n")
			r.git("stash", "push", "-q", "--include-untracked")
			w := r.git("rev-parse", "stash@{0}")
			u := r.git("rev-parse", "stash@{0}^3")
			return []brief{
				{source: "history", field: "key", enc: Raw, path: "bot/main.py", commit: w, reach: ReachRef, refs: "stash"},
				{source: "history", field: "secret", enc: Raw, path: "notes.txt", commit: u, reach: ReachRef, refs: "stash"},
			}
		}},
		{"on a remote-tracking branch only", func(r *repo) []brief {
			up := newRepo(r.t)
			up.commit("upstream start")
			up.git("checkout", "-q", "-b", "leak")
			up.write("bot/.env.prod", "API_KEY="+testKey+"\n")
			c := up.commit("prod env")
			r.git("remote", "add", "origin", up.dir)
			r.git("fetch", "-q", "origin")
			return []brief{{source: "history", field: "key", enc: Raw, path: "bot/.env.prod", commit: c, reach: ReachRef, refs: "origin/leak"}}
		}},
		{"in a tag only", func(r *repo) []brief {
			r.commit("clean")
			r.git("checkout", "-q", "-b", "release-tmp")
			r.write("deploy.env", "EXCHANGE_API_SECRET="+testSecret+"\n")
			c := r.commit("release")
			r.git("tag", "v1.0")
			r.git("checkout", "-q", "main")
			r.git("branch", "-q", "-D", "release-tmp")
			return []brief{{source: "history", field: "secret", enc: Raw, path: "deploy.env", commit: c, reach: ReachRef, refs: "v1.0"}}
		}},
		{"base64 in a config file, still in HEAD", func(r *repo) []brief {
			b64 := base64.StdEncoding.EncodeToString([]byte(`{"key":"` + testKey + `"}`))
			r.write("k8s/secret.yaml", "data:\n  creds: "+b64+"\n")
			c := r.commit("k8s")
			return []brief{
				{source: "worktree", field: "key", enc: Base64, path: "k8s/secret.yaml", inHead: true, status: StatusTracked},
				{source: "history", field: "key", enc: Base64, path: "k8s/secret.yaml", commit: c, inHead: true, reach: ReachRef, refs: "main"},
			}
		}},
		{"url-encoded in a URL", func(r *repo) []brief {
			r.write("run.sh", "curl 'https://api.example.org/login?pass="+url.QueryEscape(testPassphrase)+"&x=1'\n")
			c := r.commit("script")
			return []brief{
				{source: "worktree", field: "passphrase", enc: URLEncoded, path: "run.sh", inHead: true, status: StatusTracked},
				{source: "history", field: "passphrase", enc: URLEncoded, path: "run.sh", commit: c, inHead: true, reach: ReachRef, refs: "main"},
			}
		}},
		{"split across a line is not a match, by design", func(r *repo) []brief {
			// "KEY = 'abc' \ 'def'" and wrapped base64 would need per-language
			// parsing; exact matching cannot see them and does not pretend to.
			r.write("split.py", "KEY = ('"+testKey[:32]+"'\n       '"+testKey[32:]+"')\n")
			r.commit("split")
			return nil
		}},
		{"in a binary file", func(r *repo) []brief {
			bin := append([]byte{0x7f, 'E', 'L', 'F', 0, 0, 1, 0xff}, bytes.Repeat([]byte{0, 0xfe}, 500)...)
			bin = append(bin, []byte(testSecret)...)
			bin = append(bin, 0, 0)
			bin = append(bin, []byte(hex.EncodeToString([]byte(testKey)))...)
			r.write("bot/cache.bin", string(bin))
			c := r.commit("binary")
			r.remove("bot/cache.bin")
			r.commit("rm binary")
			return []brief{
				{source: "history", field: "key", enc: Hex, path: "bot/cache.bin", commit: c, reach: ReachRef, refs: "main"},
				{source: "history", field: "secret", enc: Raw, path: "bot/cache.bin", commit: c, reach: ReachRef, refs: "main"},
			}
		}},
		{"orphaned commit reachable only via the reflog counts", func(r *repo) []brief {
			r.commit("clean")
			r.write("config.py", "SECRET = '"+testSecret+"'\n")
			c := r.commit("leak")
			r.git("reset", "-q", "--hard", "HEAD~1")
			return []brief{{source: "history", field: "secret", enc: Raw, path: "config.py", commit: c, reach: ReachReflog}}
		}},
		{"staged then dropped: unreferenced object counts", func(r *repo) []brief {
			r.commit("clean")
			r.write("tmp.txt", "k="+testKey+"\n")
			r.git("add", "tmp.txt")
			r.git("rm", "-q", "--cached", "tmp.txt")
			r.remove("tmp.txt")
			return []brief{{source: "history", field: "key", enc: Raw, reach: ReachDangling}}
		}},
		{"in a commit message", func(r *repo) []brief {
			c := r.commit("rotate key, old one was " + testKey)
			return []brief{{source: "history", field: "key", enc: Raw, commit: c, reach: ReachRef, refs: "main"}}
		}},
		{"ignored and untracked files in the working tree", func(r *repo) []brief {
			r.write(".gitignore", ".env\n")
			r.commit("ignore")
			r.write(".env", "API_KEY="+testKey+"\n")
			r.write("scratch.txt", "secret="+testSecret+"\n")
			return []brief{
				{source: "worktree", field: "key", enc: Raw, path: ".env", status: StatusIgnored},
				{source: "worktree", field: "secret", enc: Raw, path: "scratch.txt", status: StatusUntracked},
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRepo(t)
			want := tc.build(r)
			rep := r.scan(true)
			got := briefs(rep.Findings)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("findings:\n got %+v\nwant %+v", got, want)
			}
			if rep.History != "scanned" || rep.BlobsScanned == 0 {
				t.Errorf("history %q, %d objects: want it scanned", rep.History, rep.BlobsScanned)
			}
			assertNoValues(t, rep)
		})
	}
}

// TestScanCleanRepo: a repository as big as the leaky ones, but clean, has
// zero findings.
func TestScanCleanRepo(t *testing.T) {
	r := newRepo(t)
	for i := 0; i < 10; i++ {
		r.fillClean(8 + i)
		r.write(fmt.Sprintf("data/%d.bin", i), strings.Repeat("\x00\x01AAAA+/==%41", 100*i))
		r.commit(fmt.Sprint("c", i))
	}
	r.git("checkout", "-q", "-b", "side")
	r.write("x.txt", "side\n")
	r.commit("side")
	r.git("tag", "t1")
	r.git("checkout", "-q", "main")
	rep := r.scan(true)
	if len(rep.Findings) != 0 {
		t.Errorf("findings in a clean repo: %+v", briefs(rep.Findings))
	}
	if rep.FilesScanned < 10 || rep.BlobsScanned < 20 {
		t.Errorf("scanned %d files, %d objects: too few", rep.FilesScanned, rep.BlobsScanned)
	}
}

func TestScanNotARepo(t *testing.T) {
	dir := t.TempDir()
	r := &repo{t: t, dir: dir}
	r.write("a/.env", "EXCHANGE_API_KEY="+testKey+"\n")
	rep := r.scan(true)
	want := []brief{{source: "worktree", field: "key", enc: Raw, path: "a/.env", status: StatusNoGit}}
	if got := briefs(rep.Findings); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("findings %+v, want %+v", got, want)
	}
	if rep.History != "not a git repository" {
		t.Errorf("history = %q", rep.History)
	}
}

// assertNoValues renders the report every way and checks that no stored
// value, in any encoding, appears in it.
func assertNoValues(t *testing.T, rep *Report) {
	t.Helper()
	var text, js bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if err := rep.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	all := text.String() + js.String() + fmt.Sprintf("%+v %#v", rep, rep)
	for _, v := range []string{testKey, testSecret, testPassphrase} {
		for _, n := range encodings([]byte(v)) {
			if len(n.b) >= 8 && strings.Contains(all, string(n.b)) {
				t.Fatalf("report contains a stored value (%s encoding)", n.enc)
			}
		}
	}
	if !slices.Contains([]bool{len(rep.Findings) == 0, strings.Contains(text.String(), "Fix:")}, true) {
		t.Errorf("text report with findings has no fix section:\n%s", text.String())
	}
}

// TestScanGroupsVersions: a value that sat in a file for many commits is one
// finding naming the first commit, not one per version.
func TestScanGroupsVersions(t *testing.T) {
	r := newRepo(t)
	r.commit("empty start")
	var first string
	for i := 0; i < 12; i++ {
		r.write("bot/config.py", fmt.Sprintf("VERSION = %d\nSECRET = '%s'\n", i, testSecret))
		c := r.commit(fmt.Sprint("v", i))
		if i == 0 {
			first = c
		}
	}
	rep := r.scan(true)
	var hist []Finding
	for _, f := range rep.Findings {
		if f.Source == SourceHistory {
			hist = append(hist, f)
		}
	}
	if len(hist) != 1 {
		t.Fatalf("want one grouped history finding, got %+v", briefs(hist))
	}
	f := hist[0]
	if *f.Commit != first || f.Versions != 12 || !f.InHead || f.Line != 2 || f.Reach != ReachRef {
		t.Errorf("grouped finding = %+v (commit %s), want first commit %s, 12 versions, in HEAD, line 2", f, *f.Commit, first)
	}
}

func TestScanEmptyRepo(t *testing.T) {
	r := newRepo(t)
	r.write("x.env", "K="+testKey+"\n") // nothing committed yet
	rep := r.scan(true)
	want := []brief{{source: "worktree", field: "key", enc: Raw, path: "x.env", status: StatusUntracked}}
	if got := briefs(rep.Findings); fmt.Sprint(got) != fmt.Sprint(want) || rep.History != "scanned" {
		t.Errorf("empty repo: %+v history %q, want %+v", got, rep.History, want)
	}
}

func TestScanWithoutGit(t *testing.T) {
	dir := t.TempDir()
	r := &repo{t: t, dir: dir}
	r.write("k.txt", testKey)
	t.Setenv("PATH", t.TempDir()) // no git on it
	rep := r.scan(true)
	want := []brief{{source: "worktree", field: "key", enc: Raw, path: "k.txt", status: StatusNoGit}}
	if got := briefs(rep.Findings); fmt.Sprint(got) != fmt.Sprint(want) || rep.History != "git not installed" {
		t.Errorf("without git: %+v, history %q", got, rep.History)
	}
}
