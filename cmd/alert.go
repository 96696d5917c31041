package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/alert"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

// newAlertCmd groups the notifier tools.
func newAlertCmd(app *App) *cobra.Command {
	c := &cobra.Command{
		Use:   "alert",
		Short: "Work with watch's notifiers ([[alert]] blocks)",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newAlertTestCmd(app))
	return c
}

// alertTestTimeout bounds each notifier's one attempt.
const alertTestTimeout = 10 * time.Second

func newAlertTestCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "test [NAME]",
		Short: "Send a test notification through each configured notifier (or NAME) and print each result",
		Long: `Send one test notification ("TEST keywarden on HOST: this notifier delivers")
through every [[alert]] block of the config, fallbacks included, or only
through the notifier NAME (its name as watch's logs show it: the block's
name, or its type, numbered when repeated). Each gets one attempt of at
most 10s; no retry, so a failure is seen at once. Receiver errors are
printed scrubbed of every stored secret and notifier URL.

Exit codes: 0 every notifier delivered, 2 at least one failed, 3 no
notifier could be built (config, keystore, token), 64 usage error.`,
		Example: `  keywarden alert test
  keywarden alert test slack`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runAlertTest(c.Context(), app, args)
		},
	}
}

func runAlertTest(ctx context.Context, app *App, args []string) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return withCode(ExitUnknown, err)
	}
	if len(cfg.Alerts) == 0 {
		return withCode(ExitUnknown, fmt.Errorf("no [[alert]] blocks in %s: see docs/watch.md#notifiers", app.ConfigFile()))
	}
	store, storeErr, err := app.openStoreLenient(ctx, cfg)
	if err != nil {
		return err
	}
	var secrets []keystore.Secret
	var tokenStore keystore.Store
	if store != nil {
		entries, _ := keystore.Secrets(ctx, store)
		for _, e := range entries {
			for _, f := range e.Values() {
				secrets = append(secrets, f.Value)
			}
		}
		tokenStore = readEntries{Store: store, entries: entries}
	}
	scrub := alert.NewScrubber(secrets...)
	targets, _, err := alert.Targets(ctx, cfg.Alerts, tokenStore, nil, scrub)
	if err != nil {
		if storeErr != nil {
			err = fmt.Errorf("%w (the keystore did not open: %v)", err, storeErr)
		}
		return withCode(ExitUnknown, fmt.Errorf("%w\nfix the [[alert]] block in %s", err, app.ConfigFile()))
	}
	if len(args) == 1 {
		var names []string
		for _, t := range targets {
			names = append(names, t.Notifier.Name())
		}
		i := slices.Index(names, args[0])
		if i < 0 {
			return usageError("no notifier %q: the config has %s", args[0], strings.Join(names, ", "))
		}
		targets = targets[i : i+1]
	}
	host := checks.Hostname()
	failed := 0
	for _, t := range targets {
		actx, cancel := context.WithTimeout(ctx, alertTestTimeout)
		err := t.Notifier.Send(actx, alert.TestAlert(host, time.Now()))
		cancel()
		if err != nil {
			failed++
			fmt.Fprintf(app.Stdout, "✗ %s: %s\n", t.Notifier.Name(), err)
			continue
		}
		fmt.Fprintf(app.Stdout, "✓ %s: delivered\n", t.Notifier.Name())
	}
	if failed > 0 {
		return &ExitError{Code: ExitCrit, Err: fmt.Errorf("%d of %d notifiers failed: fix the URL or token (docs/watch.md#notifiers)", failed, len(targets))}
	}
	return nil
}
