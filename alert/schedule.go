package alert

import (
	"sync"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// DefaultCadence is how often each check runs at most under `watch`: its
// spec's cadence, the same the dashboard refreshes its pane with. A check id
// not listed runs on every run. The watch interval is a floor: a check never
// runs more often than the runs themselves.
var DefaultCadence = checks.Cadence()

// Schedule decides which checks are due in a run. Safe for concurrent use:
// Force may be called from another goroutine (the audit-log follower).
type Schedule struct {
	every    map[string]time.Duration
	interval time.Duration

	mu     sync.Mutex
	last   map[string]time.Time // by result key (id/profile)
	forced map[string]bool      // by check id
}

// NewSchedule returns a schedule with the given cadences (by check id) for
// runs every interval. A check is due when its cadence (at least the
// interval) has passed, less half an interval: ticks drift, and a 5-minute
// check should not wait a whole extra tick.
func NewSchedule(every map[string]time.Duration, interval time.Duration) *Schedule {
	return &Schedule{every: every, interval: interval, last: map[string]time.Time{}, forced: map[string]bool{}}
}

// Force makes every check with this id due in the next run.
func (s *Schedule) Force(id string) {
	s.mu.Lock()
	s.forced[id] = true
	s.mu.Unlock()
}

// Due returns the checks of cs due at now and records them as run.
func (s *Schedule) Due(cs []checks.Check, now time.Time) []checks.Check {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []checks.Check
	for _, c := range cs {
		key := checks.Result{ID: c.ID(), Profile: c.Profile()}.Key()
		last, ran := s.last[key]
		if !ran || s.forced[c.ID()] || now.Sub(last) >= max(s.every[c.ID()], s.interval)-s.interval/2 {
			s.last[key] = now
			out = append(out, c)
		}
	}
	clear(s.forced)
	return out
}

// Forced reports whether a Force is waiting for the next run.
func (s *Schedule) Forced() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.forced) > 0
}
