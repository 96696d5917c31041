package activity

import (
	"errors"
	"time"

	"github.com/keywarden/keywarden/exchange"
)

// minPause is the shortest pause after a rate-limit answer: one poll.
const minPause = time.Minute

// backoff keeps a check from polling an exchange that answered with its
// rate limit (429, Binance 418 bans, Bybit 10006, OKX 50011) until the
// exchange's Retry-After has passed, across restarts.
type backoff struct {
	PausedUntil time.Time `json:"paused_until,omitzero"`
}

func (b backoff) paused(now time.Time) bool { return now.Before(b.PausedUntil) }

// rateLimited records err's pause when it is a rate-limit answer.
func (b *backoff) rateLimited(err error, now time.Time) bool {
	if exchange.CauseOf(err) != exchange.CauseRateLimit {
		return false
	}
	d := minPause
	var e *exchange.Error
	if errors.As(err, &e) && e.RetryAfter > d {
		d = e.RetryAfter
	}
	b.PausedUntil = now.Add(d)
	return true
}

// errPaused is a poll skipped because the exchange asked for a pause.
type errPaused struct{ until time.Time }

func (e errPaused) Error() string {
	return "the exchange rate-limited the last poll: next poll after " + e.until.UTC().Format(time.RFC3339)
}
