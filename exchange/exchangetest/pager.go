package exchangetest

import (
	"errors"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"time"
)

// What the activity fakes share: a history of records that tests add to
// while a client reads it, and the reading of a history endpoint's time
// window and page. Each fake keeps its exchange's own bounds, order and
// error answers; these only do the arithmetic.

// records is one kind of record in a fake's history (orders, withdrawals…),
// safe for a test adding while the client under test reads.
type records[T any] struct {
	mu   sync.Mutex
	list []T
	// made counts the ids addNew has made up.
	made int
}

// add records rec.
func (l *records[T]) add(rec T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.list = append(l.list, rec)
}

// addNew records rec and returns its id: *id(&rec), or when that is empty
// the n-th id the exchange would make up, from fresh (n counts from 1).
func (l *records[T]) addNew(rec T, id func(*T) *string, fresh func(n int) string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if p := id(&rec); *p == "" {
		l.made++
		*p = fresh(l.made)
	}
	l.list = append(l.list, rec)
	return *id(&rec)
}

// all is a copy of the records in the order they were added.
func (l *records[T]) all() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.list)
}

// kept is a copy of the records keep accepts, in the order they were added.
func (l *records[T]) kept(keep func(T) bool) []T {
	return slices.DeleteFunc(l.all(), func(rec T) bool { return !keep(rec) })
}

// newestFirst sorts recs by at, newest first; records of the same time
// stay in the order they were added, as they do on the exchanges.
func newestFirst[T any](recs []T, at func(T) time.Time) []T {
	slices.SortStableFunc(recs, func(a, b T) int { return at(b).Compare(at(a)) })
	return recs
}

// cutPage cuts the page of limit records from offset (clamped to recs) and
// returns the offset of the next page, 0 when this one is the last.
func cutPage[T any](recs []T, offset, limit int) (cut []T, next int) {
	from := min(max(offset, 0), len(recs))
	to := min(len(recs), from+limit)
	if to < len(recs) {
		next = to
	}
	return recs[from:to], next
}

// within reports whether t is in [start, end], both bounds included, as
// most history endpoints take them.
func within(t, start, end time.Time) bool {
	return !t.Before(start) && !t.After(end)
}

// intParam reads s as a whole number in [lo, hi], def when s is empty.
func intParam(s string, def, lo, hi int) (int, bool) {
	if s == "" {
		return def, true
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// millisParam reads s as milliseconds since the epoch; set is false when
// s is empty.
func millisParam(s string) (t time.Time, set bool, err error) {
	if s == "" {
		return time.Time{}, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(n), true, nil
}

// msWindow is how a history endpoint reads its time window from two query
// parameters in milliseconds.
type msWindow struct {
	start, end string // the parameters' names
	// def is the window taken when a bound is missing: it ends now, or,
	// with fromStart, def after a start given alone.
	def       time.Duration
	fromStart bool
	// max is the longest window the endpoint accepts; 0 is any.
	max time.Duration
}

// errWindowTooLong is a window longer than the endpoint's max.
var errWindowTooLong = errors.New("window too long")

// badParamError is a window bound that is not a whole number.
type badParamError struct{ name string }

func (e *badParamError) Error() string { return e.name + " is not a number" }

// read returns the window q asks for at now. The error is a
// *badParamError or errWindowTooLong, for the fake to answer in its
// exchange's words.
func (m msWindow) read(q url.Values, now time.Time) (start, end time.Time, err error) {
	end = now
	start = end.Add(-m.def)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{m.start, &start}, {m.end, &end}} {
		t, set, err := millisParam(q.Get(p.name))
		if err != nil {
			return time.Time{}, time.Time{}, &badParamError{p.name}
		}
		if set {
			*p.dst = t
		}
	}
	if m.fromStart && q.Get(m.start) != "" && q.Get(m.end) == "" {
		end = start.Add(m.def)
	}
	if m.max > 0 && end.Sub(start) > m.max {
		return time.Time{}, time.Time{}, errWindowTooLong
	}
	return start, end, nil
}
