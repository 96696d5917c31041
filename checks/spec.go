package checks

import (
	"context"
	"fmt"
	"time"

	"github.com/keywarden/keywarden/config"
)

// Section is where a check's results are shown: a pane of the dashboard and
// a heading of the text report, in this order.
type Section int

// Sections, in the dashboard's focus order and the text report's order.
const (
	SectionClock Section = iota
	SectionNetwork
	SectionKeys
	SectionPermissions
	SectionAudit
	SectionHygiene
	SectionActivity
	NumSections
)

// String is the section's title.
func (s Section) String() string {
	if s < 0 || s >= NumSections {
		return fmt.Sprintf("Section(%d)", int(s))
	}
	return [...]string{"Clock", "Network", "Keys", "Permissions", "Audit log", "Hygiene", "Activity"}[s]
}

// Spec is everything the rest of the program knows about a check besides
// how it runs: the engine, the dashboard's panes and schedule, watch's
// schedule and every printer read it from here, so a check cannot be half
// added. Build refuses a check that has no spec.
type Spec struct {
	ID      string
	Section Section
	// Host is true for host-scope checks (one result per run), false for
	// per-profile checks (one result per profile it applies to).
	Host bool
	// Network is true for checks that need the network; --offline leaves
	// them out.
	Network bool
	// Every is how often the dashboard refreshes the check and watch runs
	// it at most.
	Every time.Duration
	// Label names a host-scope result in the report's and the panes' label
	// column; profile-scope results are labelled with the profile.
	Label string

	// run is how a check of this package runs (host checks get the zero
	// Profile); nil for the checks built elsewhere (checks/all).
	run func(ctx context.Context, env *Env, p config.Profile, o Options) Result
	// applies says whether a profile-scope check applies to p; nil: always.
	applies func(p config.Profile) bool
}

// check builds the spec's check for p (the zero Profile for a host check).
func (s Spec) check(p config.Profile, o Options) Check {
	return Func{CheckID: s.ID, ProfileName: p.Name,
		Fn: func(ctx context.Context, env *Env) Result { return s.run(ctx, env, p, o) }}
}

// host and prof adapt this package's run functions to Spec.run.
func host(f func(context.Context, *Env) Result) func(context.Context, *Env, config.Profile, Options) Result {
	return func(ctx context.Context, env *Env, _ config.Profile, _ Options) Result { return f(ctx, env) }
}

func prof(f func(context.Context, *Env, config.Profile) Result) func(context.Context, *Env, config.Profile, Options) Result {
	return func(ctx context.Context, env *Env, p config.Profile, _ Options) Result { return f(ctx, env, p) }
}

// specs is the one list of checks, in report order, with how this
// package's checks run: adding a check here is the whole registration. The
// ones built by other packages (hygiene.history, auditlog; their
// constructors are in checks/all) are listed too: their ids are facts every
// printer and scheduler needs.
var specs = []Spec{
	{ID: "clock.sync", Section: SectionClock, Host: true, Every: 30 * time.Second, Label: "kernel", run: host(runClockSync)},
	{ID: "clock.ntp", Section: SectionClock, Host: true, Network: true, Every: 30 * time.Second, Label: "NTP", run: host(runClockNTP)},
	{ID: "clock.exchange", Section: SectionClock, Network: true, Every: 30 * time.Second, run: prof(runClockExchange)},
	{ID: "ip.public", Section: SectionNetwork, Host: true, Network: true, Every: 5 * time.Minute, Label: "egress", run: host(runIPPublic)},
	{ID: "ip.whitelist", Section: SectionNetwork, Network: true, Every: 5 * time.Minute, run: prof(runIPWhitelist)},
	{ID: "keystore", Section: SectionKeys, Host: true, Every: 10 * time.Minute, Label: "keystore", run: host(runKeystore)},
	{ID: "key.age", Section: SectionKeys, Every: 10 * time.Minute,
		run: func(ctx context.Context, env *Env, p config.Profile, o Options) Result {
			return runKeyAge(ctx, env, p, o.Offline)
		}},
	{ID: "key.permissions", Section: SectionPermissions, Network: true, Every: 10 * time.Minute, run: prof(runKeyPermissions)},
	{ID: "key.retired", Section: SectionPermissions, Network: true, Every: 10 * time.Minute, run: prof(runKeyRetired)},
	{ID: "auditlog", Section: SectionAudit, Every: time.Minute},
	{ID: "hygiene.files", Section: SectionHygiene, Every: 10 * time.Minute, run: prof(runHygieneFiles),
		applies: func(p config.Profile) bool { return p.Project != "" }},
	{ID: "hygiene.history", Section: SectionHygiene, Every: 10 * time.Minute},
	{ID: "activity.orders", Section: SectionActivity, Network: true, Every: time.Minute},
	{ID: "activity.funds", Section: SectionActivity, Network: true, Every: time.Minute},
	{ID: "activity.key", Section: SectionActivity, Network: true, Every: time.Minute},
}

// Specs returns every check's spec, in report order.
func Specs() []Spec { return append([]Spec(nil), specs...) }

// SpecFor returns the spec of check id.
func SpecFor(id string) (Spec, bool) {
	for _, s := range specs {
		if s.ID == id {
			return s, true
		}
	}
	return Spec{}, false
}

// SectionIDs returns the ids of the checks shown in section s, in report
// order.
func SectionIDs(s Section) []string {
	var ids []string
	for _, sp := range specs {
		if sp.Section == s {
			ids = append(ids, sp.ID)
		}
	}
	return ids
}

// Cadence returns each check's Every by id, for watch's schedule.
func Cadence() map[string]time.Duration {
	m := make(map[string]time.Duration, len(specs))
	for _, s := range specs {
		m[s.ID] = s.Every
	}
	return m
}

// Label is how a result is named in a label column: the spec's label for a
// host-scope check, the profile for a profile-scope one, and the id too
// when the check has no spec (a result read from elsewhere).
func Label(r Result) string {
	s, ok := SpecFor(r.ID)
	switch {
	case !ok && r.Profile != "":
		return r.Profile + " " + r.ID
	case r.Profile != "":
		return r.Profile
	case s.Label != "":
		return s.Label
	}
	return r.ID
}
