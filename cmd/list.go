package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// listEntry is one row of `list`; its JSON form is the spec's
// {"name","exchange","backend","fingerprint","created_at","age_days","rotate_by"}
// plus "stored" (false when the keystore has no key for the profile) and
// "retired" (the keys rotations replaced, by fingerprint).
type listEntry struct {
	Name        string        `json:"name"`
	Exchange    string        `json:"exchange"`
	Backend     string        `json:"backend"`
	Fingerprint *string       `json:"fingerprint"`
	CreatedAt   *time.Time    `json:"created_at"`
	AgeDays     *int          `json:"age_days"`
	RotateBy    *time.Time    `json:"rotate_by"`
	Stored      bool          `json:"stored"`
	Retired     []listRetired `json:"retired"`
}

// listRetired is a retired key of the profile (fingerprint only).
type listRetired struct {
	Fingerprint string     `json:"fingerprint"`
	RetiredAt   time.Time  `json:"retired_at"`
	RevokedAt   *time.Time `json:"revoked_at"`
}

func newListCmd(app *App) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "list [--json]",
		Short: "List profiles: exchange, keystore, key fingerprint, age, rotation due",
		Long: `List the profiles of the config file with the keystore holding their key,
the key's fingerprint (first and last 4 characters; never the key itself),
its age and the date it must be rotated by (created + max_age).`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			entries, orphans, err := listProfiles(c.Context(), app, time.Now())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(app.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(entries)
			}
			printList(app, entries)
			if len(orphans) > 0 {
				fmt.Fprintf(app.Stderr, "stored keys without a profile: %v (remove with 'keywarden remove NAME --yes')\n", orphans)
			}
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return c
}

// listProfiles builds the rows; orphans are stored keys with no profile.
func listProfiles(ctx context.Context, app *App, now time.Time) ([]listEntry, []string, error) {
	cfg, err := app.LoadConfig()
	if err != nil {
		return nil, nil, err
	}
	entries := []listEntry{}
	if len(cfg.Profiles) == 0 {
		return entries, nil, nil
	}
	store, err := app.OpenStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range cfg.Profiles {
		e := listEntry{Name: p.Name, Exchange: p.Exchange, Backend: store.Backend(), Retired: []listRetired{}}
		it, err := store.Get(ctx, p.Name)
		switch {
		case err == nil:
			e.Stored = true
			fp := keystore.Fingerprint(it.APIKey)
			e.Fingerprint = &fp
			for _, r := range it.Retired {
				lr := listRetired{Fingerprint: keystore.Fingerprint(r.APIKey), RetiredAt: r.RetiredAt.UTC()}
				if !r.RevokedAt.IsZero() {
					t := r.RevokedAt.UTC()
					lr.RevokedAt = &t
				}
				e.Retired = append(e.Retired, lr)
			}
		case errors.Is(err, keystore.ErrNotFound):
		default:
			return nil, nil, err
		}
		created := keyCreated(p, it)
		if !created.IsZero() {
			age := int(now.Sub(created) / config.Day)
			rotate := created.Add(p.MaxAge).UTC()
			e.CreatedAt, e.AgeDays, e.RotateBy = &created, &age, &rotate
		}
		entries = append(entries, e)
	}
	names, err := store.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	var orphans []string
	for _, n := range names {
		if _, ok := cfg.Profile(n); !ok && !slices.ContainsFunc(cfg.Alerts, func(a config.Alert) bool { return a.Token == n }) {
			orphans = append(orphans, n)
		}
	}
	return entries, orphans, nil
}

// keyCreated is the profile's created date when set (the user knows best),
// else when the key was first stored.
func keyCreated(p config.Profile, it keystore.Item) time.Time {
	if !p.Created.IsZero() {
		return p.Created.UTC()
	}
	return it.CreatedAt.UTC()
}

func printList(app *App, entries []listEntry) {
	if len(entries) == 0 {
		fmt.Fprintf(app.Stdout, "no profiles in %s: add one with 'keywarden import NAME --exchange EX FILE' or 'keywarden add'\n", app.ConfigFile())
		return
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tEXCHANGE\tKEYSTORE\tKEY\tAGE\tROTATE BY")
	for _, e := range entries {
		fp, age, rot := "not stored", "-", "-"
		if e.Fingerprint != nil {
			fp = *e.Fingerprint
		}
		if e.AgeDays != nil {
			age = fmt.Sprintf("%dd", *e.AgeDays)
			rot = e.RotateBy.Format("2006-01-02")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Exchange, e.Backend, fp, age, rot)
		for _, r := range e.Retired {
			state := "not yet seen revoked (key.retired tests it)"
			if r.RevokedAt != nil {
				state = "revoked " + r.RevokedAt.Format("2006-01-02")
			}
			fmt.Fprintf(tw, "  retired\t\t\t%s\t\t%s\n", r.Fingerprint, state)
		}
	}
	_ = tw.Flush()
}
