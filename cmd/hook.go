package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/leaks"
)

// hookNames are the git hooks keywarden installs.
var hookNames = []string{"pre-commit", "pre-push"}

// hookMarker is in every hook keywarden writes: what install updates and
// uninstall removes. A hook without it is the user's and is left alone.
const hookMarker = "# keywarden git hook: written by `keywarden hook install`"

// chainedSuffix is appended to the name of the user's own hook when
// keywarden's takes its place; keywarden's hook runs it first.
const chainedSuffix = ".keywarden-chained"

func newHookCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "hook",
		Short: "Git hooks that block a commit or push holding a stored key",
		Long: `Git hooks that block a commit (pre-commit) or a push (pre-push) whose content
holds any stored API key, secret or passphrase, in any encoding scan knows.
They print file, line, encoding and profile, never the value.

'git commit --no-verify' and 'git push --no-verify' skip them.

See docs/hooks.md, also for the pre-commit framework.`,
		Args: cobra.NoArgs,
	}
	c.AddCommand(newHookInstallCmd(app), newHookUninstallCmd(app), newHookRunCmd(app))
	return c
}

func newHookInstallCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "install [DIR]",
		Short: "Install the pre-commit and pre-push hooks in DIR's repository",
		Long: `Install keywarden's pre-commit and pre-push hooks in the repository of DIR
(default: the current directory), in the directory git runs hooks from
(core.hooksPath when set, else .git/hooks).

A hook already there that is not keywarden's is kept: it is renamed
NAME` + chainedSuffix + ` and keywarden's hook runs it first, with the same
arguments and input; 'keywarden hook uninstall' puts it back. Running install
again updates keywarden's hooks. The hooks call this keywarden binary (by its
absolute path, else keywarden on PATH) with the --config and --keystore given
to install.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir, err := hooksDirOf(c.Context(), args)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("creating the hooks directory: %w", err)}
			}
			for _, name := range hookNames {
				msg, err := installHook(dir, name, hookScript(name, keywardenPath(), app))
				if err != nil {
					return &ExitError{Code: ExitUnknown, Err: err}
				}
				fmt.Fprintln(app.Stdout, msg)
			}
			fmt.Fprintln(app.Stdout, "a commit or push holding a stored key is now blocked; 'git commit --no-verify' skips the check")
			return nil
		},
	}
}

func newHookUninstallCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "uninstall [DIR]",
		Short: "Remove keywarden's hooks from DIR's repository, restoring the hooks they chained",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir, err := hooksDirOf(c.Context(), args)
			if err != nil {
				return err
			}
			for _, name := range hookNames {
				msg, err := uninstallHook(dir, name)
				if err != nil {
					return &ExitError{Code: ExitUnknown, Err: err}
				}
				fmt.Fprintln(app.Stdout, msg)
			}
			return nil
		},
	}
}

func hooksDirOf(ctx context.Context, args []string) (string, error) {
	repo := "."
	if len(args) == 1 {
		repo = args[0]
	}
	dir, err := leaks.HooksDir(ctx, repo)
	if err != nil {
		return "", &ExitError{Code: ExitUnknown, Err: fmt.Errorf("finding the hooks directory of %s: %w", repo, err)}
	}
	return dir, nil
}

// keywardenPath is the absolute path of the running binary, which the
// hooks call first ("" when it cannot be known: then PATH decides).
func keywardenPath() string {
	p, err := os.Executable()
	if err != nil {
		return ""
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// hookScript is the hook NAME: it runs the chained hook (if any) first and
// stops when that fails, then `keywarden hook run NAME`. pre-push reads its
// input once and gives both the same copy.
func hookScript(name, exe string, app *App) string {
	var flags []string
	if app.ConfigPath != "" {
		p, err := filepath.Abs(app.ConfigPath)
		if err != nil {
			p = app.ConfigPath
		}
		flags = append(flags, "--config", shellQuote(p))
	}
	if app.Keystore != "" {
		flags = append(flags, "--keystore", shellQuote(app.Keystore))
	}
	run := strings.Join(append(flags, "hook", "run", name), " ")
	var b strings.Builder
	fmt.Fprintf(&b, "#!/bin/sh\n%s\n", hookMarker)
	fmt.Fprintf(&b, "# Blocks a %s holding a stored key; 'git %s --no-verify' skips it.\n",
		strings.TrimPrefix(name, "pre-"), strings.TrimPrefix(name, "pre-"))
	b.WriteString("# 'keywarden hook uninstall' removes it and restores the hook it chained.\n")
	fmt.Fprintf(&b, "kw=%s\n", shellQuote(exe))
	b.WriteString("[ -n \"$kw\" ] && [ -x \"$kw\" ] || kw=keywarden\n")
	fmt.Fprintf(&b, "chained=\"$(dirname \"$0\")/%s%s\"\n", name, chainedSuffix)
	if name == "pre-push" {
		b.WriteString("input=$(cat)\n")
		b.WriteString("if [ -x \"$chained\" ]; then\n\tprintf '%s\\n' \"$input\" | \"$chained\" \"$@\" || exit $?\nfi\n")
		fmt.Fprintf(&b, "printf '%%s\\n' \"$input\" | \"$kw\" %s \"$@\"\n", run)
	} else {
		b.WriteString("if [ -x \"$chained\" ]; then\n\t\"$chained\" \"$@\" || exit $?\nfi\n")
		fmt.Fprintf(&b, "exec \"$kw\" %s \"$@\"\n", run)
	}
	return b.String()
}

func isKeywardenHook(path string) (bool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return false, err
	}
	return strings.Contains(string(b), hookMarker), nil
}

// installHook writes the hook NAME in dir, chaining the user's own hook.
func installHook(dir, name, script string) (string, error) {
	path := filepath.Join(dir, name)
	chained := path + chainedSuffix
	verb := "installed"
	if _, err := os.Lstat(path); err == nil {
		ours, err := isKeywardenHook(path)
		if err != nil && !errors.Is(err, os.ErrNotExist) { // a dangling symlink is the user's too
			return "", fmt.Errorf("reading %s: %w", path, err)
		}
		switch {
		case ours:
			verb = "updated"
		default:
			if _, err := os.Lstat(chained); err == nil {
				return "", fmt.Errorf("%s is not keywarden's and %s already exists: move one of them away, then install again", path, chained)
			}
			if err := os.Rename(path, chained); err != nil {
				return "", fmt.Errorf("keeping your %s hook: %w", name, err)
			}
			verb = "installed (your own hook is kept as " + filepath.Base(chained) + " and runs first)"
		}
	}
	if err := writeExecutable(path, script); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s %s hook %s", verb, name, path), nil
}

// writeExecutable replaces path atomically with an executable script.
func writeExecutable(path, script string) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.WriteString(tmp, script); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o755); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// uninstallHook removes keywarden's hook NAME from dir and puts back the
// hook it chained; a hook that is not keywarden's is left alone.
func uninstallHook(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	chained := path + chainedSuffix
	ours, err := isKeywardenHook(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Sprintf("no %s hook in %s: nothing to remove", name, dir), nil
	case err != nil:
		return "", fmt.Errorf("reading %s: %w", path, err)
	case !ours:
		return fmt.Sprintf("%s is not keywarden's: left alone", path), nil
	}
	if _, err := os.Lstat(chained); err == nil {
		if err := os.Rename(chained, path); err != nil {
			return "", fmt.Errorf("restoring your %s hook: %w", name, err)
		}
		return fmt.Sprintf("removed keywarden's %s hook; your own is back at %s", name, path), nil
	}
	if err := os.Remove(path); err != nil {
		return "", fmt.Errorf("removing %s: %w", path, err)
	}
	return fmt.Sprintf("removed %s", path), nil
}

func newHookRunCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "run pre-commit|pre-push [REMOTE [URL]]",
		Short: "Check what is staged (pre-commit) or about to be pushed (pre-push) for stored keys",
		Long: `Check what is staged (pre-commit) or about to be pushed (pre-push) in the
