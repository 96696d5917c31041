package leaks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
)

// gitEnvSpy puts a `git` first on PATH that appends its environment to a
// file and then runs the real git; it returns that file.
func gitEnvSpy(t *testing.T) string {
	t.Helper()
	real := testutil.LookPath(t, "git")
	dir := t.TempDir()
	dump := filepath.Join(dir, "env.txt")
	script := "#!/bin/sh\necho '--- git' \"$*\" >> '" + dump + "'\nenv >> '" + dump + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(dir, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dump
}

// keywarden may run with a key in its own environment (a shell started by
// `keywarden exec`); the git processes the scanner starts must not get it.
func TestScanGitGetsNoCredentialEnv(t *testing.T) {
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	r := newRepo(t)
	r.write("bot.py", "print('hi')\n")
	r.write("config.py", "SECRET = '"+testSecret+"'\n")
	r.commit("init")
	dump := gitEnvSpy(t)
	t.Setenv("EXCHANGE_API_SECRET", secret)
	t.Setenv("EXCHANGE_API_KEY", secret)
	rep, err := Scan(t.Context(), testTargets(), Options{Dir: r.dir, History: true, CacheDir: t.TempDir()})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if rep.History != "scanned" || len(rep.Findings) < 2 {
		t.Fatalf("history %q, %d findings; want scanned, the worktree and history leaks", rep.History, len(rep.Findings))
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("the spy git never ran: %v", err)
	}
	out := string(b)
	for _, sub := range []string{"cat-file --batch", "log --all", "ls-files"} {
		if !strings.Contains(out, sub) {
			t.Errorf("git %s was not run through the spy:\n%s", sub, out)
		}
	}
	if strings.Contains(out, secret) || strings.Contains(out, "EXCHANGE_API_") {
		t.Fatal("a git subprocess got the key in its environment")
	}
	if !strings.Contains(out, "PATH=") {
		t.Fatal("the spy recorded no environment")
	}
}

// The stored values under names no pattern knows (a profile's env table
// says BOT_K and BOT_S) reach no git child either: they are withheld by
// value.
func TestScanGitGetsNoStoredValueUnderCustomNames(t *testing.T) {
	r := newRepo(t)
	r.write("bot.py", "print('hi')\n")
	r.commit("init")
	targets := testTargets()
	dump := gitEnvSpy(t)
	t.Setenv("BOT_K", testKey)
	t.Setenv("BOT_S", testSecret)
	t.Setenv("BOT_P", testPassphrase)
	if _, err := Scan(t.Context(), targets, Options{Dir: r.dir, History: true, CacheDir: t.TempDir()}); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("the spy git never ran: %v", err)
	}
	for _, v := range []string{testKey, testSecret, testPassphrase} {
		if strings.Contains(string(b), v) {
			t.Fatal("a git subprocess got a stored value in its environment")
		}
	}
	if !strings.Contains(string(b), "cat-file --batch") || !strings.Contains(string(b), "PATH=") {
		t.Fatalf("the spy recorded no git run with an environment:\n%s", b)
	}
}
