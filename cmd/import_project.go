package cmd

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/internal/gitsafe"
	"github.com/keywarden/keywarden/keystore"
)

// This file is what import learns about the key beyond the dotenv: where
// the bot lives (the profile's project, so check and exec run its hygiene
// checks), what git knows of the file, and what the exchange says of the
// key.

// validateTimeout bounds the live validation of an imported key.
const validateTimeout = 20 * time.Second

// botProject is the directory of the bot whose dotenv is at src: the git
// top level of the file's directory, else the directory itself, with
// symlinks resolved so git's paths and ours agree. "" with a reason when
// that directory is the home directory or the root: a hygiene scan of all
// of it would be slow and say nothing about the bot.
func botProject(ctx context.Context, src string) (dir, why string) {
	abs, err := filepath.Abs(src)
	if err != nil {
		return "", err.Error()
	}
	d, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err.Error()
	}
	if out, err := gitsafe.Output(ctx, d, nil, nil, "rev-parse", "--show-toplevel"); err == nil {
		if top := strings.TrimSpace(string(out)); top != "" {
			d = top
		}
	}
	home, _ := os.UserHomeDir()
	if d == "/" || home != "" && d == filepath.Clean(home) {
		return "", d + " is your home directory or the root, too wide for a project"
	}
	return d, ""
}

// warnDotenvGit warns when git tracks the imported file or would commit it.
func warnDotenvGit(ctx context.Context, app *App, project, src string, p config.Profile) {
	abs, err := filepath.Abs(src)
	if err != nil {
		return
	}
	if d, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(d, filepath.Base(abs))
	}
	problem, err := checks.DotenvGitProblem(ctx, project, abs)
	switch {
	case err != nil:
		fmt.Fprintf(app.Stderr, "warning: cannot ask git about %s: %v\n", src, err)
	case problem == "tracked by git":
		fmt.Fprintf(app.Stderr, "warning: %s is tracked by git in %s: the key is in the repository's history even once the file is gone; revoke it on %s and rotate (keywarden rotate %s)\n",
			src, project, exchange.APIPage(p.Exchange), p.Name)
	case problem != "":
		fmt.Fprintf(app.Stderr, "warning: %s is %s in %s: a commit would publish it; add it to .gitignore\n", src, problem, project)
	}
}

// parseCreated reads --created: a past date, YYYY-MM-DD.
func parseCreated(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, usageError("--created %q: give the key's creation date as YYYY-MM-DD", s)
	}
	if t.After(now) {
		return time.Time{}, usageError("--created %s is in the future", s)
	}
	return t, nil
}

// unreachable reports whether a failed validation means the exchange was
// not reached (or answered nothing usable), not that it refused the key.
func unreachable(c exchange.Cause) bool {
	switch c {
	case exchange.CauseNetwork, exchange.CauseTimeout, exchange.CauseServer, exchange.CauseMalformed, exchange.CauseNone:
		return true
	}
	return false
}

// notReached reports why a failed validation never reached the exchange:
// the key check's cause, or the server-time request's when that failed
// for the network (a key refused before any request, a malformed secret,
// is then not the exchange's verdict either).
func notReached(v checks.Verdict) (exchange.Cause, bool) {
	if !v.Failed {
		return "", false
	}
	if unreachable(v.Cause) {
		return v.Cause, true
	}
	for _, r := range v.Results {
		if r.ID != "clock.exchange" || r.Status != checks.Unknown {
			continue
		}
		if c, _ := r.Details["cause"].(string); unreachable(exchange.Cause(c)) {
			return exchange.Cause(c), true
		}
	}
	return "", false
}

