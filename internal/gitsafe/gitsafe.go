// Package gitsafe is the only place keywarden runs git. Every repository is
// treated as hostile: a scanned project may be a fresh clone of someone
// else's code, and its .git/config, hooks and .gitattributes are theirs.
// git runs programs named there (core.fsmonitor on every index read,
// hooks, pagers, diff and filter drivers, gpg for log.showSignature, ssh
// and credential helpers for a partial clone's lazy fetch), so a command
// started here:
//
//   - is one of a short list of read-only commands that never convert file
//     content (no status, diff, add, checkout, grep or blame; cat-file
//     without --filters or --textconv), so no filter or textconv driver
//     has anything to run;
//   - gets `-c` overrides, which beat every config file, for the settings
//     that run a program while these commands work (see Overrides);
//   - gets --no-pager, log gets --no-ext-diff --no-textconv
//     --no-show-signature, and diff-index (raw output of what is staged:
//     ids and names, no content compared) --no-ext-diff --no-textconv;
//   - config only looks values up (--get, --get-all, --get-regexp);
//   - gets childenv's filtered environment without the user's GIT_*,
//     PAGER and askpass variables, plus GIT_NO_REPLACE_OBJECTS (refs/replace
//     cannot swap a leaked blob's content for a clean one),
//     GIT_OPTIONAL_LOCKS=0 (a read never writes the index),
//     GIT_TERMINAL_PROMPT=0 and GIT_NO_LAZY_FETCH=1.
//
// The user's own global and system config still apply (below the
// overrides), so their safe.directory list keeps working: git refuses a
// repository another user owns unless the user listed it there.
package gitsafe

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"

	"github.com/keywarden/keywarden/internal/childenv"
)

// ErrNotRepo is returned (wrapped) when a directory is not in a git work tree.
var ErrNotRepo = errors.New("not a git repository")

// ErrNoGit is returned (wrapped) when the git program is not installed.
var ErrNoGit = errors.New("git is not installed")

// Overrides are given to every git command as `-c name=value`. Each turns
// off a setting through which a repository's config could make git run a
// program (or hide content) during the commands Read allows. None names a
// program itself. Settings that only matter to commands keywarden never
// runs (merge drivers, core.editor, uploadpack.packObjectsHook,
// core.alternateRefsCommand, credential.helper, core.askPass,
// core.sshCommand, core.gitProxy) are unreachable: protocol.allow=never
// refuses every transport before any of them would be consulted.
var Overrides = [][2]string{
	{"core.fsmonitor", "false"},      // the hook git runs on every index read
	{"core.hooksPath", "/dev/null"},  // no hook can be found
	{"core.untrackedCache", "false"}, // no index extension to refresh
	{"core.useReplaceRefs", "false"}, // with GIT_NO_REPLACE_OBJECTS
	{"core.quotepath", "off"},        // names as they are (parsers expect it)
	{"log.showSignature", "false"},   // gpg.program, gpg.ssh.program, gpg.x509.program
	{"protocol.allow", "never"},      // no transport: lazy fetch, ssh, ext::
	{"gc.auto", "0"},                 // no auto-gc (and its pre-auto-gc hook)
	{"maintenance.auto", "false"},
}

// readOnly are the git commands Read may run: plumbing and listing that
// read refs, the index and objects, never file content through a driver.
var readOnly = map[string]bool{
	"rev-parse": true, "ls-files": true, "check-ignore": true, "cat-file": true,
	"log": true, "ls-tree": true, "rev-list": true, "for-each-ref": true,
	"count-objects": true, "diff-index": true, "config": true,
}

// configReads are the only forms of `git config` Command runs: a lookup
// never writes and runs nothing.
var configReads = []string{"--get", "--get-all", "--get-regexp"}

// contentFlags would make cat-file run filter or textconv drivers.
var contentFlags = []string{"--filters", "--textconv", "--path"}

// Env is the environment of every git child: childenv's filtered one,
// without variables that point git elsewhere or name programs, plus the
// settings that keep git from reading replace refs, prompting, locking
// or fetching.
func Env() []string {
	var env []string
	for _, kv := range childenv.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if dropEnv(name) {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "GIT_NO_REPLACE_OBJECTS=1", "GIT_OPTIONAL_LOCKS=0",
		"GIT_TERMINAL_PROMPT=0", "GIT_NO_LAZY_FETCH=1", "GIT_PROTOCOL_FROM_USER=0")
}

