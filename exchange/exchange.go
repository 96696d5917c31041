// Package exchange talks to crypto exchanges' REST APIs for exactly what an
// API-key auditor needs: server time, the calling key's own permissions and
// restrictions, and the classification of errors into causes. One file per
// exchange: its Info (the facts the rest of keywarden reads, listed in
// all.go), then the same four parts in the same order: signing, server
// time, key info, error classification.
package exchange

import (
	"context"
	"encoding/json"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Tri is a three-valued boolean: an exchange that does not say is Unknown,
// never false.
type Tri int8

// Tri values.
const (
	Unknown Tri = iota
	No
	Yes
)

// TriOf converts a bool.
func TriOf(b bool) Tri {
	if b {
		return Yes
	}
	return No
}

// Known reports whether the value is Yes or No.
func (t Tri) Known() bool { return t == Yes || t == No }

// True reports whether the value is Yes.
func (t Tri) True() bool { return t == Yes }

func (t Tri) String() string {
	switch t {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// MarshalJSON renders true, false or null.
func (t Tri) MarshalJSON() ([]byte, error) {
	switch t {
	case Yes:
		return []byte("true"), nil
	case No:
		return []byte("false"), nil
	}
	return []byte("null"), nil
}

// UnmarshalJSON accepts true, false or null.
func (t *Tri) UnmarshalJSON(b []byte) error {
	var v *bool
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch {
	case v == nil:
		*t = Unknown
	case *v:
		*t = Yes
	default:
		*t = No
	}
	return nil
}

// Permissions is the common permission model. Names match config `needs`.
// Read, Trade (spot), Margin, Futures, Options, Transfer and Withdraw are the
// config `needs` names; the other capabilities below also move value and are
// judged by the IP rule (see ValueMoving).
type Permissions struct {
	Read     Tri `json:"read"`
	Trade    Tri `json:"trade"`
	Margin   Tri `json:"margin"`
	Futures  Tri `json:"futures"`
	Options  Tri `json:"options"`
	Transfer Tri `json:"transfer"`
	Withdraw Tri `json:"withdraw"`
	// Convert is convert/swap (Bybit "Exchange", Binance convert).
	Convert Tri `json:"convert"`
	// BlockTrade is block (OTC) trading.
	BlockTrade Tri `json:"block_trade"`
	// CopyTrading is copy or lead trading.
	CopyTrading Tri `json:"copy_trading"`
	// P2P is peer-to-peer fiat trading.
	P2P Tri `json:"p2p"`
	// Pay is pay/payout (Binance Pay, Bybit FiatBitPay).
	Pay Tri `json:"pay"`
	// Earn is staking/savings/earn products: funds leave the trading account.
	Earn Tri `json:"earn"`
	// Unrecognized lists, comma-separated, the exchange's permission names
	// that no table of this package knows (a string so Permissions stays
	// comparable). A key with any is never judged safe: what such a name
	// grants is unknown.
	Unrecognized string `json:"unrecognized,omitempty"`
}

// ValueMovingNames lists, in report order, the capabilities that can move
// value: any of them on a key without an effective IP restriction is crit.
var ValueMovingNames = []string{"trade", "margin", "futures", "options", "convert", "block_trade", "copy_trading", "p2p", "pay", "earn", "transfer", "withdraw"}

// ValueMoving returns the value-moving capabilities that are Yes, and those
// that are Unknown (the exchange did not say, or a name was unrecognised).
func (p Permissions) ValueMoving() (yes, unknown []string) {
	for _, n := range ValueMovingNames {
		switch p.Get(n) {
		case Yes:
			yes = append(yes, n)
		case Unknown:
			unknown = append(unknown, n)
		}
	}
	return yes, unknown
}

// Get returns a permission by its config name ("read", "trade", ...);
// Unknown for another name.
func (p Permissions) Get(name string) Tri {
	if t := p.field(name); t != nil {
		return *t
	}
	return Unknown
}

// Window is an exchange's tolerance for the timestamp in a signed request,
// relative to its own clock: a request is accepted when
// -Behind <= (request timestamp - server time) < Ahead.
// A zero Window means the exchange does not judge timestamps (Kraken's nonce).
type Window struct {
	Behind time.Duration
	Ahead  time.Duration
}

// None reports whether the exchange has no timestamp window.
func (w Window) None() bool { return w.Behind == 0 && w.Ahead == 0 }

// TimeSample is one server-time measurement.
type TimeSample struct {
	Server   time.Time // the exchange's clock as it reported it
	Sent     time.Time // local clock when the request was sent
	Received time.Time // local clock when the response arrived
}

// RTT is the round-trip time of the sample.
func (s TimeSample) RTT() time.Duration { return s.Received.Sub(s.Sent) }

// Offset is the exchange's clock minus the local clock, estimated at the
// round-trip midpoint. Positive: the local clock is behind the exchange.
func (s TimeSample) Offset() time.Duration {
	mid := s.Sent.Add(s.RTT() / 2)
	return s.Server.Sub(mid)
}

// KeyInfo is what an exchange says about the calling API key.
type KeyInfo struct {
	Permissions  Permissions
	IPRestricted Tri
	// Whitelist is the exchange-reported IP allowlist: nil when the exchange
	// does not report one, empty when it reports none. Entries may be IPs,
	// CIDRs, or masked patterns (KuCoin: "203.**.154").
	Whitelist []string
	CreatedAt time.Time // zero when the exchange does not say
	ExpiresAt time.Time // zero when the key does not expire or the exchange does not say
	// ExpiresWhat names what ends at ExpiresAt when it is not the key itself
	// (Binance: "trading permission").
	ExpiresWhat string
	// ModifiedAt is when the key's settings were last saved and LastUsedAt
	// when the key last made a request (Kraken does not say whether the
	// asking one counts); only Kraken reports them, zero otherwise.
	ModifiedAt time.Time
	LastUsedAt time.Time
	Raw        []string // the exchange's own permission names, as reported
	// TimeCorrected is set when the request was signed with a timestamp
	// corrected by a server-time offset and the correction mattered: signed
	// by the local clock alone it would have fallen outside Window (see
	// Window.Accepts). Never set for an exchange without a window (Kraken).
	TimeCorrected bool
}

// Client is one exchange endpoint. Implementations are safe for concurrent use.
type Client interface {
	// Exchange returns the exchange name ("binance", ...).
	Exchange() string
	// BaseURL returns the endpoint this client talks to.
	BaseURL() string
	// Window returns the exchange's signed-timestamp tolerance.
	Window() Window
	// ServerTime takes one server-time sample. Errors are *Error.
	ServerTime(ctx context.Context) (TimeSample, error)
	// KeyInfo asks the exchange about the key in creds. offset, when not
	// zero, is added to the local clock for signing (see TimeSample.Offset),
	// so the audit works on a host with a skewed clock. Errors are *Error and
	// never contain a secret.
	KeyInfo(ctx context.Context, creds keystore.Item, offset time.Duration) (KeyInfo, error)
}
