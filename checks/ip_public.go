package checks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Egress is this host's public address as the IP sources see it.
type Egress struct {
	IPv4    netip.Addr // invalid when none
	IPv6    netip.Addr // invalid when none
	Sources []SourceAnswer
	// Agree is false when answering sources named different addresses for
	// the same family (the majority wins; a tie keeps the first source's).
	Agree bool
}

// Addrs returns the valid egress addresses, IPv4 first.
func (e Egress) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, a := range []netip.Addr{e.IPv4, e.IPv6} {
		if a.IsValid() {
			out = append(out, a)
		}
	}
	return out
}

// SourceAnswer is one source's answer over one address family.
type SourceAnswer struct {
	Source string
	Family string // "ipv4" or "ipv6"
	IP     netip.Addr
	Err    error
}

// familyGrace is how long one address family's lookups may run on after
// the other family's have all answered.
const familyGrace = time.Second

var errFamilyGrace = errors.New("no answer within 1s of the other address family (blackholed?)")

// maxIPBody caps a source's answer; an address needs a few dozen bytes.
const maxIPBody = 4 << 10

// PublicIP looks up the egress addresses once per MaxAge: every source over
// IPv4 and IPv6 separately (the socket's family is forced), all at once.
func (e *Env) PublicIP(ctx context.Context) (Egress, error) {
	return cell[Egress](e, "ip").get(ctx, e, func(ctx context.Context) (Egress, error) {
		return lookupEgress(ctx, e.http, e.cfg.IP.Sources)
	})
}

func lookupEgress(ctx context.Context, base *http.Client, sources []string) (Egress, error) {
	if len(sources) == 0 {
		return Egress{}, errors.New("no IP sources configured: set [ip] sources in the config")
	}
	clients := map[string]*http.Client{"ipv4": familyClient(base, "tcp4"), "ipv6": familyClient(base, "tcp6")}
	for _, c := range clients {
		defer c.CloseIdleConnections()
	}
	answers := make([]SourceAnswer, 0, 2*len(sources))
	for _, fam := range []string{"ipv4", "ipv6"} {
		for _, s := range sources {
			answers = append(answers, SourceAnswer{Source: s, Family: fam})
		}
	}
	// A host without working IPv6 (or IPv4) may blackhole the connection
	// attempts instead of refusing them: once one family has all its answers
	// and at least one address, the other gets familyGrace more, so the
	// lookup never waits for dial timeouts.
	ctxs := map[string]context.Context{}
	cancels := map[string]context.CancelCauseFunc{}
	for _, fam := range []string{"ipv4", "ipv6"} {
		ctxs[fam], cancels[fam] = context.WithCancelCause(ctx)
		defer cancels[fam](nil)
	}
	done := map[string]chan struct{}{"ipv4": make(chan struct{}), "ipv6": make(chan struct{})}
	var all sync.WaitGroup
	for _, fam := range []string{"ipv4", "ipv6"} {
		var wg sync.WaitGroup
		for i := range answers {
			if answers[i].Family != fam {
				continue
			}
			wg.Add(1)
			all.Add(1)
			go func() {
				defer wg.Done()
				defer all.Done()
				a := &answers[i]
				a.IP, a.Err = askSource(ctxs[fam], clients[fam], a.Source, fam)
				if a.Err != nil && context.Cause(ctxs[fam]) == errFamilyGrace {
					a.Err = errFamilyGrace
				}
			}()
		}
		go func() { wg.Wait(); close(done[fam]) }()
	}
	go func() {
		// Only a family that got an address starts the other's grace: one
		// that failed at once (no IPv6 route: "network unreachable") says
		// nothing about how long the other may take.
		pending := map[string]chan struct{}{"ipv4": done["ipv4"], "ipv6": done["ipv6"]}
		for len(pending) > 0 {
			var finished string
			select {
			case <-pending["ipv4"]:
				finished = "ipv4"
			case <-pending["ipv6"]:
				finished = "ipv6"
			case <-ctx.Done():
				return
			}
			delete(pending, finished)
			if !answered(answers, finished) {
				continue
			}
			for other, ch := range pending {
				t := time.NewTimer(familyGrace)
				select {
				case <-t.C:
					cancels[other](errFamilyGrace)
				case <-ch:
				}
				t.Stop()
			}
			return
		}
	}()
	all.Wait()
	eg := Egress{Sources: answers, Agree: true}
	var ok4, ok6 bool
	eg.IPv4, ok4 = vote(answers, "ipv4")
	eg.IPv6, ok6 = vote(answers, "ipv6")
	eg.Agree = ok4 && ok6
	return eg, nil
}

// vote returns the address most sources named for fam, and whether all that
// answered agreed. A tie goes to the address named first in source order.
func vote(answers []SourceAnswer, fam string) (netip.Addr, bool) {
	counts := map[netip.Addr]int{}
	var order []netip.Addr
	for _, a := range answers {
		if a.Family != fam || a.Err != nil {
			continue
		}
		if counts[a.IP] == 0 {
			order = append(order, a.IP)
		}
		counts[a.IP]++
	}
	var best netip.Addr
	for _, ip := range order {
		if counts[ip] > counts[best] {
			best = ip
		}
	}
	return best, len(order) <= 1
}

