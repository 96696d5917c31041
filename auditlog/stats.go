package auditlog

import (
	"sync"
	"time"

	"github.com/keywarden/keywarden/exchange"
)

// statMinutes is how many one-minute buckets Stats keeps (the last hour).
const statMinutes = 60

// Stats counts entries per minute over the last hour: calls, errors, causes
// and leaks. It is safe for concurrent use. Entries without a time count at
// the time they were added.
type Stats struct {
	mu      sync.Mutex
	now     func() time.Time
	buckets [statMinutes]bucket
	last    time.Time
	leaks   int
}

type bucket struct {
	minute  int64 // Unix minute this bucket holds; stale buckets are reset
	entries int
	calls   int
	errors  int
	causes  map[exchange.Cause]int
}

// NewStats returns empty Stats. now is the clock (nil: time.Now).
func NewStats(now func() time.Time) *Stats {
	if now == nil {
		now = time.Now
	}
	return &Stats{now: now}
}

// Add counts one entry.
func (s *Stats) Add(e Entry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := e.Time
	now := s.now()
	if t.IsZero() || t.After(now.Add(time.Minute)) {
		t = now
	}
	if e.Redacted {
		s.leaks++
	}
	if t.After(s.last) {
		s.last = t
	}
	m := t.Unix() / 60
	if m <= now.Unix()/60-statMinutes {
		return // older than the window
	}
	b := &s.buckets[m%statMinutes]
	if b.minute != m {
		*b = bucket{minute: m}
	}
	b.entries++
	if e.IsCall() {
		b.calls++
	}
	if e.IsError() {
		b.errors++
	}
	if e.Cause != exchange.CauseNone {
		if b.causes == nil {
			b.causes = map[exchange.Cause]int{}
		}
		b.causes[e.Cause]++
	}
}

// Snapshot is what Stats saw, as of a moment.
type Snapshot struct {
	LastEntryAt time.Time // zero when no entry was seen
	Entries5m   int
	EntriesHour int
	Errors5m    int
	ErrorsHour  int
	Causes5m    map[exchange.Cause]int
	CausesHour  map[exchange.Cause]int
	// Leaks counts entries with a stored secret, since the Stats were made
	// (not limited to the hour).
	Leaks int
	// CallsPerMinute and ErrorsPerMinute are the last 60 minutes, oldest
	// first; the last element is the current minute. For sparklines.
	CallsPerMinute  [statMinutes]int
	ErrorsPerMinute [statMinutes]int
}

// Snapshot returns the counts as of now.
func (s *Stats) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().Unix() / 60
	snap := Snapshot{
		LastEntryAt: s.last,
		Leaks:       s.leaks,
		Causes5m:    map[exchange.Cause]int{},
		CausesHour:  map[exchange.Cause]int{},
	}
	for i := 0; i < statMinutes; i++ {
		m := now - int64(statMinutes-1-i)
		b := &s.buckets[((m%statMinutes)+statMinutes)%statMinutes]
		if b.minute != m {
			continue
		}
		recent := now-m < 5
		snap.CallsPerMinute[i] = b.calls
		snap.ErrorsPerMinute[i] = b.errors
		snap.EntriesHour += b.entries
		snap.ErrorsHour += b.errors
		if recent {
			snap.Entries5m += b.entries
			snap.Errors5m += b.errors
		}
		for c, n := range b.causes {
			snap.CausesHour[c] += n
			if recent {
				snap.Causes5m[c] += n
			}
		}
	}
	return snap
}

// AuthFailuresHour returns the auth-failure causes of the last hour and
// their total.
func (sn Snapshot) AuthFailuresHour() (map[exchange.Cause]int, int) {
	out := map[exchange.Cause]int{}
	total := 0
	for c, n := range sn.CausesHour {
		if IsAuthCause(c) {
			out[c] = n
			total += n
		}
	}
	return out, total
}
