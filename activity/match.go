package activity

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/exchange"
)

// logLines is how many of the audit log's last lines are read for the
// bot's order ids: well over a day of a busy bot's order lines.
const logLines = 200_000

// Ledger is what the bot's audit log says it did: the order ids and client
// order ids it logged, and the markets it named.
type Ledger struct {
	OrderIDs  map[string]bool
	ClientIDs map[string]bool
	// Symbols are the markets the log names, in the exchange's form
	// (ccxt's BTC/USDT and BTC/USDT:USDT become BTCUSDT, on KuCoin
	// BTC-USDT), sorted.
	Symbols []string
	// Latest is the newest time a line of the log carries (zero when no
	// line has one).
	Latest time.Time
}

// Settle is how far the bot's log must have moved on past an order it
// does not name before the order is judged without waiting out Grace: a
// bot writes its order line as soon as the exchange answers, so a log
// with lines half a minute newer than the order has passed it by.
const Settle = 30 * time.Second

// movedOn reports whether the log has lines stamped at least Settle after
// t. A stamp ahead of now (a log in another time zone read as UTC, a
// bot's clock ahead) proves nothing, and the order waits out Grace.
func (l Ledger) movedOn(t, now time.Time) bool {
	return !l.Latest.Before(t.Add(Settle)) && !l.Latest.After(now)
}

// symbolRE finds a market named in a line: JSON, Python-dict and logfmt
// forms of symbol, instId and pair.
var symbolRE = regexp.MustCompile(`(?i)["']?\b(?:symbol|instId|pair)["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9/_:.-]{1,39})`)

// ReadLedger reads the last lines of the audit log at path.
func ReadLedger(path, exchangeName string) (Ledger, error) {
	lines, err := auditlog.Tail(path, logLines)
	if err != nil {
		return Ledger{}, err
	}
	p := &auditlog.Parser{Exchange: exchangeName}
	l := Ledger{OrderIDs: map[string]bool{}, ClientIDs: map[string]bool{}}
	syms := map[string]bool{}
	for _, line := range lines {
		e := p.Parse(line)
		if e.Time.After(l.Latest) {
			l.Latest = e.Time
		}
		if e.OrderID != "" {
			l.OrderIDs[e.OrderID] = true
		}
		if e.ClientOrderID != "" {
			l.ClientIDs[e.ClientOrderID] = true
		}
		for _, m := range symbolRE.FindAllSubmatch(line, -1) {
			if s := exchangeSymbol(string(m[1]), exchangeName); s != "" {
				syms[s] = true
			}
		}
	}
	for s := range syms {
		l.Symbols = append(l.Symbols, s)
	}
	slices.Sort(l.Symbols)
	return l, nil
}

// exchangeSymbol turns ccxt's unified BTC/USDT (and BTC/USDT:USDT) into the
// exchange's form: BTCUSDT, or BTC-USDT on KuCoin, whose symbol-scoped HF
// order lists are asked with it; OKX's BTC-USDT stays as it is.
func exchangeSymbol(s, exchangeName string) string {
	s, _, _ = strings.Cut(s, ":")
	sep := ""
	if exchangeName == "kucoin" {
		sep = "-"
	}
	return strings.ToUpper(strings.ReplaceAll(s, "/", sep))
}

// minSuffix is the shortest logged client id a broker-prefixed id may end
// with and still match: shorter ids are too easy to collide with.
const minSuffix = 8

// Match reports whether o is one of the bot's own orders, and the evidence.
// A client id matches exactly, or with a broker tag an SDK put in front of
// it on one side only (ccxt's x-R4BD3S82…, Binance.Net's x-d63tKbx3JK…):
// the bot may log the id it chose or the id as sent.
func (l Ledger) Match(o exchange.Order) (bool, string) {
	if o.ID != "" && l.OrderIDs[o.ID] {
		return true, "order id " + o.ID + " is in the audit log"
	}
	if o.ClientID == "" {
		return false, ""
	}
	if l.ClientIDs[o.ClientID] {
		return true, "client order id " + o.ClientID + " is in the audit log"
	}
	for logged := range l.ClientIDs {
		if prefixed(o.ClientID, logged) || prefixed(logged, o.ClientID) {
			return true, fmt.Sprintf("client order id %s is %s with an SDK broker prefix", o.ClientID, logged)
		}
	}
	return false, ""
}

// prefixed reports whether long is short behind a broker tag "x-…".
func prefixed(long, short string) bool {
	return len(short) >= minSuffix && strings.HasPrefix(long, "x-") &&
		len(long) > len(short)+2 && strings.HasSuffix(long, short)
}
