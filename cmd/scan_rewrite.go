package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/leaks"
)

// runRewrite is `scan --rewrite`: find what history holds, refuse while a
// leaked key still works, back up every ref, replace every form of the
// leaked values with git filter-repo, rescan, and print how to push.
func runRewrite(ctx context.Context, app *App, dir string, o scanOptions) error {
	cfg, entries, err := storedEntries(ctx, app)
	if err != nil {
		return err
	}
	var targets []leaks.Target
	for _, e := range entries {
		targets = append(targets, leaks.TargetsFromItem(e.Profile, e.Item)...)
	}
	top, err := leaks.Toplevel(ctx, dir)
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("scan --rewrite needs a git work tree: %w", err)}
	}
	rep, err := leaks.Scan(ctx, targets, leaks.Options{Dir: top, History: true, MaxFileSize: o.maxFileSize})
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	hist := historyFindings(rep.Findings)
	if rep.MissingObjects > 0 {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("%d object(s) that history refers to are missing from %s: a rewrite would keep what it cannot read; fetch them (git fetch --refetch) or work on a fresh clone", rep.MissingObjects, top)}
	}
	if len(hist) == 0 {
		fmt.Fprintf(app.Stdout, "no stored value in the git history of %s: nothing to rewrite\n", top)
		if len(rep.Findings) > 0 {
			fmt.Fprintln(app.Stdout, "files on disk still hold stored values: run keywarden scan to see them")
			return &ExitError{Code: ExitCrit}
		}
		return nil
	}
	fmt.Fprintf(app.Stdout, "%d finding(s) in the git history of %s\n", len(hist), top)

	// 1. A key that still works is the emergency; rewriting hides it from
	// new clones only.
	if err := refuseLiveKeys(ctx, app, cfg, entries, hist, o.acceptRisk); err != nil {
		return err
	}
	dirty, err := leaks.Dirty(ctx, top)
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	if dirty {
		return &ExitError{Code: ExitUnknown, Err: errors.New("the work tree has uncommitted changes, which git filter-repo's final reset would throw away: commit or stash them, then run scan --rewrite again")}
	}
	push, err := leaks.ReadPushState(ctx, top)
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}

	// 2. The backup, before anything is changed.
	bundle := filepath.Join(filepath.Dir(top), filepath.Base(top)+"-before-rewrite-"+time.Now().UTC().Format("20060102T150405Z")+".bundle")
	if err := leaks.Backup(ctx, top, bundle); err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("backing up before the rewrite (nothing was changed): %w", err)}
	}
	fmt.Fprintf(app.Stdout, "backup of every branch, tag and the stash: %s\n  (it still holds the leaked values: keep it off shared disks and delete it once the rewrite is checked; restore with git clone %s)\n", bundle, bundle)

	// 3. The replacements, from the exact values of every leaked field.
	values := leakedValues(entries, hist)
	expr, skipped := leaks.ReplaceExpressions(values)
	if skipped > 0 {
		fmt.Fprintf(app.Stderr, "note: %d form(s) of the values hold a newline or \"==>\" and cannot be replaced by filter-repo; the rescan says if any is left\n", skipped)
	}
	exprFile, err := writePrivateTemp(expr)
	clear(expr)
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("writing the replacements (nothing was changed): %w", err)}
	}
	defer os.Remove(exprFile)
	fmt.Fprintln(app.Stdout, "rewriting every branch, tag and the stash with git filter-repo --replace-text --replace-message …")
	out, err := leaks.FilterRepo(ctx, top, exprFile)
	os.Remove(exprFile)
	if err != nil {
		red := auditlog.NewRedactor(values)
		shown, _ := red.Redact(out)
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("%w\n%s\nthe backup is %s", err, strings.TrimSpace(string(shown)), bundle)}
	}

	if err := leaks.RestoreStash(ctx, top); err != nil {
		fmt.Fprintf(app.Stderr, "warning: %v (the rewritten stash commit is still refs/stash)\n", err)
	}

	// 4. The rescan: every object left in the repository.
	after, err := leaks.Scan(ctx, targets, leaks.Options{Dir: top, History: true, MaxFileSize: o.maxFileSize})
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("rescanning after the rewrite: %w (the backup is %s)", err, bundle)}
	}
	left := historyFindings(after.Findings)
	code := ExitOK
	if len(left) == 0 {
		fmt.Fprintf(app.Stdout, "✓ rescan: no stored value left in any branch, tag, the stash, the reflog or any object of %s\n", top)
	} else {
		code = ExitCrit
		fmt.Fprintf(app.Stdout, "✗ rescan: %d finding(s) left in history:\n", len(left))
		for _, f := range left {
			fmt.Fprintf(app.Stdout, "  %s %s (%s) in %s\n", f.Profile, f.Field, f.Encoding, f.Where())
		}
		fmt.Fprintln(app.Stdout, "  a value in a file or directory name is not replaced by --replace-text: remove the file with git filter-repo --invert-paths --path PATH")
	}
	if n := len(after.Findings) - len(left); n > 0 {
		fmt.Fprintf(app.Stdout, "note: %d finding(s) in files on disk that git does not track (history is rewritten, not your untracked files): run keywarden scan\n", n)
	}

	// 5. What only the user can do.
	printPushSteps(app, push)
	if code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}

func historyFindings(fs []leaks.Finding) []leaks.Finding {
	var out []leaks.Finding
	for _, f := range fs {
		if f.Source == leaks.SourceHistory {
			out = append(out, f)
		}
	}
	return out
}

