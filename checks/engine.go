package checks

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// Deps is everything a run needs. Zero values get defaults.
type Deps struct {
	Config *config.Config
	// Store is the opened keystore; nil makes the key checks report unknown
	// (StoreErr, when set, says why).
	Store    keystore.Store
	StoreErr error
	// NewClient builds an exchange client for a profile; nil uses
	// exchange.New(p.Exchange, p.BaseURL, HTTP).
	NewClient func(p config.Profile) (exchange.Client, error)
	// HTTP is the base client for public-IP sources (and exchange clients
	// built by the default NewClient); nil uses exchange.DefaultHTTPClient.
	HTTP *http.Client
	// Now is the clock used for key ages and report times; nil is time.Now.
	// Network round trips are always timed with the real clock.
	Now func() time.Time
	// Hostname is the report's host; "" uses os.Hostname.
	Hostname string
	// Timeout is each check's deadline (default 10 s). Shared work (a
	// server-time sample set, an IP lookup) gets the same deadline.
	Timeout time.Duration
	// MaxAge is how long an Env reuses shared work (default 20 s), so a
	// dashboard that reuses one Env refreshes server time, egress IP and key
	// info at most that often.
	MaxAge time.Duration
	// Extra builds additional per-profile checks registered by other
	// packages (hygiene.history, auditlog). A constructor returns nil when the
	// check does not apply to the profile. A check that implements
	// NetworkCheck and answers true is left out by Options.Offline.
	Extra []func(p config.Profile) Check
	// ExtraHost builds additional host-scope checks; nil results are skipped.
	ExtraHost []func() Check
}

// Options select which checks a run includes.
type Options struct {
	Profiles []string // only these profiles (all when empty)
	Offline  bool     // leave out checks that need the network
	Strict   bool     // count unknown as crit in the overall status
}

// Check is one inspection. Run must honour ctx's deadline; the runner turns a
// check that panics or overruns it into an unknown result.
type Check interface {
	ID() string      // stable id from the spec, e.g. "clock.ntp"
	Profile() string // "" for host-scope checks
	Run(ctx context.Context, env *Env) Result
}

// NetworkCheck is implemented by checks that need the network, so --offline
// can leave them out.
type NetworkCheck interface {
	Network() bool
}

// Func adapts a function to Check. Other packages use it to register checks
// through Deps.Extra. Whether it needs the network is its spec's.
type Func struct {
	CheckID     string
	ProfileName string
	Fn          func(ctx context.Context, env *Env) Result
}

// ID implements Check.
func (f Func) ID() string { return f.CheckID }

// Profile implements Check.
func (f Func) Profile() string { return f.ProfileName }

// Network implements NetworkCheck from the check's spec.
func (f Func) Network() bool {
	s, _ := SpecFor(f.CheckID)
	return s.Network
}

// Run implements Check.
func (f Func) Run(ctx context.Context, env *Env) Result { return f.Fn(ctx, env) }

// unregistered stands in for a check whose spec is missing or disagrees.
type unregistered struct{ Check }

func (u unregistered) Run(context.Context, *Env) Result {
	return Result{Status: Unknown,
		Summary: fmt.Sprintf("check %q is not registered (no spec, or the wrong scope)", u.ID()),
		Hint:    "this is a keywarden bug; please report it with the output of `keywarden check --json`"}
}

// Build returns the checks for d.Config: host checks first, then each
// selected profile's checks, in config order. Unknown names in o.Profiles
// are ignored here; callers validate them (see UnknownProfiles). A check
// without a spec, or whose scope disagrees with its spec, is a wiring
// mistake: it is replaced by one that reports unknown and says so, rather
// than silently never shown or scheduled.
func Build(d Deps, o Options) []Check {
	var out []Check
	add := func(c Check) {
		if c == nil {
			return
		}
		if nc, ok := c.(NetworkCheck); ok && o.Offline && nc.Network() {
			return
		}
		if s, ok := SpecFor(c.ID()); !ok || s.Host != (c.Profile() == "") {
			c = unregistered{c}
		}
		out = append(out, c)
	}
	for _, sp := range specs {
		if sp.Host && sp.run != nil {
			add(sp.check(config.Profile{}, o))
		}
	}
	for _, f := range d.ExtraHost {
		add(f())
	}
	if d.Config == nil {
		return out
	}
	for _, p := range d.Config.Profiles {
		if !selected(p.Name, o.Profiles) {
			continue
		}
		for _, sp := range specs {
			if !sp.Host && sp.run != nil && (sp.applies == nil || sp.applies(p)) {
				add(sp.check(p, o))
			}
		}
		for _, f := range d.Extra {
			add(f(p))
		}
	}
	return out
}

