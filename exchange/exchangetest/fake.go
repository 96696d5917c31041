package exchangetest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Base is what every fake exchange shares: a loopback HTTP server, a fault
// injector, a server clock with configurable skew, and the caller's apparent
// IP for whitelist checks. Each exchange's fake embeds it and adds its own
// routes, signature verification and key-info payload.
type Base struct {
	Faults Faults

	srv      *httptest.Server
	skew     atomic.Int64 // nanoseconds added to time.Now for the server clock
	requests atomic.Int64
	attempts atomic.Int64

	mu       sync.Mutex
	callerIP netip.Addr // "" = the real remote address
}

// start serves h (with fault injection in front) on loopback.
func (b *Base) start(h http.Handler) {
	inner := b.Faults.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.requests.Add(1)
		h.ServeHTTP(w, r)
	}))
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.attempts.Add(1)
		inner.ServeHTTP(w, r)
	}))
}

// URL is the fake's base URL (use it as a profile's base_url).
func (b *Base) URL() string { return b.srv.URL }

// Close releases hanging handlers and shuts the server down.
func (b *Base) Close() {
	b.Faults.Release()
	b.srv.CloseClientConnections()
	b.srv.Close()
}

// SetSkew makes the fake's clock run d ahead of the real one (negative: behind).
func (b *Base) SetSkew(d time.Duration) { b.skew.Store(int64(d)) }

// Now is the fake exchange's clock.
func (b *Base) Now() time.Time { return time.Now().Add(time.Duration(b.skew.Load())) }

// Requests is how many requests reached the fake (after fault injection
// decided to let them through or not).
func (b *Base) Requests() int64 { return b.requests.Load() }

// Attempts is how many requests arrived at all, including those a fault
// answered (a client that retries a 429 shows up here, not in Requests).
func (b *Base) Attempts() int64 { return b.attempts.Load() }

// SetCallerIP makes the fake judge whitelists as if every request came from
// ip (a loopback test cannot change its real source address). The zero Addr
// restores the real remote address.
func (b *Base) SetCallerIP(ip netip.Addr) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.callerIP = ip
}

// CallerIP is the address whitelists are judged against for r.
func (b *Base) CallerIP(r *http.Request) netip.Addr {
	b.mu.Lock()
	ip := b.callerIP
	b.mu.Unlock()
	if ip.IsValid() {
		return ip
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// Allowed reports whether ip is allowed by a whitelist of IPs and CIDRs. An
// empty whitelist allows everyone (no IP restriction).
func Allowed(ip netip.Addr, whitelist []string) bool {
	if len(whitelist) == 0 {
		return true
	}
	for _, w := range whitelist {
		if p, err := netip.ParsePrefix(w); err == nil && p.Contains(ip) {
			return true
		}
		if a, err := netip.ParseAddr(w); err == nil && a.Unmap() == ip {
			return true
		}
	}
	return false
}
