// Package gitsafetest builds a real git repository that tries every way
// known to make git run a program, for tests proving that keywarden's git
// children run none of them.
package gitsafetest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Hostile is a repository whose .git/config, hooks and .gitattributes name
// a marker-writing script for each program git could run. Its content:
//
//   - config.py, tracked, holds Secret on line 1 (in HEAD);
//   - old.py held Secret in the first commit and was removed after; its
//     blob is replaced (refs/replace) by a clean one, so a reader honouring
//     replace refs misses it;
//   - .env, untracked, not ignored;
//   - HEAD is a commit carrying a PGP signature header, which
//     log.showSignature hands to gpg.program.
type Hostile struct {
	Dir     string // the work tree
	Markers string // where a program that ran leaves a file named for its setting
	Secret  string
	// OldBlob is old.py's blob (the one replaced); FirstCommit added it.
	OldBlob, FirstCommit string
}

// Settings are the config keys that name a program in the hostile
// repository (each script writes a marker named for its key).
var Settings = []string{
	"core.fsmonitor", "core.pager", "pager.log", "pager.ls-files", "pager.cat-file",
	"diff.external", "diff.evil.textconv", "diff.evil.command",
	"filter.evil.clean", "filter.evil.smudge", "filter.evilp.process",
	"merge.evil.driver", "core.sshCommand", "core.gitProxy", "core.askPass",
	"core.editor", "sequence.editor", "credential.helper",
	"core.alternateRefsCommand", "uploadpack.packObjectsHook",
	"gpg.program", "gpg.ssh.program", "gpg.x509.program",
	"remote.origin.uploadpack", "remote.origin.receivepack",
}

// hooks are every hook name git knows (git 2.39's githooks(5)).
var hooks = []string{"applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit",
	"pre-merge-commit", "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase",
	"post-checkout", "post-merge", "pre-push", "pre-receive", "update", "proc-receive",
	"post-receive", "post-update", "reference-transaction", "push-to-checkout",
	"pre-auto-gc", "post-rewrite", "sendemail-validate", "fsmonitor-watchman",
	"p4-changelist", "p4-prepare-changelist", "p4-post-changelist", "p4-pre-submit",
	"post-index-change"}

// Fatalf is the part of testing.TB and testscript.TestScript New needs.
type Fatalf interface {
	Fatalf(format string, args ...any)
}

// New creates a hostile repository in dir (which must not exist yet) with
// markers in markers. Git's own commands set it up, with the hostile
// settings installed only after the last commit.
func New(t Fatalf, dir, markers, secret string) *Hostile {
	h := &Hostile{Dir: dir, Markers: markers, Secret: secret}
	bin := filepath.Join(markers, "..", filepath.Base(markers)+"-bin")
	for _, d := range []string{dir, markers, bin, filepath.Join(bin, "hooks")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("%v", err)
		}
	}
	write := func(path, body string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatalf("%v", err)
		}
	}
	script := func(path, name string) {
		// Records that it ran, then passes its input through (a filter
		// or textconv that worked would still give git its content).
		write(path, fmt.Sprintf("#!/bin/sh\necho \"$0 $*\" >> '%s'\ncat >/dev/null 2>&1 </dev/null\nexit 0\n",
			filepath.Join(markers, name)), 0o755)
	}
	gitc := func(stdin string, args ...string) string {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.org", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.org")
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v: %s", strings.Join(args, " "), err, stderr.String())
		}
		return strings.TrimSpace(string(out))
	}
	file := func(name, body string) { write(filepath.Join(dir, name), body, 0o644) }

	gitc("", "init", "-q", "-b", "main")
	file("bot.py", "print('trading')\n")
	file("old.py", "SECRET = '"+secret+"'\n")
	gitc("", "add", "bot.py", "old.py")
	gitc("", "commit", "-q", "-m", "first")
	h.FirstCommit = gitc("", "rev-parse", "HEAD")
	h.OldBlob = gitc("", "rev-parse", "HEAD:old.py")
	gitc("", "rm", "-q", "old.py")
	file("config.py", "API_SECRET = '"+secret+"'\n")
	file(".gitattributes", "* diff=evil merge=evil\n*.py filter=evil\n.gitattributes filter=evilp\n")
	gitc("", "add", "config.py", ".gitattributes")
	gitc("", "commit", "-q", "-m", "move the secret")
	clean := gitc("print('clean')\n", "hash-object", "-w", "--stdin")
	gitc("", "replace", h.OldBlob, clean)
	// A commit with a signature header, for log.showSignature.
	tree := gitc("", "rev-parse", "HEAD^{tree}")
	parent := gitc("", "rev-parse", "HEAD")
	signed := gitc(fmt.Sprintf("tree %s\nparent %s\nauthor t <t@example.org> 1700000000 +0000\n"+
		"committer t <t@example.org> 1700000000 +0000\ngpgsig -----BEGIN PGP SIGNATURE-----\n \n"+
		" iQEzBAABCAAdFiEEAAAAAAAAAAAAAAAAAAAAAAAAAAAFAmVVVVUACgkQAAAAAAAA\n"+
		" -----END PGP SIGNATURE-----\n\nsigned\n", tree, parent), "hash-object", "-t", "commit", "-w", "--stdin")
	gitc("", "update-ref", "refs/heads/main", signed)
	file(".env", "LOG_LEVEL=debug\n")

	// Every hook, in .git/hooks and in core.hooksPath.
	for _, hk := range hooks {
		script(filepath.Join(dir, ".git", "hooks", hk), "hook-"+hk)
		script(filepath.Join(bin, "hooks", hk), "hooksPath-"+hk)
	}
	var cfg strings.Builder
	for _, s := range Settings {
		p := filepath.Join(bin, s)
		script(p, s)
		fmt.Fprintf(&cfg, "%s=%s\n", s, p)
	}
	for _, kv := range []string{
		"core.hooksPath=" + filepath.Join(bin, "hooks"),
		"log.showSignature=true", "core.untrackedCache=true",
		"filter.evil.required=true", "filter.evilp.required=true", "gc.auto=1", "gc.autoDetach=false",
		"remote.origin.url=ssh://git.example.invalid/x.git", "remote.origin.promisor=true",
		"color.ui=always", "core.quotepath=on",
	} {
		cfg.WriteString(kv + "\n")
	}
	for _, line := range strings.Split(strings.TrimSpace(cfg.String()), "\n") {
		k, v, _ := strings.Cut(line, "=")
		gitc("", "config", k, v)
	}
	return h
}

// Ran lists the markers present: the settings whose program ran.
func (h *Hostile) Ran() []string {
	des, _ := os.ReadDir(h.Markers)
	var ran []string
	for _, de := range des {
		b, _ := os.ReadFile(filepath.Join(h.Markers, de.Name()))
		ran = append(ran, de.Name()+": "+strings.TrimSpace(string(b)))
	}
	sort.Strings(ran)
	return ran
}

// Reset removes the markers (after a test proved the settings are live).
func (h *Hostile) Reset(t Fatalf) {
	des, _ := os.ReadDir(h.Markers)
	for _, de := range des {
		if err := os.Remove(filepath.Join(h.Markers, de.Name())); err != nil {
			t.Fatalf("%v", err)
		}
	}
}
