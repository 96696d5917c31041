package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/ui"
)

func newAddCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "add",
		Short: "Set up a new key with a wizard: validated live, stored, profile written",
		Long: `An interactive wizard (needs a terminal): choose the exchange and endpoint,
name the profile, paste the API key and secret (masked), say what the bot
needs, set the IP whitelist (pre-filled with this server's egress IPs) and the
rotation age. The key is then checked live with the exchange, as the dashboard
checks it. A key with withdrawals enabled or without an IP restriction is
refused unless you accept the risk on a second screen. Then the key goes to
the keystore and the profile to the config file, comments and layout kept.
Esc cancels at any step and writes nothing.

For scripts, use 'keywarden import NAME --exchange EX [FILE|-]'.

Exit codes: 0 stored, 1 cancelled, 3 an error, 64 no terminal.`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error { return runAdd(c.Context(), app) },
	}
}

// needTerminal refuses to run a wizard without a terminal on stdin and
// stderr (where it draws), pointing to the scriptable alternative.
func needTerminal(app *App, what, instead string) error {
	if app.stdinIsTerminal() && isTerminal(app.Stderr) {
		return nil
	}
	return usageError("%s is an interactive wizard and needs a terminal; without one use: %s", what, instead)
}

func runAdd(ctx context.Context, app *App) error {
	if err := needTerminal(app, "keywarden add", "keywarden import NAME --exchange EX [FILE|-]"); err != nil {
		return err
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	taken, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("reading the keystore: %w", err)
	}
	for _, p := range cfg.Profiles {
		if !slices.Contains(taken, p.Name) {
			taken = append(taken, p.Name)
		}
	}
	path := app.ConfigFile()
	w, err := ui.RunWizard(ctx, ui.NewAddWizard(ui.WizardOptions{
		Config:  cfg,
		Taken:   taken,
		Backend: backendText(store),
		Save: func(ctx context.Context, p config.Profile, it keystore.Item) error {
			return storeNewProfile(ctx, store, path, p, it)
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
		fmt.Fprintln(app.Stderr, "cancelled: nothing was written")
		return &ExitError{Code: ExitWarn}
	}
	p := res.Profile
	fmt.Fprintf(app.Stdout, "stored %s (%s, key %s) in keystore %s\n", p.Name, p.Exchange, res.Key, backendText(store))
	fmt.Fprintf(app.Stdout, "profile added to %s\n", path)
	warnAccepted(app, res.Accepted)
	fmt.Fprintf(app.Stdout, "run your bot with: keywarden exec %s -- CMD\n", p.Name)
	return nil
}

// storeNewProfile stores it as p.Name and appends p to the config; when the
// config cannot be written the stored key is removed again, so nothing is
// left half done.
func storeNewProfile(ctx context.Context, store keystore.Store, path string, p config.Profile, it keystore.Item) error {
	if _, err := store.Get(ctx, p.Name); err == nil {
		return fmt.Errorf("the %s keystore already holds a key named %s: pick another name, or 'keywarden remove %s' first", store.Backend(), p.Name, p.Name)
	} else if !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	if err := store.Set(ctx, p.Name, it); err != nil {
		return fmt.Errorf("storing the key: %w", err)
	}
	if err := config.AppendProfile(path, p); err != nil {
		if derr := store.Delete(ctx, p.Name); derr != nil {
			return fmt.Errorf("adding the profile: %w (and the stored key could not be removed again: %v)", err, derr)
		}
		return fmt.Errorf("adding the profile (the key was not kept): %w", err)
	}
	return nil
}

// backendText names the keystore in use, with the vault's path.
func backendText(store keystore.Store) string {
	s := store.Backend()
	if p := keystore.VaultPath(store); p != "" {
		s += " " + p
	}
	return s
}

func warnAccepted(app *App, risks []checks.Risk) {
	for _, r := range risks {
		fmt.Fprintf(app.Stderr, "warning: stored with an accepted risk: %s\n", r.Explain())
	}
}