// familyClient is base with its dialer forced to one address family, so an
// IPv4 lookup cannot silently go out over IPv6 and the other way round.
func familyClient(base *http.Client, network string) *http.Client {
	var tr *http.Transport
	if t, ok := base.Transport.(*http.Transport); ok {
		tr = t.Clone()
	} else {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	d := &net.Dialer{Timeout: 5 * time.Second}
	tr.DialContext = func(ctx context.Context, _, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	tr.DialTLSContext = nil
	c := *base
	c.Transport = tr
	return &c
}

func askSource(ctx context.Context, hc *http.Client, src, fam string) (netip.Addr, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, src, nil)
	if err != nil {
		return netip.Addr{}, errors.New("bad source URL: check [ip] sources in the config")
	}
	req.Header.Set("Accept", "text/plain, application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return netip.Addr{}, shortNetErr(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIPBody+1))
	if err != nil {
		return netip.Addr{}, fmt.Errorf("reading answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return netip.Addr{}, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if len(body) > maxIPBody {
		return netip.Addr{}, errors.New("answer too long to be an address")
	}
	ip, err := parseIPAnswer(body)
	if err != nil {
		return netip.Addr{}, err
	}
	if (fam == "ipv4") != ip.Is4() {
		return netip.Addr{}, fmt.Errorf("answered %s over %s", ip, fam)
	}
	return ip, nil
}

// parseIPAnswer accepts a plain address (with surrounding space) or a JSON
// object {"ip": "..."}.
func parseIPAnswer(b []byte) (netip.Addr, error) {
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "{") {
		var v struct {
			IP string `json:"ip"`
		}
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return netip.Addr{}, fmt.Errorf("answer is not JSON with an ip field: %w", err)
		}
		s = strings.TrimSpace(v.IP)
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("answer is not an IP address: %q", truncateText(s, 40))
	}
	return ip.Unmap().WithZone(""), nil
}

// sourceLabel is an IP source URL as shown in reports: without a password
// and with "…" for a query, which for services like ipinfo.io holds an
// access token.
func sourceLabel(src string) string {
	u, err := url.Parse(src)
	if err != nil {
		return "(unparsable URL)"
	}
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		u.RawQuery = "…"
	}
	return u.Redacted()
}

// shortNetErr drops Go's "Get \"url\": " prefix: the source is named next to it.
func shortNetErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			return inner
		}
	}
	return err
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func runIPPublic(ctx context.Context, env *Env) Result {
	eg, err := env.PublicIP(ctx)
	if err != nil {
		return Result{Status: Unknown, Summary: "public IP unknown: " + err.Error(),
			Details: map[string]any{"ipv4": nil, "ipv6": nil, "sources": []any{}, "agree": nil},
			Hint:    "set [ip] sources in the config to URLs that answer with your address"}
	}
	return judgeEgress(eg)
}

func judgeEgress(eg Egress) Result {
	srcs := make([]map[string]any, 0, len(eg.Sources))
	for _, a := range eg.Sources {
		var ip any
		if a.Err == nil {
			ip = a.IP.String()
		}
		srcs = append(srcs, map[string]any{"source": sourceLabel(a.Source), "family": a.Family, "ip": ip, "error": errText(a.Err)})
	}
	d := map[string]any{"ipv4": addrValue(eg.IPv4), "ipv6": addrValue(eg.IPv6), "sources": srcs, "agree": eg.Agree}
	desc := "IPv4 " + addrText(eg.IPv4) + ", IPv6 " + addrText(eg.IPv6)
	if !eg.IPv4.IsValid() && !eg.IPv6.IsValid() {
		return Result{Status: Unknown, Details: d, Summary: "no IP source answered",
			Hint: "check outbound HTTPS from this host, or set [ip] sources to reachable services"}
	}
	if !eg.Agree {
		var liars []string
		for _, a := range eg.Sources {
			if a.Err == nil && a.IP != eg.IPv4 && a.IP != eg.IPv6 {
				liars = append(liars, sourceLabel(a.Source)+" said "+a.IP.String())
			}
		}
		slices.Sort(liars)
		return Result{Status: Warn, Details: d, Summary: "egress " + desc + "; sources disagree: " + strings.Join(liars, ", "),
			Hint: "a proxy or a wrong source may be in the way; drop the odd source from [ip] sources"}
	}
	return Result{Status: OK, Details: d, Summary: "egress " + desc}
}

func addrValue(a netip.Addr) any {
	if !a.IsValid() {
		return nil
	}
	return a.String()
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return "none"
	}
	return a.String()
}

// answered reports whether any source gave an address over fam. It is read
// only after fam's goroutines are done.
func answered(answers []SourceAnswer, fam string) bool {
	for i := range answers {
		// Index, not range copy: the other family's entries may still be
		// written.
		if answers[i].Family == fam && answers[i].Err == nil && answers[i].IP.IsValid() {
			return true
		}
	}
	return false
}