// refuseLiveKeys tests every leaked key on its exchange: one that still
// authenticates, or that cannot be tested, stops the rewrite unless
// acceptRisk, and then it is said loudly.
func refuseLiveKeys(ctx context.Context, app *App, cfg *config.Config, entries []keystore.Entry, hist []leaks.Finding, acceptRisk bool) error {
	leaked := map[string]map[bool]bool{} // profile -> retired? -> leaked
	for _, f := range hist {
		if leaked[f.Profile] == nil {
			leaked[f.Profile] = map[bool]bool{}
		}
		leaked[f.Profile][strings.HasPrefix(string(f.Field), "retired-")] = true
	}
	var problems []string
	profiles := make([]string, 0, len(leaked))
	for p := range leaked {
		profiles = append(profiles, p)
	}
	sort.Strings(profiles)
	for _, name := range profiles {
		var item keystore.Item
		for _, e := range entries {
			if e.Profile == name {
				item = e.Item
			}
		}
		p, ok := cfg.Profile(name)
		if !ok {
			problems = append(problems, fmt.Sprintf("%s: no such profile in %s, so its exchange is unknown and the key cannot be tested: make sure it is revoked", name, app.ConfigFile()))
			continue
		}
		var keys []keystore.Item
		if leaked[name][false] {
			keys = append(keys, item)
		}
		if leaked[name][true] {
			for _, r := range item.Retired {
				if r.RevokedAt.IsZero() {
					keys = append(keys, keystore.Item{APIKey: r.APIKey, APISecret: r.APISecret, Passphrase: r.Passphrase})
				}
			}
		}
		page := exchange.APIPage(p.Exchange)
		for _, k := range keys {
			fp := keystore.Fingerprint(k.APIKey)
			res := checks.CheckOldKey(ctx, p, k, nil)
			switch res.State {
			case checks.OldKeyRevoked, checks.OldKeyRejected:
				fmt.Fprintf(app.Stdout, "✓ %s key %s: refused by %s (revoked)\n", name, fp, p.Exchange)
			case checks.OldKeyValid:
				problems = append(problems, fmt.Sprintf("%s key %s STILL WORKS on %s: revoke it on %s (keywarden rotate %s makes the new key and tests the old one)", name, fp, p.Exchange, page, name))
			default:
				problems = append(problems, fmt.Sprintf("%s key %s could not be tested (%s): make sure it is revoked on %s (keywarden rotate %s)", name, fp, describeErr(res.Err), page, name))
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	if !acceptRisk {
		return &ExitError{Code: ExitCrit, Err: fmt.Errorf("refusing to rewrite history while a leaked key may still work:\n  %s\nrewriting does not un-leak a key: every clone, fork and cache already has it. Revoke it first, then run scan --rewrite again (or pass --accept-risk to rewrite anyway)", strings.Join(problems, "\n  "))}
	}
	fmt.Fprintf(app.Stderr, "\n!!! --accept-risk: REWRITING HISTORY WHILE A LEAKED KEY MAY STILL WORK !!!\n  %s\n!!! anyone who has a copy can still use it: REVOKE IT NOW !!!\n\n", strings.Join(problems, "\n  "))
	return nil
}

// leakedValues are the stored values behind the history findings (current
// and retired fields of each profile found).
func leakedValues(entries []keystore.Entry, hist []leaks.Finding) []keystore.Secret {
	found := map[[2]string]bool{}
	for _, f := range hist {
		found[[2]string{f.Profile, string(f.Field)}] = true
	}
	var vs []keystore.Secret
	for _, e := range entries {
		for _, t := range leaks.TargetsFromItem(e.Profile, e.Item) {
			if found[[2]string{t.Profile, string(t.Field)}] {
				vs = append(vs, t.Value)
			}
		}
	}
	return vs
}

// writePrivateTemp writes data to a new file in the temporary directory
// (outside any repository), readable only by the user.
func writePrivateTemp(data []byte) (string, error) {
	f, err := os.CreateTemp("", "keywarden-replace-*")
	if err != nil {
		return "", err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", err
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

func printPushSteps(app *App, push leaks.PushState) {
	cmds := push.PushCommands()
	b := &strings.Builder{}
	if len(cmds) == 0 {
		b.WriteString("\nno remote is configured: nothing to push. If this history was ever pushed or copied elsewhere, replace it there too.\n")
	} else {
		b.WriteString("\nReplace the history on every remote (git filter-repo removed the origin remote so that nothing is pushed by accident):\n")
		for _, c := range cmds {
			b.WriteString("  " + c + "\n")
		}
	}
	b.WriteString(`
Caveats:
  - forks keep the old history: ask their owners to delete or rewrite them;
  - pull-request refs (refs/pull/* on GitHub, merge-request refs on GitLab) cannot be force-pushed: ask the host's support to purge them and run their garbage collection;
  - caches keep copies: CI caches and artifacts, package registries, mirrors, archive sites, search engines;
  - every other clone must re-clone (a pull would bring the old history back); no one may push from an old clone;
  - older stash entries (stash@{1} and beyond) live in the reflog, which filter-repo expires: they are gone (the backup has the newest only);
  - the host keeps the old, now unreferenced objects until its own garbage collection: ask its support to run it;
  - the key must still be treated as leaked: revoke it (keywarden rotate) whatever the rewrite did.
`)
	fmt.Fprint(app.Stdout, b.String())
}