// keepGit are the user's GIT_* variables a child keeps: where their own
// config lives (it holds safe.directory) and how far discovery walks up.
var keepGit = map[string]bool{"GIT_CONFIG_GLOBAL": true, "GIT_CONFIG_SYSTEM": true,
	"GIT_CONFIG_NOSYSTEM": true, "GIT_CEILING_DIRECTORIES": true, "GIT_EXEC_PATH": true}

func dropEnv(name string) bool {
	switch name {
	case "PAGER", "SSH_ASKPASS", "EDITOR", "VISUAL", "LESSOPEN", "LESSCLOSE":
		return true
	}
	return strings.HasPrefix(name, "GIT_") && !keepGit[name]
}

// Args returns the full git argument list for args run in dir.
func Args(dir string, args ...string) []string {
	out := []string{"--no-pager", "-C", dir}
	for _, o := range Overrides {
		out = append(out, "-c", o[0]+"="+o[1])
	}
	if len(args) > 0 && (args[0] == "log" || args[0] == "diff-index") {
		// Appended, or before a "--" that ends the options.
		extra := []string{"--no-ext-diff", "--no-textconv"}
		if args[0] == "log" {
			extra = append(extra, "--no-show-signature")
		}
		if i := slices.Index(args, "--"); i >= 0 {
			args = slices.Concat(args[:i], extra, args[i:])
		} else {
			args = slices.Concat(args, extra)
		}
	}
	return append(out, args...)
}

// Command returns a git command reading the repository at dir. It panics
// on a command outside the read-only list: that is a programming error,
// not something a repository can cause.
func Command(ctx context.Context, dir string, args ...string) *exec.Cmd {
	if len(args) == 0 || !readOnly[args[0]] {
		panic(fmt.Sprintf("gitsafe: git %q is not a read-only command", args))
	}
	if args[0] == "cat-file" {
		for _, a := range args[1:] {
			if slices.Contains(contentFlags, a) || strings.HasPrefix(a, "--path=") {
				panic("gitsafe: git cat-file " + a + " would run drivers")
			}
		}
	}
	if args[0] == "config" && !slices.ContainsFunc(args[1:], func(a string) bool { return slices.Contains(configReads, a) }) {
		panic(fmt.Sprintf("gitsafe: git %q is not a config lookup", args))
	}
	return Own(ctx, dir, args...)
}

// Own returns a git command for a repository keywarden itself just created
// and filled (the demo's bot project), or one the user asked keywarden to
// change (scan --rewrite), which may write: the same overrides and
// environment, with no list of allowed commands.
func Own(ctx context.Context, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", Args(dir, args...)...)
	cmd.Env = Env()
	return cmd
}

// Program returns a command for a program that runs git itself (git
// filter-repo) in dir: gitsafe's environment, and the Overrides handed to
// every git it starts through GIT_CONFIG_COUNT (git 2.31 and later), where
// a -c on its command line cannot reach. Such a program writes and checks
// out files, so the repository's content filters still run: use it only on
// a repository the user asked keywarden to change.
func Program(ctx context.Context, dir, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = append(Env(), fmt.Sprintf("GIT_CONFIG_COUNT=%d", len(Overrides)))
	for i, o := range Overrides {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GIT_CONFIG_KEY_%d=%s", i, o[0]), fmt.Sprintf("GIT_CONFIG_VALUE_%d=%s", i, o[1]))
	}
	return cmd
}

// Output runs a read-only git command in dir and returns its stdout. When
// input is not nil it is git's stdin. okExit lists exit statuses that are
// answers, not failures (check-ignore's 1: "nothing ignored"). Errors carry
// git's stderr and wrap ErrNotRepo or ErrNoGit when that is the cause.
func Output(ctx context.Context, dir string, input io.Reader, okExit []int, args ...string) ([]byte, error) {
	cmd := Command(ctx, dir, args...)
	cmd.Stdin = input
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err == nil {
		return out, nil
	}
	if errors.Is(err, exec.ErrNotFound) {
		return nil, fmt.Errorf("%w (install git to scan history)", ErrNoGit)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && slices.Contains(okExit, ee.ExitCode()) {
		return out, nil
	}
	msg := strings.TrimSpace(stderr.String())
	if strings.Contains(msg, "not a git repository") {
		return nil, fmt.Errorf("%s: %w", dir, ErrNotRepo)
	}
	return nil, fmt.Errorf("git %s in %s: %w: %s", args[0], dir, err, msg)
}
