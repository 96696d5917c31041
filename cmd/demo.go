package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/demo"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/ui"
)

// demoSecretsEnv names a file `keywarden demo` writes its generated secrets
// to, one a line, mode 0600. It is a test hook, not a feature: the
// end-to-end tests read it to assert that no demo secret ever reaches the
// screen. It is deliberately absent from --help.
const demoSecretsEnv = "KEYWARDEN_DEMO_SECRETS_FILE"

// demoIntruderEnv sets how long into the dashboard the intruder strikes (a
// Go duration; default demo.DefaultIntruderAfter): a test hook like
// demoSecretsEnv, so the end-to-end test need not wait a minute.
const demoIntruderEnv = "KEYWARDEN_DEMO_INTRUDER_AFTER"

// demoOptions are `demo`'s flags.
type demoOptions struct {
	check      bool
	json       bool
	prometheus bool
}

func newDemoCmd(app *App) *cobra.Command {
	var o demoOptions
	c := &cobra.Command{
		Use:   "demo [--check [--json|--prometheus]]",
		Short: "The dashboard against a simulated world: no config, keys or network needed",
		Long: `Start a simulated world on loopback and show the dashboard against it:
three fake exchanges (Binance, Bybit, KuCoin) that verify signatures, with
throwaway keys held in memory and a spread of states (a key with withdrawals
on, a whitelist that misses the egress IP, a key due for rotation); NTP
responders 1.2 s ahead of the host and one falseticker; public-IP echo servers
answering the TEST-NET address 198.51.100.23; bots writing audit logs with
clock and IP errors and one leaked secret; and a git project with a key in its
history. A minute in, an intruder strikes: a foreign order with the leaked
Binance key and a withdrawal from the KuCoin account (the Activity pane shows
the withdrawal at its next poll, the order at the first poll after the bots'
log has moved 30 s past it). Nothing leaves the machine and everything is
removed on exit.

--check prints the check report of that world instead of the dashboard, in
the same formats and with the same exit status as ` + "`keywarden check`" + ` (the
world is built to fail: expect 2). There the intruder has struck already,
after an activity baseline taken 5 minutes before, so the report shows both. When stdout is not a terminal, the demo
prints that report too.`,
		Example: `  keywarden demo
  keywarden demo --check
  keywarden demo --check --json | jq '.checks[] | select(.status == "crit")'`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			if (o.json || o.prometheus) && !o.check {
				return usageError("--json and --prometheus go with --check: run 'keywarden demo --check --json'")
			}
			if o.json && o.prometheus {
				return usageError("--json and --prometheus cannot be combined: pick one output format")
			}
			return runDemo(c.Context(), app, o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.check, "check", false, "print the check report of the simulated world instead of the dashboard")
	f.BoolVar(&o.json, "json", false, "with --check: print the report as JSON (version 1)")
	f.BoolVar(&o.prometheus, "prometheus", false, "with --check: print the report in the Prometheus text format")
	return c
}

// runDemo builds the world, runs the dashboard or the report against it, and
// tears the world down however it ends: a key, ctrl+c, SIGTERM or SIGHUP.
func runDemo(ctx context.Context, app *App, o demoOptions) error {
	// Like the bare `keywarden`: a pipe gets the report, never escape codes.
	o.check = o.check || !isTerminal(app.Stdout)
	// Main turns SIGINT and SIGTERM into a cancelled context; a dropped SSH
	// link (SIGHUP) must clean up too.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()

	var after time.Duration
	if v := os.Getenv(demoIntruderEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("%s=%q: want a positive duration such as 5s", demoIntruderEnv, v)}
		}
		after = d
	}
	w, err := demo.Start(ctx, demo.Options{Live: !o.check, IntruderAfter: after})
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("starting the demo world: %w", err)}
	}
	defer w.Close()
	// The git-history check caches its scan under $CACHE_DIRECTORY or the
	// user's cache directory; the demo's keys die with the world, so its
	// cache does too.
	defer setenvFor("CACHE_DIRECTORY", filepath.Join(w.Dir, "cache"))()
	defer setenvFor("XDG_CACHE_HOME", filepath.Join(w.Dir, "cache"))()
	defer setenvFor("XDG_STATE_HOME", w.StateHome())() // the activity baseline Start took is there
	if err := writeDemoSecrets(os.Getenv(demoSecretsEnv), w.Secrets); err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	if ctx.Err() != nil {
		return nil // interrupted while the world was starting
	}
	if o.check {
		return printDemoReport(ctx, app, w, o)
	}
	opts := dashboardOptions(app, w.Config, w.Store, nil, w.Secrets)
	return ui.Run(ctx, opts)
}

// printDemoReport runs the same checks as `keywarden check` against the
// world and prints them with check's printers; the error carries the exit
// status.
func printDemoReport(ctx context.Context, app *App, w *demo.World, o demoOptions) error {
	rep := runChecks(ctx, w.Config, w.Store, nil, checks.Options{})
	err := printReport(app, rep, o.json, o.prometheus)
	if ctx.Err() != nil {
		return &ExitError{Code: ExitUnknown, Err: errors.New("interrupted before every check finished")}
	}
	return err
}

// writeDemoSecrets is the test hook behind demoSecretsEnv: the generated
// secrets, one a line, in a new file only the user can read. An empty path
// writes nothing.
func writeDemoSecrets(path string, secrets []keystore.Secret) error {
	if path == "" {
		return nil
	}
	var b strings.Builder
	for _, s := range secrets {
		b.WriteString(s.Reveal())
		b.WriteByte('\n')
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("%s: %w (the file must not exist yet)", demoSecretsEnv, err)
	}
	if _, err := f.WriteString(b.String()); err != nil {
		_ = f.Close()
		return fmt.Errorf("%s: %w", demoSecretsEnv, err)
	}
	return f.Close()
}

// setenvFor sets an environment variable and returns the function that puts
// the old value back (tests run commands in-process).
func setenvFor(name, value string) (restore func()) {
	old, had := os.LookupEnv(name)
	_ = os.Setenv(name, value)
	return func() {
		if had {
			_ = os.Setenv(name, old)
		} else {
			_ = os.Unsetenv(name)
		}
	}
}
