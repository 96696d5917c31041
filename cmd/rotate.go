package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/ui"
)

type rotateOptions struct {
	from           string
	vars           varChoice
	acceptRisk     bool
	confirmRevoked string
}

func newRotateCmd(app *App) *cobra.Command {
	var o rotateOptions
	c := &cobra.Command{
		Use:   "rotate NAME [--from FILE|-]",
		Short: "Replace a profile's key: validated live, stored, then the old key is tested",
		Long: `Replace the key of profile NAME. The wizard (needs a terminal) shows the
current key's age and fingerprint, takes the new key and secret (masked),
checks the new key live with the exchange like 'add' does, stores it with a
new creation time, and then asks the exchange about the old key: still
valid means revoke it now (the exchange's API page is named); rejected means
it is revoked. The old key stays in the keystore as a retired key of the
profile: never handed to the bot, but still redacted from logs and alerts,
searched for by scan and the hygiene checks, and tested by the key.retired
check until the exchange rejects it as unknown.

--confirm-revoked FINGERPRINT records that you deleted a retired key on the
exchange, for exchanges that reject a deleted key without saying why
(Binance -2015): key.retired then stops asking about it.

--from reads the new key from a dotenv file, or stdin with '-', for scripts
(variables chosen as 'import' chooses them). A key with withdrawals or
without an IP restriction is then refused unless --accept-risk is given.

Exit codes: 0 rotated and the old key revoked, 1 rotated but the old key
still works (revoke it!) or the wizard was cancelled, 2 the new key was
refused (nothing changed), 3 an error or the old key could not be tested,
64 usage error.`,
		Example: `  keywarden rotate binance-main
  pass show binance-new | keywarden rotate binance-main --from -`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("usage: keywarden rotate NAME [--from FILE|-]")
			}
			return nil
		},
		RunE:              func(c *cobra.Command, args []string) error { return runRotate(c.Context(), app, o, args[0]) },
		ValidArgsFunction: completeProfiles(app),
	}
	f := c.Flags()
	f.StringVar(&o.from, "from", "", "read the new key from a dotenv FILE, or stdin with -")
	f.StringVar(&o.vars.key, "key-var", "", "with --from: dotenv variable holding the API key")
	f.StringVar(&o.vars.secret, "secret-var", "", "with --from: dotenv variable holding the API secret")
	f.StringVar(&o.vars.passphrase, "passphrase-var", "", "with --from: dotenv variable holding the API passphrase")
	f.BoolVar(&o.acceptRisk, "accept-risk", false, "with --from: store a key with withdrawals or without an IP restriction anyway")
	f.StringVar(&o.confirmRevoked, "confirm-revoked", "", "record that the retired key with this FINGERPRINT is deleted on the exchange (no rotation)")
	return c
}