// UnknownProfiles returns the names in o.Profiles that cfg does not define.
func UnknownProfiles(cfg *config.Config, names []string) []string {
	var bad []string
	for _, n := range names {
		if cfg == nil {
			bad = append(bad, n)
			continue
		}
		if _, ok := cfg.Profile(n); !ok {
			bad = append(bad, n)
		}
	}
	return bad
}

func selected(name string, only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, n := range only {
		if n == name {
			return true
		}
	}
	return false
}

// Report is one run's outcome. Its JSON form is the spec's `check --json`
// version 1.
type Report struct {
	Version   int
	Host      string
	StartedAt time.Time
	Duration  time.Duration
	Status    Status // worst of Checks (non-strict); see Overall
	Checks    []Result
}

// Overall is the report's status: the worst check, with unknown counted as
// crit when strict.
func (r Report) Overall(strict bool) Status {
	w := OK
	for _, c := range r.Checks {
		s := c.Status
		if strict && s == Unknown {
			s = Crit
		}
		w = Worst(w, s)
	}
	return w
}

// ExitCode is the process exit code for an overall status (Nagios
// convention: 0 ok, 1 warn, 2 crit, 3 unknown).
func ExitCode(s Status) int {
	switch s {
	case OK, Warn, Crit, Unknown:
		return int(s)
	}
	return int(Unknown)
}

// grace is how long past its deadline the runner waits for a check before
// giving up on it.
const grace = 250 * time.Millisecond

// Run runs cs in parallel, each with the Env's per-check deadline, and
// returns the report in cs's order. A check that panics or does not return
// in time is reported unknown with the reason; Run never waits for it longer
// than the deadline plus a short grace.
func Run(ctx context.Context, env *Env, cs []Check) Report {
	start := env.now()
	t0 := time.Now()
	results := make([]Result, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = RunOne(ctx, env, c)
		}()
	}
	wg.Wait()
	rep := Report{
		Version:   1,
		Host:      env.host,
		StartedAt: start.UTC(),
		Duration:  time.Since(t0),
		Checks:    results,
	}
	rep.Status = rep.Overall(false)
	return rep
}

// RunOne runs a single check with the Env's deadline, recovering panics and
// abandoning a check that overruns.
func RunOne(ctx context.Context, env *Env, c Check) Result {
	cctx, cancel := context.WithTimeout(ctx, env.timeout)
	defer cancel()
	t0 := time.Now()
	ch := make(chan Result, 1)
	go func() {
		defer func() {
			if v := recover(); v != nil {
				ch <- Result{Status: Unknown,
					Summary: fmt.Sprintf("check failed: internal error: %v", v),
					Hint:    "this is a keywarden bug; please report it with the output of `keywarden check --json`",
					Details: map[string]any{"panic": fmt.Sprint(v)}}
			}
		}()
		ch <- c.Run(cctx, env)
	}()
	var r Result
	timer := time.NewTimer(env.timeout + grace)
	defer timer.Stop()
	select {
	case r = <-ch:
	case <-timer.C:
		r = Result{Status: Unknown,
			Summary: fmt.Sprintf("no answer within %s", env.timeout),
			Hint:    "something it depends on is not answering; run the check again, or use --offline to skip network checks"}
	case <-ctx.Done():
		r = Result{Status: Unknown, Summary: "cancelled before the check finished"}
	}
	r.ID, r.Profile = c.ID(), c.Profile()
	r.Duration = time.Since(t0)
	if r.Details == nil {
		r.Details = map[string]any{}
	}
	return r
}

// Hostname returns the local host name, or "unknown".
func Hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "unknown"
	}
	return h
}
