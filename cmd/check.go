package cmd

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/checks/all"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// checkOptions are `check`'s flags.
type checkOptions struct {
	json       bool
	prometheus bool
	profiles   []string
	offline    bool
	strict     bool
}

func newCheckCmd(app *App) *cobra.Command {
	var o checkOptions
	c := &cobra.Command{
		Use:   "check [--json|--prometheus] [--profile NAME]... [--offline] [--strict]",
		Short: "One-shot pre-launch inspection of clock, network, keys, permissions and hygiene",
		Long: `Run every check once, in parallel, and print the report: the host's clock
(kernel, NTP, each exchange's server time), its public IPv4/IPv6 against each
key's whitelist, each key's age and permissions as the exchange reports them,
the keystore, the bot's audit log, and the project tree and its git history
for exposed keys.

--offline leaves out the checks that need the network. --strict counts a
check that could not run (unknown) as critical. --json prints the report as
JSON (version 1) and --prometheus in the Prometheus text format.

Exit status: 0 ok, 1 warn, 2 crit, 3 unknown (a check could not run), the
worst check winning in the order crit > unknown > warn > ok; 64 usage error.`,
		Example: `  keywarden check
  keywarden check --profile binance-main --json
  ExecStartPre=/usr/local/bin/keywarden check --profile binance-main --strict`,
		Args:              cobra.NoArgs,
		ValidArgsFunction: cobra.NoFileCompletions,
		RunE: func(c *cobra.Command, _ []string) error {
			if o.json && o.prometheus {
				return usageError("--json and --prometheus cannot be combined: pick one output format")
			}
			return runCheckReport(c.Context(), app, o)
		},
	}
	f := c.Flags()
	f.BoolVar(&o.json, "json", false, "print the report as JSON (version 1)")
	f.BoolVar(&o.prometheus, "prometheus", false, "print the report in the Prometheus text format")
	f.StringArrayVar(&o.profiles, "profile", nil, "check only this profile (repeatable; host checks always run)")
	f.BoolVar(&o.offline, "offline", false, "skip the checks that need the network")
	f.BoolVar(&o.strict, "strict", false, "count unknown as crit")
	_ = c.RegisterFlagCompletionFunc("profile", completeProfiles(app))
	return c
}

// runCheckReport runs the checks and prints the report on app.Stdout; the
// error carries the exit status (nil for ok). The bare `keywarden` calls it
// when stdout is not a terminal, so scripts and pipes get the report, never
// escape codes.
func runCheckReport(ctx context.Context, app *App, o checkOptions) error {
	cfg, err := app.LoadConfig()
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	if bad := checks.UnknownProfiles(cfg, o.profiles); len(bad) > 0 {
		return usageError("no profile %s in %s: run 'keywarden list' to see the profiles", strings.Join(bad, ", "), app.ConfigFile())
	}
	store, storeErr, err := app.openStoreLenient(ctx, cfg)
	if err != nil {
		return err
	}
	rep := runChecks(ctx, cfg, store, storeErr, checks.Options{Profiles: o.profiles, Offline: o.offline, Strict: o.strict})
	return printReport(app, rep, o.json, o.prometheus)
}

// printReport writes rep on app.Stdout as JSON, Prometheus text or the
// text report (coloured on a terminal); the error carries the exit status
// (nil for ok). `check`, the bare `keywarden` and `demo --check` use it.
func printReport(app *App, rep checks.Report, asJSON, asPrometheus bool) error {
	var err error
	switch {
	case asJSON:
		err = checks.WriteJSON(app.Stdout, rep)
	case asPrometheus:
		err = checks.WritePrometheus(app.Stdout, rep)
	default:
		err = checks.WriteText(app.Stdout, rep, useColor(app, app.Stdout))
	}
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: fmt.Errorf("writing the report: %w", err)}
	}
	if code := checks.ExitCode(rep.Status); code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}

// checkDeps are the dependencies `check` and the `exec` gate run with: the
// same checks as the dashboard and `watch`, including the audit log and the
// git-history leak scan.
func checkDeps(cfg *config.Config, store keystore.Store, storeErr error) checks.Deps {
	return checks.Deps{
		Config:   cfg,
		Store:    store,
		StoreErr: storeErr,
		Extra:    all.Extra(""),
	}
}

// runChecks builds and runs the checks; the report's status honours Strict.
func runChecks(ctx context.Context, cfg *config.Config, store keystore.Store, storeErr error, o checks.Options) checks.Report {
	deps := checkDeps(cfg, store, storeErr)
	rep := checks.Run(ctx, checks.NewEnv(deps), checks.Build(deps, o))
	rep.Status = rep.Overall(o.Strict)
	return rep
}

// useColor: colours only on a terminal, and never with --no-color or NO_COLOR.
func useColor(app *App, w io.Writer) bool {
	return !app.NoColor && isTerminal(w)
}

// preLaunchGate is `exec`'s Gate: the host checks and the profile's checks,
// judged by checks.JudgeGate (strict with --strict or gate.unknown =
// "refuse"). The report goes to stderr (stdout belongs to the bot). A
// refusal is exit 2 unless --force.
func (a *App) preLaunchGate(ctx context.Context, cfg *config.Config, p config.Profile, o GateOptions) error {
	store, storeErr, err := a.openStoreLenient(ctx, cfg)
	if err != nil {
		return err
	}
	rep := runChecks(ctx, cfg, store, storeErr, checks.Options{Profiles: []string{p.Name}})
	if rep.Status == checks.OK {
		fmt.Fprintf(a.Stderr, "keywarden: %d checks ok for %s\n", len(rep.Checks), p.Name)
		return nil
	}
	if err := checks.WriteText(a.Stderr, rep, useColor(a, a.Stderr)); err != nil {
		return err
	}
	strict := o.Strict || cfg.Gate.Unknown == "refuse"
	v := checks.JudgeGate(rep, p.Name, checks.GatePolicy{Strict: strict})
	for _, n := range v.Notes {
		fmt.Fprintf(a.Stderr, "keywarden: %s\n", n)
	}
	if len(v.Refuse) == 0 {
		return nil
	}
	var why []string
	for _, f := range v.Refuse {
		name := f.Result.ID
		if f.Result.Profile != "" {
			name += " (" + f.Result.Profile + ")"
		}
		why = append(why, name+": "+f.Why)
	}
	if o.Force {
		fmt.Fprintf(a.Stderr, "keywarden: starting %s despite %s (--force)\n", p.Name, plural(len(why), "refusing finding"))
		return nil
	}
	return &ExitError{Code: ExitCrit, Err: fmt.Errorf("refusing to start the bot for %s:\n  %s\nfix the findings above, or pass --force to start anyway",
		p.Name, strings.Join(why, "\n  "))}
}
