package cmd

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

func newRemoveCmd(app *App) *cobra.Command {
	var yes bool
	c := &cobra.Command{
		Use:   "remove NAME [--yes]",
		Short: "Delete a profile and its stored key",
		Long: `Delete profile NAME from the config file and its key from the keystore.
Asks first unless --yes. The key stays valid on the exchange: revoke it there.`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("usage: keywarden remove NAME [--yes]")
			}
			return nil
		},
		ValidArgsFunction: completeProfiles(app),
		RunE: func(c *cobra.Command, args []string) error {
			return runRemove(c.Context(), app, args[0], yes)
		},
	}
	c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return c
}

func runRemove(ctx context.Context, app *App, name string, yes bool) error {
	if err := config.CheckProfileName(name); err != nil {
		return usageError("%w", err)
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return err
	}
	prof, inConfig := cfg.Profile(name)
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return err
	}
	it, err := store.Get(ctx, name)
	stored := err == nil
	if err != nil && !errors.Is(err, keystore.ErrNotFound) {
		return err
	}
	if !inConfig && !stored {
		return usageError("no profile or stored key named %q (see 'keywarden list')", name)
	}
	if !yes {
		if !app.stdinIsTerminal() {
			return usageError("not removing %s without confirmation: pass --yes", name)
		}
		ok, err := app.confirm(ctx, fmt.Sprintf("remove profile %s and its stored key from the %s keystore?", name, store.Backend()))
		if err != nil {
			return err
		}
		if !ok {
			fmt.Fprintln(app.Stderr, "nothing removed")
			return &ExitError{Code: ExitWarn}
		}
	}
	if stored {
		if err := store.Delete(ctx, name); err != nil && !errors.Is(err, keystore.ErrNotFound) {
			return fmt.Errorf("deleting the stored key (the profile was kept): %w", err)
		}
	}
	if inConfig {
		if err := config.RemoveProfile(app.ConfigFile(), name); err != nil && !errors.Is(err, config.ErrNoProfile) {
			return fmt.Errorf("the stored key is deleted but the profile is still in the config: %w", err)
		}
	}
	fmt.Fprintf(app.Stdout, "removed %s (", name)
	switch {
	case inConfig && stored:
		fmt.Fprintf(app.Stdout, "profile and key from the %s keystore", store.Backend())
	case inConfig:
		fmt.Fprint(app.Stdout, "profile; no key was stored")
	default:
		fmt.Fprintf(app.Stdout, "key from the %s keystore; there was no profile", store.Backend())
	}
	fmt.Fprintln(app.Stdout, ")")
	switch {
	case inConfig && stored:
		fmt.Fprintf(app.Stdout, "the key %s is still valid on the exchange: revoke it there, on %s\n", keystore.Fingerprint(it.APIKey), exchange.APIPage(prof.Exchange))
	case stored:
		fmt.Fprintln(app.Stdout, "the key or token is still valid where it was issued: revoke it there")
	}
	return nil
}
