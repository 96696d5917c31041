package checks

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/beevik/ntp"
)

// ntpErrFloor widens every server's error interval, so servers that agree to
// within a few milliseconds are never split by measurement noise.
const ntpErrFloor = 10 * time.Millisecond

// NTPAnswer is one NTP server's answer.
type NTPAnswer struct {
	Server  string
	Offset  time.Duration // server clock minus local clock
	RTT     time.Duration
	Stratum int
	Leap    ntp.LeapIndicator
	// RootDistance bounds the server's own error from true time.
	RootDistance time.Duration
	Err          error
}

// interval is the span true time offset lies in, per this server.
func (a NTPAnswer) interval() (lo, hi time.Duration) {
	e := a.RTT/2 + a.RootDistance + ntpErrFloor
	return a.Offset - e, a.Offset + e
}

// NTPConsensus is the offset the majority of servers agree on.
type NTPConsensus struct {
	Offset       time.Duration
	Truechimers  []string // servers whose intervals hold the consensus
	Falsetickers []string // servers that answered but disagree
	Majority     bool     // more than half of the answering servers agree
}

// queryNTP asks every server at once; each query has its own deadline.
func queryNTP(ctx context.Context, servers []string) []NTPAnswer {
	out := make([]NTPAnswer, len(servers))
	timeout := 3 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl) - 100*time.Millisecond; left < timeout {
			timeout = max(left, 100*time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out[i] = queryOneNTP(s, timeout)
		}()
	}
	wg.Wait()
	return out
}

func queryOneNTP(server string, timeout time.Duration) NTPAnswer {
	a := NTPAnswer{Server: server}
	resp, err := ntp.QueryWithOptions(server, ntp.QueryOptions{Timeout: timeout})
	if err != nil {
		a.Err = fmt.Errorf("no answer: %w", err)
		return a
	}
	a.Offset, a.RTT, a.Stratum, a.Leap, a.RootDistance = resp.ClockOffset, resp.RTT, int(resp.Stratum), resp.Leap, resp.RootDistance
	a.Err = ntpResponseErr(resp)
	return a
}

// ntpResponseErr says why an answer must not be used, in the user's terms.
func ntpResponseErr(resp *ntp.Response) error {
	err := resp.Validate()
	switch {
	case err == nil:
		return nil
	case resp.Leap == ntp.LeapNotInSync:
		return errors.New("server is not synchronized itself (leap indicator 3)")
	case errors.Is(err, ntp.ErrKissOfDeath):
		return fmt.Errorf("kiss-of-death %q: the server asks us to stop querying it", resp.KissCode)
	}
	return fmt.Errorf("unusable answer: %w", err)
}

// consensus finds the offset most servers agree on, Marzullo-style: the
// point covered by the most error intervals; the servers whose intervals
// cover it are truechimers and the consensus is their median offset. A
// single falseticker among three cannot move it.
func consensus(ans []NTPAnswer) (NTPConsensus, bool) {
	var ok []NTPAnswer
	for _, a := range ans {
		if a.Err == nil {
			ok = append(ok, a)
		}
	}
	if len(ok) == 0 {
		return NTPConsensus{}, false
	}
	type edge struct {
		at    time.Duration
		delta int
	}
	var edges []edge
	for _, a := range ok {
		lo, hi := a.interval()
		edges = append(edges, edge{lo, +1}, edge{hi, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].at != edges[j].at {
			return edges[i].at < edges[j].at
		}
		return edges[i].delta > edges[j].delta // open before close: touching intervals overlap
	})
	best, n := 0, 0
	var point time.Duration
	for _, e := range edges {
		n += e.delta
		if n > best {
			best, point = n, e.at
		}
	}
	var c NTPConsensus
	var offs []time.Duration
	for _, a := range ok {
		lo, hi := a.interval()
		if lo <= point && point <= hi {
			c.Truechimers = append(c.Truechimers, a.Server)
			offs = append(offs, a.Offset)
		} else {
			c.Falsetickers = append(c.Falsetickers, a.Server)
		}
	}
	slices.Sort(offs)
	if len(offs)%2 == 1 {
		c.Offset = offs[len(offs)/2]
	} else {
		c.Offset = (offs[len(offs)/2-1] + offs[len(offs)/2]) / 2
	}
	c.Majority = 2*len(c.Truechimers) > len(ok)
	return c, true
}