repository of the current directory for every stored key, secret and
passphrase, in every encoding scan knows, and in file names. This is what the
installed hooks and the pre-commit framework run.

pre-commit reads the index (what the commit records), not the working tree.
pre-push reads git's pre-push input on stdin and checks every commit, file
and name the push would send that the remote does not have yet; under the
pre-commit framework it reads PRE_COMMIT_FROM_REF, PRE_COMMIT_TO_REF,
PRE_COMMIT_LOCAL_BRANCH and PRE_COMMIT_REMOTE_NAME instead.

Exit codes: 0 nothing found, 2 a stored value was found (blocked), 3 the
check could not run (blocked too: a keystore or git failure, or objects the
repository lacks), 64 usage error. 'git commit --no-verify' skips the hook.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError("say which hook: pre-commit or pre-push")
			}
			switch args[0] {
			case "pre-commit":
				return cobra.ExactArgs(1)(c, args)
			case "pre-push":
				return cobra.RangeArgs(1, 3)(c, args)
			}
			return usageError("unknown hook %q: use pre-commit or pre-push", args[0])
		},
		RunE: func(c *cobra.Command, args []string) error {
			return runHook(c.Context(), app, args[0], args[1:])
		},
	}
}

// hookAction is what each hook stops, for messages.
var hookAction = map[string]string{"pre-commit": "commit", "pre-push": "push"}

