package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/leaks"
)

// scanOptions are the flags of `scan`.
type scanOptions struct {
	json        bool
	history     bool
	maxFileSize int64
	noCache     bool
	rewrite     bool
	acceptRisk  bool
}

func newScanCmd(app *App) *cobra.Command {
	var o scanOptions
	c := &cobra.Command{
		Use:   "scan [DIR] [--json] [--history=true] [--rewrite [--accept-risk]]",
		Short: "Look for the stored keys in a directory's files and its whole git history",
		Long: `Look for every stored API key, secret and passphrase in DIR (default: the
current directory) and in every object of its git history: all branches, tags,
remotes, the stash, reflogs and unreferenced objects not yet pruned.

Each value is searched for exactly, raw and encoded (base64 and base64url at
any alignment, padded or not; URL-encoded; hex in either case; escaped as in
JSON, YAML, TOML and shell strings: see docs/scan.md), so there are no false
positives and no rules to keep up to date. A value split across two
lines is not found. Files git ignores are searched too: a key on disk is a
key that can be copied. Values are never printed; findings say where.

The history result is cached under the user cache directory, keyed by the
repository's refs, HEAD and object counts and by the stored values; the cache
holds where things were found, never a value. --no-cache reads everything.

Objects that history refers to but the repository lacks (a partial or damaged
clone) are counted and reported; with nothing found the result is then
unknown (exit 3), not clean.

On a terminal, a history scan that takes more than a second shows its
progress on stderr.

--rewrite turns a leaked history into a clean one (docs/scan.md): it refuses
while a leaked key still authenticates on its exchange (revoke it first:
keywarden rotate; --accept-risk proceeds anyway), backs up every ref with git
bundle, replaces every form of every found value with ***REMOVED*** using git
filter-repo (--replace-text and --replace-message, --force), rescans every
object, and prints the force-push commands for every remote branch and tag.

Exit codes: 0 nothing found (--rewrite: history clean after the rewrite), 2 a
stored value was found (--rewrite: refused, or values left), 3 the scan could
not run or could not read all of history, 64 usage error.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			dir := "."
			if len(args) == 1 {
				dir = args[0]
			}
			if o.acceptRisk && !o.rewrite {
				return usageError("--accept-risk goes with --rewrite")
			}
			if o.rewrite {
				if o.json || !o.history {
					return usageError("--rewrite takes neither --json nor --history=false")
				}
				return runRewrite(c.Context(), app, dir, o)
			}
			return runScan(c, app, dir, o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "print JSON")
	f.BoolVar(&o.history, "history", true, "also scan every object of the git history")
	f.BoolVar(&o.noCache, "no-cache", false, "read the whole history even if its refs and objects are unchanged since the last scan")
	f.Int64Var(&o.maxFileSize, "max-file-size", leaks.DefaultMaxFileSize, "skip working-tree files larger than this many bytes")
	f.BoolVar(&o.rewrite, "rewrite", false, "remove the found values from every branch, tag and the stash with git filter-repo (after a backup), once the leaked keys are revoked")
	f.BoolVar(&o.acceptRisk, "accept-risk", false, "with --rewrite: rewrite even though a leaked key still works or cannot be tested")
	return c
}

func runScan(c *cobra.Command, app *App, dir string, o scanOptions) error {
	ctx := c.Context()
	targets, err := storedTargets(ctx, app)
	if err != nil {
		return err
	}
	opts := leaks.Options{Dir: dir, History: o.history, MaxFileSize: o.maxFileSize}
	if !o.noCache {
		// The history result is cached by ref state (places only, never
		// values), so `check` after `scan` is instant. No cache dir: no cache.
		opts.CacheDir, _ = leaks.DefaultCacheDir()
	}
	stop := func() {}
	if tty, ok := terminal(app.Stderr); ok {
		opts.Progress = &leaks.Progress{}
		stop = showProgress(tty, opts.Progress, progressDelay, 200*time.Millisecond)
	}
	rep, err := leaks.Scan(ctx, targets, opts)
	stop()
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("%w\ncheck that %s exists and that git works there (git -C %s status)", err, dir, dir)}
	}
	if o.json {
		err = rep.WriteJSON(app.Stdout)
	} else {
		err = rep.WriteText(app.Stdout)
	}
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	if len(rep.Findings) > 0 {
		return &ExitError{Code: ExitCrit}
	}
	if rep.MissingObjects > 0 {
		return &ExitError{Code: ExitUnknown} // the report says what is missing
	}
	return nil
}

// storedTargets reads every stored value to look for: what scan and the
// git hooks search for. Any failure is exit 3 (the search cannot run), and
// an empty keystore too: a search for nothing would pass everything.
func storedTargets(ctx context.Context, app *App) ([]leaks.Target, error) {
	_, entries, err := storedEntries(ctx, app)
	if err != nil {
		return nil, err
	}
	var targets []leaks.Target
	for _, e := range entries {
		targets = append(targets, leaks.TargetsFromItem(e.Profile, e.Item)...)
	}
	return targets, nil
}

// storedEntries reads the config and every stored item (failures and an
// empty keystore are exit 3).
func storedEntries(ctx context.Context, app *App) (*config.Config, []keystore.Entry, error) {
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, nil, &ExitError{Code: ExitUnknown, Err: err}
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, withCode(ExitUnknown, err)
	}
	entries, err := keystore.Secrets(ctx, store)
	if err != nil {
		return nil, nil, &ExitError{Code: ExitUnknown, Err: fmt.Errorf("reading the stored keys: %w", err)}
	}
	for _, e := range entries {
		if len(e.Values()) > 0 {
			return cfg, entries, nil
		}
	}
	return nil, nil, &ExitError{Code: ExitUnknown, Err: fmt.Errorf("no stored keys to look for in the %s keystore: add one with 'keywarden add' or 'keywarden import'", store.Backend())}
}
