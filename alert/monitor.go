package alert

import (
	"context"
	"log/slog"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// Monitor runs the checks on a schedule and hands each run's results to the
// metrics and the alerter. Runs never overlap; a run longer than Interval is
// followed at once by the next.
type Monitor struct {
	// Run performs one check run. It must honour ctx.
	Run func(ctx context.Context) []checks.Result
	// Interval between the starts of two runs (default 60 s).
	Interval time.Duration
	// Wake, when not nil, asks for a run now (e.g. the audit-log follower
	// saw an auth failure); wakes during a run are merged into one, and a
	// woken run starts no sooner than MinGap after the previous one.
	Wake    <-chan struct{}
	MinGap  time.Duration // default 5 s
	Alerter *Alerter      // nil: no alerts
	Metrics *Metrics      // nil: no metrics
	Log     *slog.Logger
	// OnRun, when not nil, is called after each run (tests use it).
	OnRun func(rs []checks.Result)
}

// Serve runs until ctx is done, then returns nil. It does not close the
// alerter: the caller decides how long deliveries may take to finish.
func (m *Monitor) Serve(ctx context.Context) error {
	interval := m.Interval
	if interval <= 0 {
		interval = time.Minute
	}
	log := m.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	gap := m.MinGap
	if gap <= 0 {
		gap = 5 * time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		start := time.Now()
		m.once(ctx, log, n == 0)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-m.Wake:
			if wait := gap - time.Since(start); wait > 0 {
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return nil
				case <-t.C:
				case <-tick.C:
					t.Stop()
				}
			}
		}
	}
}

func (m *Monitor) once(ctx context.Context, log *slog.Logger, first bool) {
	if ctx.Err() != nil {
		return
	}
	t0 := time.Now()
	rs := m.Run(ctx)
	if ctx.Err() != nil {
		// A run cut short by shutdown reports "cancelled" everywhere:
		// not a state change worth an alert.
		return
	}
	m.Metrics.SetResults(rs, time.Now())
	if m.Alerter != nil {
		m.Alerter.Observe(rs)
	}
	counts := map[checks.Status]int{}
	worst := checks.OK
	for _, r := range rs {
		counts[r.Status]++
		worst = checks.Worst(worst, r.Status)
	}
	level := slog.LevelDebug
	if first {
		level = slog.LevelInfo
	}
	log.Log(ctx, level, "checks run", "status", worst.String(), "checks", len(rs),
		"crit", counts[checks.Crit], "warn", counts[checks.Warn], "unknown", counts[checks.Unknown],
		"duration_ms", time.Since(t0).Milliseconds())
	if m.OnRun != nil {
		m.OnRun(rs)
	}
}