func runHook(ctx context.Context, app *App, name string, args []string) error {
	action := hookAction[name]
	cannot := func(err error) error {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("%s blocked: cannot check it for stored keys: %w\nfix that, or skip the check with 'git %s --no-verify'", action, err, action)}
	}
	targets, err := storedTargets(ctx, app)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			return err
		}
		return cannot(err)
	}
	m := leaks.NewMatcher(targets)
	defer m.Close()
	var rep *leaks.HookReport
	if name == "pre-commit" {
		rep, err = leaks.ScanStaged(ctx, ".", m)
	} else {
		rep, err = scanPush(ctx, app, m, args)
	}
	if err != nil {
		return cannot(err)
	}
	for _, l := range rep.Skipped {
		fmt.Fprintf(app.Stderr, "note: %s %s is shorter than %d characters and was not searched for\n", l.Profile, l.Field, leaks.MinValueLen)
	}
	if len(rep.Findings) > 0 {
		for _, f := range rep.Findings {
			fmt.Fprintf(app.Stdout, "✗ %s %s (%s) in %s\n", f.Profile, f.Field, f.Encoding, f.Where())
		}
		fix := "remove it from the staged files (edit them, then git add; or git restore --staged FILE) and keep it in the keystore only"
		if name == "pre-push" {
			fix = "remove it from those commits (git rebase -i, or keywarden scan --rewrite once the key is revoked) before pushing"
		}
		return &ExitError{Code: ExitCrit, Err: fmt.Errorf("%s blocked: %d stored value(s) found (values not shown)\n%s; if it was ever pushed or shared, rotate the key: keywarden rotate PROFILE\n'git %s --no-verify' skips this check", action, len(rep.Findings), fix, action)}
	}
	if rep.Missing > 0 {
		return cannot(fmt.Errorf("%d object(s) the %s needs are missing from this repository (a partial or damaged clone)", rep.Missing, action))
	}
	return nil
}

// scanPush gathers the refs being pushed, from git's pre-push input or the
// pre-commit framework's variables, and checks them.
func scanPush(ctx context.Context, app *App, m *leaks.Matcher, args []string) (*leaks.HookReport, error) {
	remote := ""
	if len(args) > 0 {
		remote = args[0]
	}
	var updates []leaks.PushUpdate
	if fw, ok := os.LookupEnv("PRE_COMMIT_REMOTE_NAME"); ok {
		// The pre-commit framework keeps the input to itself and says
		// what is pushed in variables (no TO_REF for a push of a root).
		remote = fw
		local := os.Getenv("PRE_COMMIT_TO_REF")
		if local == "" {
			local = os.Getenv("PRE_COMMIT_LOCAL_BRANCH")
		}
		if local == "" {
			return nil, errors.New("the pre-commit framework named no commit to check (PRE_COMMIT_TO_REF and PRE_COMMIT_LOCAL_BRANCH are empty)")
		}
		u := leaks.PushUpdate{LocalRef: local}
		var err error
		if u.LocalID, err = leaks.ResolveCommit(ctx, ".", local); err != nil {
			return nil, err
		}
		if from := os.Getenv("PRE_COMMIT_FROM_REF"); from != "" {
			if u.RemoteID, err = leaks.ResolveCommit(ctx, ".", from); err != nil {
				return nil, err
			}
		}
		updates = []leaks.PushUpdate{u}
	} else {
		if app.stdinIsTerminal() {
			return nil, errors.New("pre-push reads the refs to check from git on stdin (<local ref> <local id> <remote ref> <remote id> lines); git runs it for you on git push")
		}
		var err error
		if updates, err = leaks.ParsePushUpdates(app.Stdin); err != nil {
			return nil, err
		}
	}
	return leaks.ScanPush(ctx, ".", m, remote, updates)
}
