package activity

import (
	"context"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"strings"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

// The balance reconciliation of an exchange whose order history needs a
// symbol (Binance spot): each poll reads the balances first, then every
// open order, then the order history of the symbols the bot's log names
// plus symbols the balances suggest. A balance that moved with no fill on
// a symbol of its asset and no deposit or withdrawal of it is an intruder
// trading where the history was not read, or something the trader did
// that keywarden cannot see (Earn, Convert, a transfer between own
// wallets): crit until acknowledged.

// Binance's REQUEST_WEIGHT is 6000 a minute per IP; a poll a minute may
// spend a tenth of it.
const (
	pollWeight    = 600
	accountWeight = 20 // GET /api/v3/account
	openWeight    = 80 // GET /api/v3/openOrders without a symbol
	symbolWeight  = 20 // GET /api/v3/allOrders, per symbol and 24-hour window
	// timeWeight is kept for the server time samples (GET /api/v3/time,
	// 1 each, a few a poll).
	timeWeight = 10
	windowSpan = 24 * time.Hour
	// fundsWait is how long a move waits for the funds check to read the
	// history after it before it is judged without: a funds check that
	// does not run or fails must not hide a move.
	fundsWait = 5 * time.Minute
	// depositCredit is how long after a deposit's insertTime (when
	// Binance saw it on the network) its credit may raise the balance:
	// the network's confirmations come first. How long they take is not
	// documented per network (UNVERIFIED); two hours covers the slow ones.
	// Only a rise is explained so: a deposit never excuses a fall.
	depositCredit = 2 * time.Hour
	// rotationWait is how long a move waits for the held symbols of its
	// asset that the weight budget left for later polls: a fill there
	// may explain it. After that it is judged without them.
	rotationWait = 10 * time.Minute
	// unlistedFor is how long a symbol Binance answered -1121 for is not
	// asked about again (a new listing takes longer than that to matter).
	unlistedFor = 24 * time.Hour
)

// quoteRank lists the quote assets keywarden pairs balances with, the
// most quote-like first: a pair is base+quote with the base ranked below
// the quote (BTCUSDT, ETHBTC, BNBETH; never USDTBTC). Binance's own list
// is exchangeInfo (weight 20); a guess it does not list answers -1121 and
// is skipped for a day.
var quoteRank = []string{"USDT", "USDC", "FDUSD", "TUSD", "EUR", "TRY", "BTC", "ETH", "BNB"}

// usualQuotes pair the balances when the bot's log names no symbol.
var usualQuotes = []string{"USDT", "USDC", "FDUSD"}

// balanceState is the reconciliation's part of orders.json.
type balanceState struct {
	// Totals are each asset's free + locked at At, the last snapshot; nil
	// until the first.
	Totals map[string]string `json:"totals"`
	At     time.Time         `json:"at,omitzero"`
	// Open maps the open orders of the last snapshot to their symbol: one
	// that is gone may have filled.
	Open map[string]string `json:"open"`
	// Executed is each order's executed quantity when last read.
	Executed map[string]string `json:"executed"`
	// Fills are the fills of the last day, seen as an executed quantity
	// that rose or an open order that went, at the poll that saw them.
	Fills []fill `json:"fills"`
	// Pending are the moves not judged yet: each waits for the funds
	// check to read the withdrawals and deposits after it (Binance's at
	// most every 90 s), at most fundsWait, and for a poll on, where a late
	// order shows in the overlap.
	Pending []Move `json:"pending"`
	// Unexplained are the moves nothing explained and nobody acknowledged.
	Unexplained []Move `json:"unexplained"`
	// Acknowledged are the unexplained moves the trader acknowledged, for
	// maxLookback, so that keywarden activity still lists them as such.
	Acknowledged []Move `json:"acknowledged,omitempty"`
	// Read maps each symbol read for a balance to when: the rotation reads
	// the longest unread first, from where it left off.
	Read map[string]time.Time `json:"read"`
	// Unlisted maps the symbols Binance answered -1121 for to when.
	Unlisted map[string]time.Time `json:"unlisted"`
}

type fill struct {
	Symbol string    `json:"symbol"`
	At     time.Time `json:"at"`
}

// Unexplained is the verdict on a balance move nothing explained.
const Unexplained Verdict = "unexplained"

// Move is one asset's balance change between two snapshots.
type Move struct {
	Asset  string    `json:"asset"`
	Before string    `json:"before"`
	After  string    `json:"after"`
	From   time.Time `json:"from"`
	To     time.Time `json:"to"`
	// FundsRead is the funds check's cursor when the move was seen: the
	// move is judged once it has moved on (the funds history has been
	// read since, by the funds check's own clock).
	FundsRead time.Time `json:"funds_read,omitzero"`
}

// ID is what `keywarden activity ack` takes for the move.
func (m Move) ID() string { return fmt.Sprintf("balance:%s:%d", m.Asset, m.To.Unix()) }

// MoveView is one unexplained move as the orders check reports it.
type MoveView struct {
	ID     string `json:"id"`
	Asset  string `json:"asset"`
	Before string `json:"before"`
	After  string `json:"after"`
	From   any    `json:"from"`
	To     any    `json:"to"`
}

func (m Move) view() MoveView {
	return MoveView{ID: m.ID(), Asset: m.Asset, Before: m.Before, After: m.After, From: stamp(m.From), To: stamp(m.To)}
}

// errNoSymbols is a poll with no symbol to read: the log names none and
// no balance suggests one.
type errNoSymbols struct{}

func (errNoSymbols) Error() string { return "no symbol to read" }

// noSymbols says why orders cannot be read on an exchange that lists them
// per symbol when neither the log nor the balances name one.
func noSymbols(exchangeName string) string {
	return fmt.Sprintf("the audit log names no market and no balance suggests one: %s lists orders per symbol only", exchangeName)
}

// reconciler is one poll's reconciliation: what it read and chose.
type reconciler struct {
	bc     exchange.BalanceClient
	sess   session
	logged []string
	st     *balanceState
	s      store
	a      Acks
	now    time.Time
	unread func(why string) // told of what Orders did not read

	first    bool // no snapshot before this one
	balances map[string]*big.Rat
	open     []exchange.Order
	orders   []exchange.Order
	extra    []string // the extra symbols read this poll
	waiting  []string // the extra symbols the budget left for later polls
	unlisted []string // the symbols Binance answered -1121 for this poll
	weight   int
}

// fetch reads the balances, the open orders and the order history of
// the logged symbols since from, and of as many extra symbols as the
// budget allows, each from where it was last read. Open orders from
// before baseline are not judged (they are read to follow their fills).
func (rc *reconciler) fetch(ctx context.Context, from, baseline time.Time) ([]exchange.Order, error) {
	bal, err := rc.bc.Balances(ctx, rc.sess.creds, rc.sess.offset)
	if err != nil {
		return nil, err
	}
	rc.balances = map[string]*big.Rat{}
	for _, b := range bal {
		free, _ := new(big.Rat).SetString(b.Free)
		locked, _ := new(big.Rat).SetString(b.Locked)
		rc.balances[b.Asset] = free.Add(free, locked)
	}
	if rc.open, err = rc.bc.OpenOrders(ctx, rc.sess.creds, rc.sess.offset); err != nil {
		return nil, err
	}
	rc.weight = accountWeight + openWeight + timeWeight
	for s, at := range rc.st.Unlisted {
		if rc.now.Sub(at) >= unlistedFor {
			delete(rc.st.Unlisted, s)
		}
	}
	rc.weight += len(rc.logged) * symbolWeight * windows(from, rc.now)
	rc.extra, rc.waiting = rc.choose(from)
	if len(rc.logged)+len(rc.extra) == 0 {
		return nil, errNoSymbols{}
	}
	// The logged symbols through Orders (spot, then futures), the extra
	// ones spot alone, each from its own start.
	q := exchange.OrderQuery{Since: from, Symbols: rc.logged, Unlisted: &rc.unlisted, Unread: rc.unread, KeyInfo: rc.sess.keyInfo}
	if rc.orders, err = rc.sess.client.Orders(ctx, rc.sess.creds, rc.sess.offset, q); err != nil {
		return nil, err
	}
	for _, sym := range rc.extra {
		q := exchange.OrderQuery{Since: rc.since(sym, from), Symbols: []string{sym}, Unlisted: &rc.unlisted}
		o, err := rc.bc.SpotOrders(ctx, rc.sess.creds, rc.sess.offset, q)
		if err != nil {
			return nil, err
		}
		rc.orders = append(rc.orders, o...)
		if rc.st.Read == nil {
			rc.st.Read = map[string]time.Time{}
		}
		rc.st.Read[sym] = rc.now
	}
	if rc.st.Unlisted == nil {
		rc.st.Unlisted = map[string]time.Time{}
	}
	for _, sym := range rc.unlisted {
		rc.st.Unlisted[sym] = rc.now
		delete(rc.st.Read, sym)
	}
	out := slices.Clone(rc.orders)
	read := map[string]bool{}
	for _, o := range out {
		read[orderKey(o)] = true
	}
	// Judged as well: the open orders not read above, made since the
	// baseline and younger than what Decided remembers (a resting order
	// of last month is not judged again when its id is pruned).
	for _, o := range rc.open {
		if !read[orderKey(o)] && !o.Time.Before(baseline) && o.Time.After(rc.now.Add(-maxLookback)) {
			out = append(out, o)
		}
	}
	return out, nil
}

// since is where an extra symbol's read starts: overlap before its last
// read, or from for one never read; never more than maxLookback ago.
func (rc *reconciler) since(sym string, from time.Time) time.Time {
	at, ok := rc.st.Read[sym]
	if !ok {
		return from
	}
	s, _ := since(at, rc.now)
	return s
}

// windows is how many 24-hour allOrders calls reading from..now takes.
func windows(from, now time.Time) int {
	return max(1, int((now.Sub(from)+windowSpan-1)/windowSpan))
}

// choose picks the extra symbols to read: every held asset (now or at the
// last snapshot, or with a move not judged yet or unexplained) paired with
// the quotes of the logged symbols (the usual quotes when there are none),
// longest unread first, while the poll fits pollWeight. The rest wait for
// a later poll.
func (rc *reconciler) choose(from time.Time) (read, waiting []string) {
	quotes := map[string]bool{}
	for _, s := range rc.logged {
		if _, q := split(s); q != "" {
			quotes[q] = true
		}
	}
	if len(quotes) == 0 {
		for _, q := range usualQuotes {
			quotes[q] = true
		}
	}
	assets := map[string]bool{}
	for a := range rc.balances {
		assets[a] = true
	}
	for a := range rc.st.Totals {
		assets[a] = true
	}
	// An asset sold to nothing is in neither snapshot a poll on: its move,
	// still to be judged or unexplained, keeps its symbols read, so that
	// the order that moved it is found.
	for _, m := range slices.Concat(rc.st.Pending, rc.st.Unexplained) {
		assets[m.Asset] = true
	}
	var cands []string
	for a := range assets {
		for q := range quotes {
			sym := a + q
			ra, rq := slices.Index(quoteRank, a), slices.Index(quoteRank, q)
			if a == q || (ra >= 0 && ra < rq) || slices.Contains(rc.logged, sym) {
				continue
			}
			if _, no := rc.st.Unlisted[sym]; no {
				continue
			}
			cands = append(cands, sym)
		}
	}
	// Never read first, then the longest unread; by name for a stable order.
	slices.SortFunc(cands, func(x, y string) int {
		if c := rc.st.Read[x].Compare(rc.st.Read[y]); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	for _, sym := range cands {
		cost := symbolWeight * windows(rc.since(sym, from), rc.now)
		if rc.weight+cost > pollWeight {
			waiting = append(waiting, sym)
			if _, ok := rc.st.Read[sym]; !ok {
				// Unread from here on: its first read starts from here.
				if rc.st.Read == nil {
					rc.st.Read = map[string]time.Time{}
				}
				// Before the symbols read now, so it is read first next time.
				rc.st.Read[sym] = from.Add(overlap)
				if !rc.st.Read[sym].Before(rc.now) {
					rc.st.Read[sym] = rc.now.Add(-time.Millisecond)
				}
			}
			continue
		}
		rc.weight += cost
		read = append(read, sym)
	}
	slices.Sort(read)
	slices.Sort(waiting)
	return read, waiting
}

// split cuts a symbol at the longest quote of quoteRank that ends it.
func split(sym string) (base, quote string) {
	for _, q := range quoteRank {
		if b, ok := strings.CutSuffix(sym, q); ok && b != "" && len(q) > len(quote) {
			base, quote = b, q
		}
	}
	return base, quote
}

// involves reports whether sym trades asset.
func involves(sym, asset string) bool {
	return strings.HasPrefix(sym, asset) || strings.HasSuffix(sym, asset)
}

// acknowledge moves the acknowledged unexplained moves to Acknowledged,
// kept for maxLookback.
func (rc *reconciler) acknowledge() {
	st := rc.st
	st.Unexplained = slices.DeleteFunc(st.Unexplained, func(m Move) bool {
		if rc.a.has(m.ID()) {
			st.Acknowledged = append(st.Acknowledged, m)
			return true
		}
		return false
	})
	st.Acknowledged = slices.DeleteFunc(st.Acknowledged, func(m Move) bool { return m.To.Before(rc.now.Add(-maxLookback)) })
}

// settle records this poll's fills, judges the last snapshot's moves,
// takes the new snapshot and revisits the findings (an ack clears one).
func (rc *reconciler) settle() error {
	st := rc.st
	if rc.balances == nil {
		// This poll did not read the exchange (its reads are spaced):
		// the last snapshot stands; only an ack applies.
		rc.acknowledge()
		return nil
	}
	if st.Executed == nil {
		st.Executed = map[string]string{}
	}
	open := map[string]string{}
	for _, o := range rc.open {
		open[orderKey(o)] = o.Symbol
	}
	for _, o := range slices.Concat(rc.orders, rc.open) {
		key := orderKey(o)
		got, ok := new(big.Rat).SetString(o.Filled)
		if !ok {
			continue // no executed quantity: a futures order, not the spot wallet's
		}
		before, _ := new(big.Rat).SetString(orZero(st.Executed[key]))
		if got.Cmp(before) > 0 {
			st.Fills = append(st.Fills, fill{Symbol: o.Symbol, At: rc.now})
		}
		st.Executed[key] = o.Filled
	}
	// An order open at the last snapshot and gone now, and not read to
	// say what it did, may have filled in between.
	seen := map[string]bool{}
	for _, o := range rc.orders {
		seen[orderKey(o)] = true
	}
	for key, sym := range st.Open {
		if _, still := open[key]; !still && !seen[key] {
			st.Fills = append(st.Fills, fill{Symbol: sym, At: rc.now})
		}
	}
	st.Open = open

	var funds fundsState
	if err := read(rc.s, "funds", &funds); err != nil {
		return err
	}
	movements := slices.Concat(funds.Alarms, funds.Recent)
	var wait []Move
	for _, m := range st.Pending {
		switch {
		case funds.Cursor.Equal(m.FundsRead) && rc.now.Sub(m.To) < fundsWait:
			wait = append(wait, m) // the funds history has not been read since
		case rc.unreadFor(m) && rc.now.Sub(m.To) < rotationWait:
			wait = append(wait, m) // a symbol that may explain it is still to be read
		case !rc.explained(m, movements):
			st.Unexplained = append(st.Unexplained, m)
		}
	}
	st.Pending = wait
	if st.Totals == nil {
		rc.first = true
	} else {
		for _, m := range diff(st.Totals, rc.balances, st.At, rc.now) {
			m.FundsRead = funds.Cursor
			st.Pending = append(st.Pending, m)
		}
	}
	st.Totals = map[string]string{}
	for a, v := range rc.balances {
		st.Totals[a] = amountOf(v)
	}
	st.At = rc.now
	rc.acknowledge()

	st.Fills = slices.DeleteFunc(st.Fills, func(f fill) bool { return rc.now.Sub(f.At) > 24*time.Hour })
	for key := range st.Executed {
		if _, ok := open[key]; !ok && !seen[key] {
			delete(st.Executed, key)
		}
	}
	prune(st.Read, rc.now.Add(-maxLookback))
	return nil
}

// unreadFor reports whether a symbol the budget left waiting this poll,
// one of m's asset (any, for BNB: the fees), has not been read since m was
// seen: a fill there, found when it is read, would explain m.
func (rc *reconciler) unreadFor(m Move) bool {
	for _, sym := range rc.waiting {
		if (involves(sym, m.Asset) || m.Asset == "BNB") && rc.st.Read[sym].Before(m.To) {
			return true
		}
	}
	return false
}

// explained reports whether m's asset, between its two snapshots, had a
// fill on one of its symbols (or m is BNB and anything filled: Binance
// takes fees in BNB), a deposit or withdrawal, or (a rise) a deposit
// inserted up to depositCredit before. A poll reads the
// balances before the orders, so a fill it sees may have moved the
// balances of the interval before it or of the next one: a move is
// explained by the fills seen at its first snapshot's poll and later (it
// is judged one poll on). Movements carry the exchange's time, taken with
// a minute to spare for the clocks.
func (rc *reconciler) explained(m Move, movements []exchange.Movement) bool {
	for _, f := range rc.st.Fills {
		if !f.At.Before(m.From) && (involves(f.Symbol, m.Asset) || m.Asset == "BNB") {
			return true
		}
	}
	for _, mv := range movements {
		from := m.From.Add(-time.Minute)
		if mv.Kind == exchange.Deposit && m.rose() {
			from = m.From.Add(-depositCredit)
		}
		if mv.Asset == m.Asset && mv.Time.After(from) && !mv.Time.After(m.To.Add(time.Minute)) {
			return true
		}
	}
	return false
}

// rose reports whether m's balance went up.
func (m Move) rose() bool {
	b, _ := new(big.Rat).SetString(orZero(m.Before))
	a, _ := new(big.Rat).SetString(orZero(m.After))
	return a.Cmp(b) > 0
}

// diff lists the assets whose total changed between two snapshots.
func diff(before map[string]string, after map[string]*big.Rat, from, to time.Time) []Move {
	assets := map[string]bool{}
	for a := range before {
		assets[a] = true
	}
	for a := range after {
		assets[a] = true
	}
	var out []Move
	for _, a := range slices.Sorted(maps.Keys(assets)) {
		b, _ := new(big.Rat).SetString(orZero(before[a]))
		n := after[a]
		if n == nil {
			n = new(big.Rat)
		}
		if b.Cmp(n) != 0 {
			out = append(out, Move{Asset: a, Before: amountOf(b), After: amountOf(n), From: from, To: to})
		}
	}
	return out
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

// amountOf writes r without trailing zeros (Binance has 8 decimals).
func amountOf(r *big.Rat) string {
	s := r.FloatString(8)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// apply adds the reconciliation to the orders result: what was read, the
// unexplained moves (crit, with the ids to acknowledge them), and that
// the first snapshot set the balance baseline.
func (rc *reconciler) apply(r *checks.Result, p config.Profile) {
	views := make([]MoveView, 0, len(rc.st.Unexplained))
	for _, m := range rc.st.Unexplained {
		views = append(views, m.view())
	}
	r.Details["balance_moves"] = views
	r.Details["extra_symbols"] = rc.extra
	r.Details["unlisted_symbols"] = slices.Sorted(maps.Keys(rc.st.Unlisted))
	r.Details["weight_estimate"] = rc.weight
	r.Details["balances_at"] = stamp(rc.st.At)
	if len(rc.waiting) > 0 {
		r.Details["extra_symbols_waiting"] = rc.waiting
		r.Details["rotation"] = fmt.Sprintf("%d of %d symbols held in the balances were read this poll (%d weight of %d): the others are read on later polls, longest unread first, from where each was last read",
			len(rc.extra), len(rc.extra)+len(rc.waiting), rc.weight, pollWeight)
	}
	switch {
	case len(views) > 0:
		var parts, ids []string
		for _, m := range rc.st.Unexplained {
			parts = append(parts, fmt.Sprintf("%s %s → %s between %s and %s", m.Asset, m.Before, m.After, stamp(m.From), stamp(m.To)))
			ids = append(ids, m.ID())
		}
		s := fmt.Sprintf("%d %s moved with no order, fill, deposit or withdrawal keywarden saw: %s",
			len(views), plural(len(views), "balance", "balances"), strings.Join(parts, "; "))
		if r.Status == checks.Crit {
			r.Summary += "; " + s
			r.Hint += " " + strings.Join(ids, " ")
		} else {
			r.Summary = s
			r.Hint = fmt.Sprintf("someone may be trading a symbol keywarden does not read: if you did not move it (Earn, Convert and transfers between your own wallets look the same), revoke the key now (keywarden rotate %s); if you did: keywarden activity ack %s %s",
				p.Name, p.Name, strings.Join(ids, " "))
		}
		r.Status = checks.Crit
	case rc.first:
		r.Summary += "; balance baseline set: balances from now on are reconciled with the orders and funds seen"
	}
}
