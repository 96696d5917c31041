package cmd

import (
	"context"
	"os"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
	"github.com/keywarden/keywarden/ui"
)

// runDashboard is the bare `keywarden`: the dashboard on a terminal, the
// check report otherwise.
func runDashboard(app *App, c *cobra.Command, _ []string) error {
	ctx := c.Context()
	if !isTerminal(app.Stdout) {
		return runCheckReport(ctx, app, checkOptions{})
	}
	cfg, err := app.LoadConfig()
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	store, storeErr, err := app.openStoreLenient(ctx, cfg)
	if err != nil {
		return err
	}
	return ui.Run(ctx, dashboardOptions(app, cfg, store, storeErr, storedSecrets(ctx, store, cfg)))
}

// dashboardOptions wires a config, its opened keystore (or the error that
// kept it closed) and the stored secrets into the dashboard: the checks
// engine with the same checks as `check`, and an audit-log feed for every
// profile that has one. `keywarden demo` calls it with its simulated world.
func dashboardOptions(app *App, cfg *config.Config, store keystore.Store, storeErr error, secrets []keystore.Secret) ui.Options {
	deps := checkDeps(cfg, store, storeErr)
	env := checks.NewEnv(deps)
	opts := ui.Options{
		Run:     ui.ChecksRunner(env, checks.Build(deps, checks.Options{})),
		Forget:  env.Invalidate,
		Audit:   map[string]ui.AuditFeed{},
		Host:    env.Host(),
		Backend: "unavailable",
		Secrets: secrets,
		Output:  app.Stdout,
		NoColor: app.NoColor,
		// Off by default: mouse capture stops the terminal's own text
		// selection, which people use to copy an IP or a path over SSH.
		Mouse: os.Getenv("KEYWARDEN_MOUSE") == "1",
	}
	if store != nil {
		opts.Backend = store.Backend()
	}
	if isTerminal(app.Stdin) {
		opts.Input = app.Stdin
	}
	for _, p := range cfg.Profiles {
		opts.Profiles = append(opts.Profiles, p.Name)
		if p.AuditLog != "" {
			// Every profile's secrets are redacted from every log: a bot
			// may log another bot's key.
			opts.Audit[p.Name] = ui.FollowLog(p.AuditLog, p.Exchange, secrets)
		}
	}
	return opts
}

// storedSecrets reads every stored value (every item, current and retired)
// for redaction. An item that cannot be read contributes nothing; its
// checks say why.
func storedSecrets(ctx context.Context, store keystore.Store, cfg *config.Config) []keystore.Secret {
	if store == nil {
		return nil
	}
	out, _ := everyStoredSecret(ctx, store, cfg)
	return out
}

// isTerminal reports whether v is an *os.File open on a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