// validateImport checks the key live as `add` does, unless offline, and
// refuses one the exchange rejects, that lacks what the profile needs, or
// that has a risk not accepted. An exchange out of reach is a warning: the
// key is stored unvalidated. It sets it.CreatedAt from the exchange when
// it reports the date, else from created (--created), and returns the
// risks accepted.
func validateImport(ctx context.Context, app *App, cfg *config.Config, p config.Profile, it *keystore.Item, created time.Time, o importOptions) ([]checks.Risk, error) {
	if !created.IsZero() {
		it.CreatedAt = created
	}
	if o.offline {
		return nil, nil
	}
	vctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	v := checks.Validate(vctx, cfg, p, *it, nil)
	if c, ok := notReached(v); ok {
		fmt.Fprintf(app.Stderr, "warning: the key was not validated: %s; check it later with 'keywarden check --profile %s' (or import with --offline)\n", checks.CauseText(c), p.Name)
		return nil, nil
	}
	for _, r := range v.Results {
		fmt.Fprintf(app.Stderr, "%s %-15s %s\n", checks.Symbol(r.Status), r.ID, r.Summary)
	}
	refuse := func(why string) error {
		return &ExitError{Code: ExitCrit, Err: fmt.Errorf("the key %s is refused: %s; nothing was stored", keystore.Fingerprint(it.APIKey), why)}
	}
	switch {
	case v.Failed:
		return nil, refuse(checks.CauseText(v.Cause))
	case len(v.Missing) > 0:
		return nil, refuse("it lacks " + strings.Join(v.Missing, ", ") + ", which the profile needs")
	case len(v.Risks) > 0 && !o.acceptRisk:
		var why []string
		for _, r := range v.Risks {
			why = append(why, r.Explain())
		}
		return nil, refuse(strings.Join(why, " ") + " Fix the key on " + exchange.APIPage(p.Exchange) + ", or pass --accept-risk")
	}
	now := time.Now()
	if !v.Created.IsZero() {
		if !created.IsZero() && !sameDay(created, v.Created) {
			fmt.Fprintf(app.Stderr, "note: --created %s ignored: the exchange reports the key was created %s\n", created.Format(time.DateOnly), v.Created.UTC().Format(time.DateOnly))
		}
		it.CreatedAt = v.Created.UTC()
		fmt.Fprintf(app.Stderr, "the exchange reports the key was created %s (%s ago)\n", it.CreatedAt.Format(time.DateOnly), days(now.Sub(it.CreatedAt)))
	} else if created.IsZero() {
		fmt.Fprintf(app.Stderr, "note: %s does not report when a key was created: the rotation countdown starts today unless you pass --created YYYY-MM-DD\n", p.Exchange)
	}
	if !v.Expires.IsZero() {
		fmt.Fprintf(app.Stderr, "the exchange reports the key expires %s (in %s)\n", v.Expires.UTC().Format(time.DateOnly), days(v.Expires.Sub(now)))
	}
	return v.Risks, nil
}

func sameDay(a, b time.Time) bool {
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}

// days renders d in whole days: "1 day", "20 days".
func days(d time.Duration) string {
	return plural(int(d/(24*time.Hour)), "day")
}

// runImportHygiene runs profile p's hygiene checks, offline, and prints
// them: the same checks `check` runs, so import says what check will.
func runImportHygiene(ctx context.Context, app *App, cfg *config.Config, store keystore.Store, p config.Profile) {
	c := *cfg
	c.Profiles = []config.Profile{p}
	deps := checkDeps(&c, store, nil)
	var cs []checks.Check
	for _, ch := range checks.Build(deps, checks.Options{Profiles: []string{p.Name}, Offline: true}) {
		if ch.Profile() == p.Name && strings.HasPrefix(ch.ID(), "hygiene.") {
			cs = append(cs, ch)
		}
	}
	rep := checks.Run(ctx, checks.NewEnv(deps), cs)
	for _, r := range rep.Checks {
		fmt.Fprintf(app.Stderr, "%s %-15s %s\n", checks.Symbol(r.Status), r.ID, r.Summary)
		if r.Status != checks.OK && r.Hint != "" {
			fmt.Fprintf(app.Stderr, "  %s\n", r.Hint)
		}
	}
}
