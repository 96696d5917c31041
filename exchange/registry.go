package exchange

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// factory builds a client for one exchange.
type factory struct {
	defaultBaseURL string
	build          func(baseURL string, hc *http.Client) Client
}

var (
	registryMu sync.RWMutex
	registry   = map[string]factory{}
)

// register makes an exchange available to New. Each exchange file calls it
// from init. Registering a name twice is a programming error and panics.
func register(name, defaultBaseURL string, f func(baseURL string, hc *http.Client) Client) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("exchange: " + name + " registered twice")
	}
	registry[name] = factory{defaultBaseURL: defaultBaseURL, build: f}
}

// New returns a client for the named exchange ("binance", "bybit", ...).
// baseURL "" selects the exchange's default production endpoint; any other
// value (a testnet, a regional host, a local fake) must be an absolute
// http(s) URL. hc nil selects DefaultHTTPClient.
func New(name, baseURL string, hc *http.Client) (Client, error) {
	registryMu.RLock()
	f, ok := registry[name]
	registryMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("unknown exchange %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	if baseURL == "" {
		baseURL = f.defaultBaseURL
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
	return f.build(strings.TrimRight(baseURL, "/"), hc), nil
}

// Names returns the registered exchange names, sorted.
func Names() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
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
