package activity

import (
	"context"
	"time"
)

// history is the part of orders.json and funds.json that every history
// poll keeps; each check's state embeds it beside its own findings.
type history struct {
	Baseline time.Time `json:"baseline"`
	// Cursor is the end of the last read of the history: the next read
	// starts overlap before it.
	Cursor time.Time `json:"cursor"`
	backoff
	// Decided maps every record already judged (or there before the
	// baseline) to its time, so an overlapping poll or a restart judges it
	// only once.
	Decided map[string]time.Time `json:"decided"`
}

func (h *history) hist() *history { return h }

// source is one check's part of a poll: how to read its history and how
// to judge what it returns. The poll calls these with the state file
// locked, so they may change the check's state.
type source[R any] struct {
	// fetch reads the records made at or after from.
	fetch func(from time.Time) ([]R, error)
	// key names a record within the history and says when it was made.
	key func(R) (string, time.Time)
	// judge decides a record first seen after the baseline; false leaves
	// it undecided, so the next poll (which overlaps this one) sees it
	// again.
	judge func(R) bool
	// every is the least time between two reads of the history (0: every
	// poll reads it), for an exchange whose history costs a large share of
	// its rate limit: between reads a poll only settles, and the state
	// keeps what the last read judged.
	every time.Duration
	// settle runs after the new records are judged, and on a poll that
	// skipped the read because of every: it revisits the check's findings
	// (an ack clears one) and is where any other per-poll work goes. An
	// error aborts the poll and leaves the state file as it was.
	settle func() error
}

// polled is what a poll tells its check besides the state.
type polled struct {
	// first is set when there was no state: this poll set the baseline
	// and judged nothing (what it read predates the baseline).
	first bool
	// lost is set when the last poll was more than maxLookback ago.
	lost bool
	// skipped is set when the last read was less than source.every ago:
	// the history was not read, Cursor is still that read's time.
	skipped bool
	// failed is the exchange's refusal or failure, or errPaused while it
	// asked for a pause: the check is unknown.
	failed error
}

// poll reads the check's state file name into st, reads the history from
// overlap before the last read unless the exchange asked for a pause or
// the last read was less than source.every ago, judges every record not
// decided yet, moves the cursor and writes st back. The error is the
// state file's; the exchange's is polled.failed.
func poll[S interface {
	*T
	hist() *history
}, T any, R any](ctx context.Context, s store, name string, st S, now time.Time, src source[R]) (polled, error) {
	var out polled
	err := update(ctx, s, name, (*T)(st), func(first bool) error {
		out.first = first
		h := st.hist()
		if first {
			h.Baseline, h.Cursor = now, now
		}
		if h.paused(now) {
			out.failed = errPaused{h.PausedUntil}
			return out.failed
		}
		if !first && src.every > 0 && now.Sub(h.Cursor) < src.every {
			out.skipped = true
			return src.settle()
		}
		var from time.Time
		from, out.lost = since(h.Cursor, now)
		records, err := src.fetch(from)
		if err != nil {
			out.failed = err
			if h.rateLimited(err, now) {
				return nil // keep the pause
			}
			return err
		}
		if h.Decided == nil {
			h.Decided = map[string]time.Time{}
		}
		for _, r := range records {
			key, at := src.key(r)
			if _, done := h.Decided[key]; done {
				continue
			}
			if first || src.judge(r) {
				h.Decided[key] = at
			}
		}
		if err := src.settle(); err != nil {
			return err
		}
		h.Cursor = now
		prune(h.Decided, now.Add(-maxLookback-overlap))
		return nil
	})
	if out.failed != nil {
		return out, nil
	}
	return out, err
}
