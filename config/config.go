// Package config reads keywarden's TOML configuration: defaults, XDG paths,
// durations like "90d", profile-name rules, and errors that name file, line
// and field.
package config

import (
	"slices"
	"time"

	"github.com/keywarden/keywarden/alert/alerttype"
	"github.com/keywarden/keywarden/exchange"
)

// Config is the whole configuration file after defaults are applied.
type Config struct {
	// Path is the file this config was read from ("" when none existed).
	Path string

	Keystore       string // auto | keyring | file
	Vault          string // expanded path of the age vault
	PassphraseFile string

	Clock    Clock
	IP       IP
	Rotation Rotation
	Gate     Gate
	Profiles []Profile
	Alerts   []Alert

	// Warnings are said on every run that loads this config (file, line
	// and field, never a value): a profile's insecure = true.
	Warnings []string
}

// Clock holds the NTP settings and thresholds.
type Clock struct {
	NTPServers []string // host or host:port
	WarnMS     int      // NTP consensus offset that warns (default 250)
	CritMS     int      // NTP consensus offset that is critical (default 1000)
}

// IP holds the public-IP discovery sources.
type IP struct {
	Sources []string // URLs answering a plain IP or {"ip": ...}
}

// Rotation holds the default key-age policy.
type Rotation struct {
	MaxAge     time.Duration // default 90 days
	WarnBefore time.Duration // default 14 days
}

// Gate is `exec`'s pre-launch policy beyond critical findings.
type Gate struct {
	// Unknown is what a check that could not run does to the start:
	// "warn" (default: reported, the bot starts) or "refuse" (as
	// `exec --strict`).
	Unknown string
}

// GateUnknown are the values of gate.unknown.
var GateUnknown = []string{"warn", "refuse"}

// Env names the environment variables `keywarden exec` sets for the bot.
type Env struct {
	Key        string
	Secret     string
	Passphrase string
}

// Profile is one exchange API key used by one bot.
type Profile struct {
	Name      string
	Exchange  string // one of Exchanges
	BaseURL   string
	Whitelist []string // IPs and CIDRs
	Needs     []string // read trade margin futures options transfer withdraw
	MaxAge    time.Duration
	Created   time.Time // zero when not set
	AuditLog  string
	Project   string
	Env       Env
	// Insecure allows a plain http:// BaseURL to a host other than this
	// machine (insecure = true): refused at load without it.
	Insecure bool
	Activity Activity
}

// Activity is what the activity checks accept as the profile's own doing
// besides the bot's logged orders.
type Activity struct {
	// AllowWithdrawals accepts every withdrawal and outgoing transfer.
	AllowWithdrawals bool
	// Addresses accepts withdrawals and transfers to these destinations
	// (addresses or account ids, compared exactly).
	Addresses []string
	// AllowManual accepts orders whose exchange-reported origin is one of
	// these (KuCoin channel WEB or IOS, Coinbase RETAIL_SIMPLE…): the
	// trader's own manual trades.
	AllowManual []string
}

// Allowed reports whether a withdrawal or transfer to dest is accepted.
func (a Activity) Allowed(dest string) bool {
	return a.AllowWithdrawals || (dest != "" && slices.Contains(a.Addresses, dest))
}

// Alert is one notifier for `watch`.
type Alert struct {
	Type      string // one of alerttype.Names()
	URL       string
	ChatID    string
	Token     string // name of a keystore item holding the token or signing key
	MinStatus string // ok | warn | crit | unknown; default warn
	Name      string // notifier name; "" for the type, numbered when repeated
	// Fallback names the notifier that gets what this one could not
	// deliver within FallbackAfter (default 5 minutes).
	Fallback      string
	FallbackAfter time.Duration
}

// Exchanges lists the supported exchange names, in the order offered to
// the user. They come from the exchange registry (exchange.All).
var Exchanges = exchangeNames()

func exchangeNames() []string {
	var names []string
	for _, in := range exchange.All() {
		names = append(names, in.Name)
	}
	return names
}

// Permissions lists the permission names usable in `needs`.
var Permissions = []string{"read", "trade", "margin", "futures", "options", "transfer", "withdraw"}

// Profile returns the named profile, or false.
func (c *Config) Profile(name string) (Profile, bool) {
	for _, p := range c.Profiles {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// DefaultFallbackAfter is how long a notifier may fail to deliver an alert
// before its fallback gets it, when fallback_after is not set.
const DefaultFallbackAfter = 5 * time.Minute

// NamedAlerts is what alerttype's rules over all blocks read of alerts.
func NamedAlerts(alerts []Alert) []alerttype.Named {
	out := make([]alerttype.Named, len(alerts))
	for i, a := range alerts {
		out[i] = alerttype.Named{Type: a.Type, Name: a.Name, Fallback: a.Fallback}
	}
	return out
}