func runClockNTP(ctx context.Context, env *Env) Result {
	cfg := env.Config().Clock
	if len(cfg.NTPServers) == 0 {
		return Result{Status: Unknown, Summary: "no NTP servers configured",
			Details: map[string]any{"offset_ms": nil, "servers": []any{}, "falsetickers": []string{}},
			Hint:    "set [clock] ntp_servers in the config"}
	}
	return judgeNTP(queryNTP(ctx, cfg.NTPServers), cfg.WarnMS, cfg.CritMS)
}

func judgeNTP(ans []NTPAnswer, warnMS, critMS int) Result {
	if warnMS <= 0 {
		warnMS = 250
	}
	if critMS <= 0 {
		critMS = 1000
	}
	servers := make([]map[string]any, 0, len(ans))
	for _, a := range ans {
		m := map[string]any{"server": a.Server, "offset_ms": nil, "rtt_ms": nil, "stratum": nil, "error": errText(a.Err)}
		if a.Err == nil || a.Stratum > 0 {
			m["offset_ms"], m["rtt_ms"], m["stratum"] = ms(a.Offset), ms(a.RTT), a.Stratum
		}
		if a.Leap == ntp.LeapAddSecond || a.Leap == ntp.LeapDelSecond {
			m["leap"] = map[ntp.LeapIndicator]string{ntp.LeapAddSecond: "insert", ntp.LeapDelSecond: "delete"}[a.Leap]
		}
		servers = append(servers, m)
	}
	d := map[string]any{"offset_ms": nil, "servers": servers, "falsetickers": []string{}}
	c, ok := consensus(ans)
	if !ok {
		return Result{Status: Unknown, Details: d, Summary: "no NTP server answered usably: " + firstNTPErr(ans),
			Hint: "allow outbound UDP 123, or set [clock] ntp_servers to reachable servers"}
	}
	d["falsetickers"] = nonNil(c.Falsetickers)
	answered := len(c.Truechimers) + len(c.Falsetickers)
	agree := fmt.Sprintf("%d/%d agree", len(c.Truechimers), answered)
	if !c.Majority {
		return Result{Status: Unknown, Details: d,
			Summary: fmt.Sprintf("NTP servers disagree (%s): no majority to trust", agree),
			Hint:    "configure at least three independent servers in [clock] ntp_servers"}
	}
	d["offset_ms"] = ms(c.Offset)
	// The local clock's error is minus the offset: offset is what to add.
	sum := fmt.Sprintf("local clock %s NTP (%s)", relClock(c.Offset), agree)
	var fts []string
	for _, f := range c.Falsetickers {
		for _, a := range ans {
			if a.Server == f {
				fts = append(fts, fmt.Sprintf("%s (serves %s)", f, serverSkew(a.Offset)))
			}
		}
	}
	if len(fts) > 0 {
		sum += "; falseticker: " + strings.Join(fts, ", ")
	}
	off := abs(c.Offset)
	hint := "sync the clock: `chronyc makestep`, or enable a time daemon (`timedatectl set-ntp true`)"
	switch {
	case off >= time.Duration(critMS)*time.Millisecond:
		return Result{Status: Crit, Details: d, Summary: sum, Hint: hint}
	case off >= time.Duration(warnMS)*time.Millisecond:
		return Result{Status: Warn, Details: d, Summary: sum, Hint: hint}
	case len(fts) > 0:
		return Result{Status: Warn, Details: d, Summary: sum,
			Hint: "the falseticker serves wrong time: remove it from [clock] ntp_servers and from the time daemon's sources"}
	}
	return Result{Status: OK, Details: d, Summary: sum}
}

func firstNTPErr(ans []NTPAnswer) string {
	for _, a := range ans {
		if a.Err != nil {
			return a.Server + ": " + a.Err.Error()
		}
	}
	return "none answered"
}

// relClock phrases an offset (server minus local) from the local clock's
// side: "12 ms ahead of", "1.9 s behind".
func relClock(off time.Duration) string {
	if off > 0 {
		return fmtMS(ms(off)) + " behind"
	}
	return fmtMS(ms(-off)) + " ahead of"
}

// serverSkew phrases a server's offset from the server's side.
func serverSkew(off time.Duration) string {
	if off >= 0 {
		return fmtMS(ms(off)) + " ahead"
	}
	return fmtMS(ms(-off)) + " behind"
}