func runRotate(ctx context.Context, app *App, o rotateOptions, name string) error {
	if o.confirmRevoked != "" {
		if o.from != "" || o.acceptRisk || o.vars != (varChoice{}) {
			return usageError("--confirm-revoked records a revocation and rotates nothing: use it alone")
		}
		return confirmRevoked(ctx, app, name, o.confirmRevoked)
	}
	if o.from == "" {
		if o.acceptRisk || o.vars != (varChoice{}) {
			return usageError("--accept-risk and --*-var go with --from")
		}
		if err := needTerminal(app, "keywarden rotate", "keywarden rotate "+name+" --from - < new.env"); err != nil {
			return err
		}
	} else if o.from == "-" && app.stdinIsTerminal() {
		return usageError("--from - reads a dotenv from stdin: pipe one in (keywarden rotate %s --from - < new.env), or run without --from for the wizard", name)
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	p, ok := cfg.Profile(name)
	if !ok {
		return usageError("no profile %q in %s: add one with 'keywarden add'", name, app.ConfigFile())
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	cur, err := store.Get(ctx, name)
	if errors.Is(err, keystore.ErrNotFound) {
		return fmt.Errorf("profile %s has no stored key to rotate: store one with 'keywarden import %s --exchange %s'", name, name, p.Exchange)
	} else if err != nil {
		return err
	}
	if o.from != "" {
		return rotateFrom(ctx, app, o, cfg, store, p, cur)
	}
	w, err := ui.RunWizard(ctx, ui.NewRotateWizard(ui.WizardOptions{
		Config:  cfg,
		Backend: backendText(store),
		Profile: p,
		Current: cur,
		Save: func(ctx context.Context, p config.Profile, it keystore.Item) error {
			return replaceKey(ctx, app, cfg, store, p.Name, cur, it)
		},
		NoColor: app.NoColor,
		Input:   app.Stdin,
		Output:  app.Stderr,
	}))
	if err != nil {
		return err
	}
	res := w.Result()
	if res.Err != nil {
		return res.Err
	}
	if !res.Saved {
		fmt.Fprintln(app.Stderr, "cancelled: the old key stays stored, nothing was written")
		return &ExitError{Code: ExitWarn}
	}
	fmt.Fprintf(app.Stdout, "rotated %s: key %s replaced by %s in keystore %s\n", name, keystore.Fingerprint(cur.APIKey), res.Key, backendText(store))
	warnAccepted(app, res.Accepted)
	return reportOldKey(app, p, keystore.Fingerprint(cur.APIKey), res.OldKey)
}

// replaceKey stores the new item in place of the old one in one write, the
// old key kept as a retired key of the profile: still redacted, searched for
// and tested (key.retired) until the exchange rejects it.
func replaceKey(ctx context.Context, app *App, cfg *config.Config, store keystore.Store, name string, cur, it keystore.Item) error {
	if err := store.Set(ctx, name, cur.Replace(it, time.Now())); err != nil {
		return fmt.Errorf("storing the new key (the old one is still stored): %w", err)
	}
	// The same old key in the other backend gets the same rotation, or the
	// user is told it could not.
	return rotateElsewhere(ctx, app, cfg, store, cur, it)
}

// rotateFrom is the scripted rotation: the new key from a dotenv, the same
// live validation as the wizard, verdict lines on stderr.
func rotateFrom(ctx context.Context, app *App, o rotateOptions, cfg *config.Config, store keystore.Store, p config.Profile, cur keystore.Item) error {
	label, text, err := readDotenv(ctx, app, o.from)
	if err != nil {
		return err
	}
	env, err := parseDotenv(label, text)
	if err != nil {
		return err
	}
	vars, err := chooseVars(env, label, p.Exchange, o.vars, config.NeedsPassphrase(p.Exchange))
	if err != nil {
		return err
	}
	if err := env.checkValues(label, vars.key, vars.secret, vars.passphrase); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Second)
	it := keystore.Item{
		APIKey:     keystore.NewSecret(env.vals[vars.key]),
		APISecret:  keystore.NewSecret(env.vals[vars.secret]),
		Passphrase: keystore.NewSecret(env.vals[vars.passphrase]),
		CreatedAt:  now,
		StoredAt:   now,
	}
	if it.APIKey.Equal(cur.APIKey) {
		return usageError("%s holds the key already stored for %s: create a new key on %s", label, p.Name, exchange.APIPage(p.Exchange))
	}
	v := checks.Validate(ctx, cfg, p, it, nil)
	for _, r := range v.Results {
		fmt.Fprintf(app.Stderr, "%s %-15s %s\n", checks.Symbol(r.Status), r.ID, r.Summary)
	}
	refuse := func(why string) error {
		return &ExitError{Code: ExitCrit, Err: fmt.Errorf("the new key %s is refused: %s; nothing changed", keystore.Fingerprint(it.APIKey), why)}
	}
	switch {
	case v.Failed:
		return refuse(checks.CauseText(v.Cause))
	case len(v.Missing) > 0:
		return refuse("it lacks " + strings.Join(v.Missing, ", ") + ", which the profile needs")
	case len(v.Risks) > 0 && !o.acceptRisk:
		var why []string
		for _, r := range v.Risks {
			why = append(why, r.Explain())
		}
		return refuse(strings.Join(why, " ") + " Fix the key on " + exchange.APIPage(p.Exchange) + ", or pass --accept-risk")
	}
	if err := replaceKey(ctx, app, cfg, store, p.Name, cur, it); err != nil {
		return err
	}
	fmt.Fprintf(app.Stdout, "rotated %s: key %s replaced by %s in keystore %s\n", p.Name, keystore.Fingerprint(cur.APIKey), keystore.Fingerprint(it.APIKey), backendText(store))
	if len(v.Risks) > 0 {
		warnAccepted(app, v.Risks)
	}
	// The old secret is used for this one test and not kept past it.
	return reportOldKey(app, p, keystore.Fingerprint(cur.APIKey), checks.CheckOldKey(ctx, p, cur, nil))
}

// reportOldKey prints what the exchange said about the replaced key and
// returns the exit status for it.
func reportOldKey(app *App, p config.Profile, fp string, res checks.OldKeyResult) error {
	page := exchange.APIPage(p.Exchange)
	switch res.State {
	case checks.OldKeyRevoked:
		fmt.Fprintf(app.Stdout, "old key %s revoked\n", fp)
		return nil
	case checks.OldKeyRejected:
		fmt.Fprintf(app.Stdout, "old key %s rejected by %s (most likely revoked; confirm on %s)\n", fp, p.Exchange, page)
		return nil
	case checks.OldKeyValid:
		fmt.Fprintf(app.Stderr, "\n!!! THE OLD KEY %s STILL WORKS: REVOKE IT NOW on %s !!!\n\n", fp, page)
		return &ExitError{Code: ExitWarn}
	}
	return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("could not test the old key %s (%s): make sure it is deleted on %s", fp, describeErr(res.Err), page)}
}

func describeErr(err error) string {
	if err == nil {
		return "no answer"
	}
	if c := exchange.CauseOf(err); c != exchange.CauseNone {
		return string(c) + ": " + err.Error()
	}
	return err.Error()
}

// confirmRevoked marks a retired key of the profile as revoked by the user.
// Its values stay stored: they are still redacted and searched for.
func confirmRevoked(ctx context.Context, app *App, name, fp string) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	if _, ok := cfg.Profile(name); !ok {
		return usageError("no profile %q in %s: add one with 'keywarden add'", name, app.ConfigFile())
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	it, err := store.Get(ctx, name)
	if err != nil {
		return err
	}
	var known []string
	for i, r := range it.Retired {
		got := keystore.Fingerprint(r.APIKey)
		known = append(known, got)
		if got != fp {
			continue
		}
		if !r.RevokedAt.IsZero() {
			fmt.Fprintf(app.Stdout, "retired key %s of %s was already recorded as revoked on %s\n", fp, name, r.RevokedAt.UTC().Format("2006-01-02"))
			return nil
		}
		it.Retired[i].RevokedAt = time.Now().UTC()
		if err := store.Set(ctx, name, it); err != nil {
			return err
		}
		fmt.Fprintf(app.Stdout, "retired key %s of %s recorded as revoked; its values stay stored for redaction and scans\n", fp, name)
		return nil
	}
	if len(known) == 0 {
		return usageError("profile %s has no retired keys", name)
	}
	return usageError("profile %s has no retired key %s (retired: %s)", name, fp, strings.Join(known, ", "))
}
