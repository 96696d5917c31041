package exchange

import (
	"context"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Order is one order in an exchange's own order history, as the exchange
// reports it: what activity matching compares with the bot's audit log.
type Order struct {
	ID       string    `json:"order_id"`
	ClientID string    `json:"client_order_id"`
	Symbol   string    `json:"symbol"`
	Side     string    `json:"side"`
	Size     string    `json:"size"`
	Time     time.Time `json:"time"`
	// Origin is the exchange's own word for who created the order
	// (Bybit createType, OKX category); "" when the exchange has none.
	Origin string `json:"origin"`
	// System is set for orders the exchange made itself (liquidation,
	// auto-deleveraging, settlement): neither the bot's nor an intruder's.
	System bool `json:"system"`
	// Status, Filled (the executed quantity, a decimal string) and Updated
	// are what a balance reconciliation needs to know that an order
	// filled; set where the adapter reads them (Binance), empty elsewhere.
	Status  string    `json:"status,omitempty"`
	Filled  string    `json:"filled,omitempty"`
	Updated time.Time `json:"updated,omitzero"`
}

// MovementKind says which way funds moved.
type MovementKind string

// Movement kinds.
const (
	Withdrawal MovementKind = "withdrawal"
	// Transfer is a move out of the account to another account of the
	// exchange (a sub-account, another user, pay/payout).
	Transfer MovementKind = "transfer"
	Deposit  MovementKind = "deposit"
)

// Movement is one withdrawal, outgoing transfer or deposit.
type Movement struct {
	Kind   MovementKind `json:"kind"`
	ID     string       `json:"id"`
	Asset  string       `json:"asset"`
	Amount string       `json:"amount"`
	// To is the destination address (or account) of a withdrawal or
	// transfer; the source address of a deposit when the exchange says.
	To   string    `json:"to"`
	Time time.Time `json:"time"`
}

// OrderQuery selects the orders Orders returns.
type OrderQuery struct {
	// Since is the earliest creation time wanted; Orders walks the
	// exchange's per-call window up to now.
	Since time.Time
	// Symbols are the markets to ask about on an exchange whose order
	// history needs a symbol (Binance spot and futures, KuCoin HF); ignored
	// elsewhere.
	Symbols []string
	// Unlisted, when not nil, receives the symbols of Symbols the
	// exchange does not list (Binance -1121 "Invalid symbol."): they are
	// skipped, not an error, since a symbol may be a guess.
	Unlisted *[]string
	// Unread, when set, is told of each part of the history Orders did
	// not read and why (Binance: the futures of a key that cannot trade
	// them), for the result's blind spots.
	Unread func(why string)
	// KeyInfo, when set, is the calling key's own answer as the caller
	// reads it (checks.Env reads it once per run for every check that
	// asks), for an adapter that needs the key's permissions to know what
	// to read (Binance futures); nil asks the exchange again.
	KeyInfo func(context.Context) (KeyInfo, error)
}

// ActivityClient is implemented by clients that can read the account's own
// order and funds history. Signing is the same as KeyInfo's; offset is
// added to the local clock as there. Errors are *Error and never contain a
// secret.
type ActivityClient interface {
	// Orders returns the orders created at or after q.Since, oldest first,
	// every page of them.
	Orders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error)
	// Movements returns the withdrawals, outgoing transfers and deposits
	// made at or after since, oldest first.
	Movements(ctx context.Context, creds keystore.Item, offset time.Duration, since time.Time) ([]Movement, error)
}

// Balance is one asset's balance in the account the key trades from,
// decimal strings as the exchange reports them.
type Balance struct {
	Asset  string `json:"asset"`
	Free   string `json:"free"`
	Locked string `json:"locked"`
}

// BalanceClient is implemented by clients whose spot order history needs
// a symbol (Binance), so that a reconciliation can catch trading on a
// symbol that is not read: the balances, every open order of every
// symbol, and the spot history of one more symbol without the rest of
// Orders (futures). Errors are *Error and never contain a secret.
type BalanceClient interface {
	// Balances returns every asset whose free or locked balance is not
	// zero, sorted by asset.
	Balances(ctx context.Context, creds keystore.Item, offset time.Duration) ([]Balance, error)
	// OpenOrders returns the open orders of every symbol.
	OpenOrders(ctx context.Context, creds keystore.Item, offset time.Duration) ([]Order, error)
	// SpotOrders is Orders for the spot market alone.
	SpotOrders(ctx context.Context, creds keystore.Item, offset time.Duration, q OrderQuery) ([]Order, error)
}

// HasActivity reports whether keywarden can read the named exchange's
// order and funds history (its client implements ActivityClient).
func HasActivity(name string) bool {
	in := lookup(name)
	if in == nil {
		return false
	}
	_, ok := in.newClient(in.DefaultURL, nil).(ActivityClient)
	return ok
}
