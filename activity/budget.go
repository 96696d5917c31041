package activity

import (
	"fmt"
	"time"

	"github.com/keywarden/keywarden/checks"
)

// readEvery is, per exchange and check, the least time between two reads
// of what the check asks the exchange for, where reading on every poll of
// the default minute would cost 10% or more of the exchange's documented
// rate limit. Each gap sits a little over a whole number of minutes below
// the next one, so a tick that comes a little early does not push a read
// a further minute back. Between reads a check's result is the last
// read's (findings stay until acknowledged; an ack applies at once), and
// says when the next read is due.
//
// Binance: the withdraw history costs 18000 of the account's 180000 UID
// weight a minute (ccxt's model; Binance's own pages disagree on the
// limiter): read every second minute, 5% (6.7% at most).
//
// Kraken: every private call adds 1 to the key's own counter, which Kraken
// lets decay by 0.33 a second at the Starter tier (about 20 a minute;
// Intermediate 0.5, Pro 1: https://docs.kraken.com/api/docs/guides/spot-rest-ratelimits),
// and the bot's calls count against the same counter. Orders are two calls
// (OpenOrders, ClosedOrders), funds two (WithdrawStatus, DepositStatus),
// the key's snapshot one (GetApiKeyInfo): read every third, third and
// fourth minute, 0.67 + 0.67 + 0.25 a minute, and with the other checks'
// GetApiKeyInfo (ip.whitelist every 5 minutes, key.permissions and
// key.retired every 10) about 1.9 a minute, 9.5% at Starter, 6.3% at
// Intermediate, 3.2% at Pro. A ClosedOrders page beyond the first 50
// orders adds one each.
var readEvery = map[string]map[string]time.Duration{
	"binance": {FundsID: 90 * time.Second},
	"kraken":  {OrdersID: 150 * time.Second, FundsID: 150 * time.Second, KeyID: 210 * time.Second},
}

// readGap is the least time between two reads of check id's history on
// exchangeName; 0 reads it on every poll.
func readGap(exchangeName, id string) time.Duration { return readEvery[exchangeName][id] }

// spaced says, on a check whose reads are spaced by every, when the last
// read was and when the next is due (details read_at and next_read_at),
// and, when this poll did not read, adds that to the summary: the result
// is the last read's.
func spaced(r *checks.Result, every time.Duration, readAt time.Time, skipped bool) {
	if every <= 0 {
		return
	}
	next := readAt.Add(every)
	r.Details["read_at"], r.Details["next_read_at"] = stamp(readAt), stamp(next)
	if skipped {
		r.Summary += fmt.Sprintf("; history last read %s, next read due %s (at most every %s: the exchange's rate limit)",
			readAt.UTC().Format(time.RFC3339), next.UTC().Format(time.RFC3339), every)
	}
}
