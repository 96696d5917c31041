package exchange

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Info is everything keywarden knows about one exchange apart from its
// client code. Each adapter's file declares its own Info next to the code
// it describes, and all (all.go) lists them, so config, the audit-log
// reader, the add wizard and the docs tests all read one place and an
// exchange cannot be half-added.
type Info struct {
	// Name is the exchange's id: config `exchange`, log fields, --exchange.
	Name string
	// DefaultURL is the production REST endpoint New uses for baseURL "".
	DefaultURL string
	// Hosts are the other endpoints the add wizard offers (testnets,
	// alternate hosts), in the order offered.
	Hosts []Host
	// Passphrase is set when the exchange's keys come with a passphrase.
	Passphrase bool
	// APIPage is where keys are managed (and revoked) in the exchange's
	// menus; APIPageURL is that page's address.
	APIPage, APIPageURL string
	// BundledWithTrade lists the permissions (named as in config needs)
	// that come with trading and cannot be switched off apart from it.
	BundledWithTrade []string
	// CodePrefixes are prefixes of error codes that only this exchange
	// uses (Kraken's "EAPI:"): a log line holding one names the exchange.
	CodePrefixes []string

	// codes maps the exchange's documented error codes, as they appear in
	// bodies and logs, to causes.
	codes map[string]Cause
	// perms maps the permission names of an exchange that lists a key's
	// permissions by name; nil for one that answers with booleans.
	perms permTable
	// newClient builds a client for a validated base URL.
	newClient func(baseURL string, hc *http.Client) Client
}

// Host is a named endpoint of an exchange.
type Host struct {
	Label string
	URL   string
}

// All returns every exchange, in the order they are offered to the user
// (the wizard's list, --exchange help, "use one of" in errors).
func All() []Info {
	out := make([]Info, len(all))
	for i, in := range all {
		out[i] = in.clone()
	}
	return out
}

// Lookup returns the named exchange, or false.
func Lookup(name string) (Info, bool) {
	if in := lookup(name); in != nil {
		return in.clone(), true
	}
	return Info{}, false
}

// lookup returns the registered Info itself (not a copy) for the package's
// hot paths; nil for an unknown name.
func lookup(name string) *Info {
	for i := range all {
		if all[i].Name == name {
			return &all[i]
		}
	}
	return nil
}

// clone copies the slices so a caller cannot change the registry.
func (in Info) clone() Info {
	in.Hosts = slices.Clone(in.Hosts)
	in.BundledWithTrade = slices.Clone(in.BundledWithTrade)
	in.CodePrefixes = slices.Clone(in.CodePrefixes)
	return in
}

// New returns a client for the named exchange ("binance", "bybit", ...).
// baseURL "" selects the exchange's default production endpoint; any other
// value (a testnet, a regional host, a local fake) must be an absolute
// http(s) URL. hc nil selects DefaultHTTPClient.
func New(name, baseURL string, hc *http.Client) (Client, error) {
	in := lookup(name)
	if in == nil {
		return nil, fmt.Errorf("unknown exchange %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	if baseURL == "" {
		baseURL = in.DefaultURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s base_url is not an absolute http(s) URL: set it like https://api.example.com or leave it empty", name)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		// Redacted: a password in the URL must not reach the error.
		return nil, fmt.Errorf("%s base_url %q must not carry credentials, a query or a fragment: give only scheme, host and optional path", name, u.Redacted())
	}
	if hc == nil {
		hc = DefaultHTTPClient
	}
	return in.newClient(strings.TrimRight(baseURL, "/"), hc), nil
}

// Names returns the registered exchange names, sorted.
func Names() []string {
	names := make([]string, len(all))
	for i, in := range all {
		names[i] = in.Name
	}
	slices.Sort(names)
	return names
}

// Accepts reports whether the exchange would accept a request timestamped by
// a local clock that is offset behind it (offset as in TimeSample.Offset:
// server minus local). Clients set KeyInfo.TimeCorrected when the offset they
// signed with mattered, that is when !Accepts(offset).
func (w Window) Accepts(offset time.Duration) bool {
	if w.None() {
		return true
	}
	ahead := -offset // request timestamp minus server time
	return ahead >= -w.Behind && ahead < w.Ahead
}

// APIPage names where a key of the exchange is managed (and revoked):
// "Bybit → Account → API (https://…)".
func APIPage(name string) string {
	in, ok := Lookup(name)
	switch {
	case !ok:
		return "the exchange's API management page"
	case in.APIPageURL == "":
		return in.APIPage
	}
	return in.APIPage + " (" + in.APIPageURL + ")"
}
