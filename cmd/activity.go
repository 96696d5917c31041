package cmd

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
)

// activityOptions are `activity`'s flags.
type activityOptions struct {
	since time.Duration
	json  bool
}

// activityReport is `activity --json`.
type activityReport struct {
	Version  int                 `json:"version"`
	Since    time.Time           `json:"since"`
	Profiles []activity.Timeline `json:"profiles"`
}

func newActivityCmd(app *App) *cobra.Command {
	o := activityOptions{since: 24 * time.Hour}
	var since string
	c := &cobra.Command{
		Use:   "activity [NAME] [--since D] [--json]",
		Short: "The exchange-side timeline of orders, withdrawals, transfers and key changes, ours or not",
		Long: `Read each profile's own history on the exchange (orders, withdrawals,
transfers, deposits), the key changes activity.key recorded and, on Binance,
the balance moves activity.orders could not explain, and mark each entry
ours: true or false with the evidence: the order id or client order id
found in the bot's audit log, an address the profile allows, an ack. What an
exchange does not let keywarden see is listed under each profile
(docs/activity.md). The activity.* checks of check, the dashboard and watch
alert on the same facts; this command only reads.

--since takes a duration like 90m, 12h or 7d (default 24h).

Exit status: 0 when every entry is ours, 2 when one is not, 3 when a
profile's history could not be read; 64 usage error.`,
		Example: `  keywarden activity
  keywarden activity binance-main --since 7d --json
  keywarden activity ack binance-main 91823`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(c *cobra.Command, args []string) error {
			if since != "" {
				d, err := config.ParseDuration(since)
				if err != nil || d <= 0 {
					return usageError("--since is not a duration like 90m, 12h or 7d")
				}
				o.since = d
			}
			return runActivity(c, app, args, o)
		},
	}
	c.Flags().StringVar(&since, "since", "", "how far back to read (default 24h)")
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	c.AddCommand(newActivityAckCmd(app))
	return c
}

func runActivity(c *cobra.Command, app *App, args []string, o activityOptions) error {
	ctx := c.Context()
	cfg, err := app.LoadConfig()
	if err != nil {
		return &ExitError{Code: ExitUnknown, Err: err}
	}
	if bad := checks.UnknownProfiles(cfg, args); len(bad) > 0 {
		return usageError("no profile %s in %s: run 'keywarden list' to see the profiles", strings.Join(bad, ", "), app.ConfigFile())
	}
	store, storeErr, err := app.openStoreLenient(ctx, cfg)
	if err != nil {
		return err
	}
	env := checks.NewEnv(checkDeps(cfg, store, storeErr))
	now := env.Now()
	rep := activityReport{Version: 1, Since: now.Add(-o.since).UTC(), Profiles: []activity.Timeline{}}
	for _, p := range cfg.Profiles {
		if len(args) > 0 && p.Name != args[0] {
			continue
		}
		rep.Profiles = append(rep.Profiles, activity.Read(ctx, env, p, "", rep.Since))
	}
	if o.json {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return &ExitError{Code: ExitUnknown, Err: err}
		}
	} else {
		printActivity(app, rep)
	}
	code := ExitOK
	for _, tl := range rep.Profiles {
		if tl.Err != "" {
			code = ExitUnknown
		}
	}
	for _, tl := range rep.Profiles {
		for _, e := range tl.Events {
			if !e.Ours && e.Verdict != string(activity.Pending) && e.Verdict != string(activity.System) {
				code = ExitCrit
			}
		}
	}
	if code != ExitOK {
		return &ExitError{Code: code}
	}
	return nil
}

func printActivity(app *App, rep activityReport) {
	if len(rep.Profiles) == 0 {
		fmt.Fprintf(app.Stdout, "no profiles in %s\n", app.ConfigFile())
		return
	}
	for i, tl := range rep.Profiles {
		if i > 0 {
			fmt.Fprintln(app.Stdout)
		}
		fmt.Fprintf(app.Stdout, "%s (%s) since %s\n", tl.Profile, tl.Exchange, rep.Since.Format(time.RFC3339))
		if len(tl.Events) == 0 {
			fmt.Fprintln(app.Stdout, "  nothing on the exchange's record")
		} else {
			tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  TIME\tKIND\tID\tWHAT\tOURS\tEVIDENCE")
			for _, e := range tl.Events {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%v\t%s\n", e.Time.UTC().Format(time.RFC3339), e.Kind, e.ID, what(e), e.Ours, e.Evidence)
			}
			_ = tw.Flush()
		}
		if tl.Err != "" {
			fmt.Fprintf(app.Stdout, "  could not read: %s\n", tl.Err)
		}
		for _, b := range tl.BlindSpots {
			fmt.Fprintf(app.Stdout, "  not seen: %s\n", b)
		}
	}
}

// what is an event's one-line description.
func what(e activity.Event) string {
	switch e.Kind {
	case "order":
		s := strings.TrimSpace(e.Side + " " + e.Size + " " + e.Symbol)
		if e.ClientOrderID != "" {
			s += " client id " + e.ClientOrderID
		}
		if e.Origin != "" {
			s += " origin " + e.Origin
		}
		return s
	case "key":
		return e.Field + " " + e.Before + " → " + e.After
	case "balance":
		s := e.Asset + " " + e.Before + " → " + e.After
		if e.Window != nil {
			s += " between " + e.Window.From.Format(time.RFC3339) + " and " + e.Window.To.Format(time.RFC3339)
		}
		return s
	}
	s := e.Amount + " " + e.Asset
	if e.To != "" {
		s += " " + e.To
	}
	return s
}

func newActivityAckCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "ack NAME ID...",
		Short: "Acknowledge orders, withdrawals or a key change as your own",
		Long: `Remember IDs (exchange order ids, withdrawal or transfer ids, balance:ASSET:UNIX
for a Binance balance move, or "key" for the key's changes seen so far) as
the trader's own doing, so the activity checks stop alerting on them. Acks
are kept under
$XDG_STATE_HOME/keywarden/activity/NAME/acks.json.`,
		Example:           `  keywarden activity ack binance-main 91823 key`,
		Args:              cobra.MinimumNArgs(2),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(c *cobra.Command, args []string) error {
			cfg, err := app.LoadConfig()
			if err != nil {
				return &ExitError{Code: ExitUnknown, Err: err}
			}
			if _, ok := cfg.Profile(args[0]); !ok {
				return usageError("no profile %s in %s: run 'keywarden list' to see the profiles", args[0], app.ConfigFile())
			}
			for _, id := range args[1:] {
				if id == "" || len(id) > 128 || strings.ContainsAny(id, " \t\r\n") {
					return usageError("an id is empty, too long or has spaces: pass the ids as activity or check prints them")
				}
			}
			if err := activity.Ack(c.Context(), "", args[0], args[1:], time.Now()); err != nil {
				return &ExitError{Code: ExitUnknown, Err: err}
			}
			fmt.Fprintf(app.Stdout, "acknowledged for %s: %s\n", args[0], strings.Join(args[1:], " "))
			return nil
		},
	}
}
