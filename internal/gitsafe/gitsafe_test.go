package gitsafe_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/gitsafe"
	"github.com/keywarden/keywarden/internal/gitsafe/gitsafetest"
	"github.com/keywarden/keywarden/internal/testutil"
)

const secret = "kwHOSTILEsecret4Tq9Wz2Lm7Xc5Vb8Nr1Ps6"

func hostile(t *testing.T) *gitsafetest.Hostile {
	t.Helper()
	testutil.LookPath(t, "git")
	root := t.TempDir()
	return gitsafetest.New(t, filepath.Join(root, "repo"), filepath.Join(root, "markers"), secret)
}

// plainGit runs git the way keywarden did before gitsafe: the user's
// environment, the repository's config.
func plainGit(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
	out, _ := cmd.CombinedOutput() // some of the hostile programs make git fail
	return string(out)
}

// The hostile repository is live: plain git commands run its programs.
// Without this, TestReadOnlyCommandsRunNothing would prove nothing.
func TestHostileRepoIsLive(t *testing.T) {
	h := hostile(t)
	plainGit(t, h.Dir, "ls-files")
	plainGit(t, h.Dir, "log", "-1")
	plainGit(t, h.Dir, "log", "-p", "-3", "--", "config.py")
	plainGit(t, h.Dir, "diff", "HEAD~2", "HEAD", "--", "config.py")
	plainGit(t, h.Dir, "hash-object", "config.py")
	plainGit(t, h.Dir, "hash-object", ".gitattributes")
	if out := plainGit(t, h.Dir, "cat-file", "blob", h.OldBlob); strings.Contains(out, secret) {
		t.Error("the replace ref does not hide old.py's content from plain git")
	}
	ran := strings.Join(h.Ran(), "\n")
	for _, s := range []string{"core.fsmonitor", "gpg.program", "diff.evil.command", "diff.evil.textconv", "filter.evil.clean", "filter.evilp.process"} {
		if !strings.Contains(ran, s+":") {
			t.Errorf("plain git did not run %s; ran:\n%s", s, ran)
		}
	}
}

// Every command keywarden runs, run through gitsafe against the hostile
// repository, runs none of its programs and still reads the right data.
func TestReadOnlyCommandsRunNothing(t *testing.T) {
	h := hostile(t)
	ctx := t.Context()
	run := func(input string, args ...string) string {
		t.Helper()
		var in *strings.Reader
		if input != "" {
			in = strings.NewReader(input)
		}
		var out []byte
		var err error
		if in != nil {
			out, err = gitsafe.Output(ctx, h.Dir, in, []int{1}, args...)
		} else {
			out, err = gitsafe.Output(ctx, h.Dir, nil, nil, args...)
		}
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return string(out)
	}
	if got := strings.TrimSpace(run("", "rev-parse", "--is-inside-work-tree")); got != "true" {
		t.Errorf("rev-parse --is-inside-work-tree = %q", got)
	}
	run("", "rev-parse", "--show-prefix")
	run("", "rev-parse", "--absolute-git-dir")
	if got := run("", "ls-files", "-z"); got != ".gitattributes\x00bot.py\x00config.py\x00" {
		t.Errorf("ls-files = %q", got)
	}
	run(".env\x00", "check-ignore", "-z", "--stdin")
	run(".env\x00", "check-ignore", "-z", "--no-index", "--stdin")
	run("", "ls-tree", "-r", "-z", "--full-tree", "HEAD")
	run("", "rev-list", "--all")
	run("", "for-each-ref", "--contains", h.FirstCommit, "--format=%(refname:short)")
	run("", "count-objects", "-v")
	run("", "cat-file", "--batch-all-objects", "--unordered", "--batch-check=%(objectname) %(objecttype) %(objectsize)")
	if got := run(h.OldBlob+"\n", "cat-file", "--batch"); !strings.Contains(got, secret) {
		t.Errorf("cat-file --batch of old.py's blob honoured the replace ref: %q", got)
	}
	log := run("", "log", "--all", "--reflog", "--raw", "--no-abbrev", "--root", "--format=%x01%H")
	if !strings.Contains(log, "old.py") || !strings.Contains(log, h.FirstCommit) {
		t.Errorf("log misses the first commit's old.py:\n%s", log)
	}
	run("", "log", "-p", "--all") // even a patch: no textconv, no external diff
	run("", "diff-index", "--cached", "-z", "--no-renames", "HEAD")
	if got := run("", "config", "--get-all", "--show-scope", "core.hooksPath"); !strings.Contains(got, "command\t/dev/null") {
		t.Errorf("config --show-scope does not show gitsafe's own core.hooksPath: %q", got)
	}
	if ran := h.Ran(); len(ran) > 0 {
		t.Fatalf("git ran the repository's programs:\n%s", strings.Join(ran, "\n"))
	}
}

func TestCommandRefusesWriters(t *testing.T) {
	for _, args := range [][]string{{"status"}, {"diff"}, {"add", "."}, {"cat-file", "--textconv", "HEAD:x"},
		{"cat-file", "--filters", "HEAD:x"}, {"cat-file", "--batch", "--path=x"}, {"config", "core.fsmonitor", "/bin/evil"},
		{"config", "--unset", "core.hooksPath"}, {}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Command(%q) did not refuse", args)
				}
			}()
			gitsafe.Command(t.Context(), t.TempDir(), args...)
		}()
	}
}

func TestEnvDropsGitAndProgramVariables(t *testing.T) {
	t.Setenv("GIT_DIR", "/elsewhere")
	t.Setenv("GIT_EXTERNAL_DIFF", "/bin/evil")
	t.Setenv("GIT_SSH_COMMAND", "/bin/evil")
	t.Setenv("GIT_CONFIG_PARAMETERS", "'core.fsmonitor=/bin/evil'")
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("PAGER", "/bin/evil")
	t.Setenv("GIT_CONFIG_GLOBAL", "/home/u/.gitconfig")
	env := gitsafe.Env()
	for _, kv := range env {
		if strings.Contains(kv, "/bin/evil") || strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_CONFIG_COUNT=") {
			t.Errorf("git's environment has %s", kv)
		}
	}
	for _, want := range []string{"GIT_CONFIG_GLOBAL=/home/u/.gitconfig", "GIT_NO_REPLACE_OBJECTS=1", "GIT_OPTIONAL_LOCKS=0"} {
		if !slices.Contains(env, want) {
			t.Errorf("git's environment lacks %s", want)
		}
	}
}

func TestArgsLogFlagsBeforeDoubleDash(t *testing.T) {
	a := gitsafe.Args("/r", "log", "--all", "--", "x")
	i, j := slices.Index(a, "--no-textconv"), slices.Index(a, "--")
	if i < 0 || j < i || a[len(a)-1] != "x" {
		t.Fatalf("Args = %q", a)
	}
	if !bytes.Contains([]byte(strings.Join(a, " ")), []byte("-c core.fsmonitor=false")) {
		t.Fatalf("Args = %q", a)
	}
}
