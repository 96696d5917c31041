package checks

import (
	"errors"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

func TestJudgePermissions(t *testing.T) {
	Y, N, U := exchange.Yes, exchange.No, exchange.Unknown
	tests := []struct {
		name     string
		perm     exchange.Permissions
		ipRestr  exchange.Tri
		needs    []string
		want     Status
		excess   []string
		missing  []string
		summary  string
		exchange string
	}{
		{"least privilege", exchange.Permissions{Read: Y, Trade: Y, Withdraw: N, Transfer: N}, Y, []string{"read", "trade"}, OK, nil, nil, "read · trade (needs: read, trade)", ""},
		{"withdraw on", exchange.Permissions{Read: Y, Trade: Y, Withdraw: Y}, Y, []string{"read", "trade"}, Crit, []string{"withdraw"}, nil, "withdrawals enabled", ""},
		{"trade without ip restriction", exchange.Permissions{Read: Y, Trade: Y, Withdraw: N}, N, []string{"read", "trade"}, Crit, nil, nil, "no IP restriction on a key with trade", ""},
		{"withdraw not reported", exchange.Permissions{Read: Y, Trade: Y, Withdraw: U}, Y, []string{"read", "trade"}, Warn, nil, nil, "exchange does not say whether withdrawals are off", "partial"},
		{"read only without ip restriction is fine", exchange.Permissions{Read: Y, Trade: N, Withdraw: N}, N, []string{"read"}, OK, nil, nil, "read (needs: read)", ""},
		{"missing need", exchange.Permissions{Read: Y, Trade: N, Withdraw: N}, Y, []string{"read", "trade"}, Crit, nil, []string{"trade"}, "missing trade", ""},
		{"transfer beyond needs", exchange.Permissions{Read: Y, Trade: Y, Transfer: Y, Withdraw: N}, Y, []string{"read", "trade"}, Warn, []string{"transfer"}, nil, "transfer enabled", ""},
		{"futures beyond needs", exchange.Permissions{Read: Y, Trade: Y, Futures: Y, Withdraw: N}, Y, []string{"read", "trade"}, Warn, []string{"futures"}, nil, "more than needed: futures", ""},
		{"default needs read+trade", exchange.Permissions{Read: Y, Trade: Y, Withdraw: N}, Y, nil, OK, nil, nil, "read · trade (needs: read, trade)", ""},
		{"ip restriction unknown", exchange.Permissions{Read: Y, Trade: Y, Withdraw: N}, U, []string{"read", "trade"}, Unknown, nil, nil, "IP restriction unknown (the exchange does not say whether the key is IP-restricted) on a key with trade", ""},
		{"okx trade bundles instruments", exchange.Permissions{Read: Y, Trade: Y, Margin: Y, Futures: Y, Options: Y, Transfer: N, Withdraw: N}, Y, []string{"read", "trade"}, OK, nil, nil, "read · trade · margin · futures · options (needs: read, trade)", "okx"},
		{"same grants elsewhere are excess", exchange.Permissions{Read: Y, Trade: Y, Margin: Y, Futures: Y, Options: Y, Transfer: N, Withdraw: N}, Y, []string{"read", "trade"}, Warn, []string{"margin", "futures", "options"}, nil, "more than needed: margin, futures, options", "binance"},
		{"bybit spot margin without trade need", exchange.Permissions{Read: Y, Trade: Y, Margin: Y, Withdraw: N}, Y, []string{"read"}, Warn, []string{"trade", "margin"}, nil, "more than needed: trade, margin", "bybit"},
		{"withdraw and no restriction", exchange.Permissions{Read: Y, Trade: Y, Withdraw: Y}, N, []string{"read", "trade"}, Crit, []string{"withdraw"}, nil, "withdrawals enabled; no IP restriction on a key with trade, withdraw", ""},
		{"futures only without ip restriction", exchange.Permissions{Read: Y, Futures: Y}, N, []string{"read", "futures"}, Crit, nil, nil, "no IP restriction on a key with futures", ""},
		{"convert only without ip restriction", exchange.Permissions{Read: Y, Convert: Y}, N, []string{"read"}, Crit, nil, nil, "no IP restriction on a key with convert", ""},
		{"unreported capabilities without ip restriction", exchange.Permissions{Read: Y, Trade: N, Withdraw: N, Transfer: N, Margin: N, Futures: N, Options: N}, N, []string{"read"}, Crit, nil, nil,
			"no IP restriction on a key with maybe convert, block_trade, copy_trading, p2p, pay, earn (not reported)", "partial"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			perm, ex := tt.perm, tt.exchange
			if ex == "partial" {
				ex = ""
			} else {
				perm = settled(perm)
			}
			r := judgePermissions(exchange.KeyInfo{Permissions: perm, IPRestricted: tt.ipRestr, Raw: []string{"x"}}, tt.needs, ex)
			if r.Status != tt.want {
				t.Fatalf("status %v, want %v (%s)", r.Status, tt.want, r.Summary)
			}
			if r.Summary != tt.summary {
				t.Errorf("summary %q, want %q", r.Summary, tt.summary)
			}
			if got := r.Details["excess"].([]string); !slices.Equal(got, nonNil(tt.excess)) {
				t.Errorf("excess %v, want %v", got, tt.excess)
			}
			if got := r.Details["missing"].([]string); !slices.Equal(got, nonNil(tt.missing)) {
				t.Errorf("missing %v, want %v", got, tt.missing)
			}
			if r.Status != OK && r.Hint == "" {
				t.Errorf("no hint for %v", r.Status)
			}
			g := r.Details["granted"].(map[string]any)
			if len(g) != 13 {
				t.Errorf("granted has %d capabilities, want all 13", len(g))
			}
		})
	}
}

// settled makes a fixture a complete answer: what it leaves out, the key
// cannot do (rows named "partial" keep their unknowns).
func settled(p exchange.Permissions) exchange.Permissions {
	for _, f := range []*exchange.Tri{&p.Read, &p.Trade, &p.Margin, &p.Futures, &p.Options, &p.Transfer, &p.Withdraw,
		&p.Convert, &p.BlockTrade, &p.CopyTrading, &p.P2P, &p.Pay, &p.Earn} {
		if *f == exchange.Unknown {
			*f = exchange.No
		}
	}
	return p
}

func TestJudgeKeyAge(t *testing.T) {
	now := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	base := keyAgeInput{MaxAge: 90 * day, WarnBefore: 14 * day, Now: now}
	with := func(f func(*keyAgeInput)) keyAgeInput { in := base; f(&in); return in }
	tests := []struct {
		name     string
		in       keyAgeInput
		want     Status
		ageDays  any
		daysLeft any
	}{
		{"fresh", with(func(i *keyAgeInput) { i.Created, i.Source = now.Add(-41*day), "exchange" }), OK, 41, 49},
		{"within warn_before", with(func(i *keyAgeInput) { i.Created = now.Add(-88 * day) }), Warn, 88, 2},
		{"exactly warn_before left", with(func(i *keyAgeInput) { i.Created = now.Add(-76 * day) }), Warn, 76, 14},
		{"past max age by an hour", with(func(i *keyAgeInput) { i.Created = now.Add(-90*day - time.Hour) }), Crit, 90, -1},
		{"unknown creation", base, Unknown, nil, nil},
		{"exchange expiry in 3 days", with(func(i *keyAgeInput) { i.Created = now.Add(-10 * day); i.ExpiresAt = now.Add(3 * day) }), Crit, 10, 80},
		{"exchange expiry in 30 days", with(func(i *keyAgeInput) { i.Created = now.Add(-10 * day); i.ExpiresAt = now.Add(30 * day) }), OK, 10, 80},
		{"expired, creation unknown", with(func(i *keyAgeInput) { i.ExpiresAt = now.Add(-day) }), Crit, nil, nil},
		{"exchange expiry in 10 days warns", with(func(i *keyAgeInput) { i.Created = now.Add(-10 * day); i.ExpiresAt = now.Add(10 * day) }), Warn, 10, 80},
		{"expiry within warn_before, creation unknown", with(func(i *keyAgeInput) { i.ExpiresAt = now.Add(10 * day) }), Unknown, nil, nil},
		{"okx idle rule warns", with(func(i *keyAgeInput) { i.Created = now.Add(-10 * day); i.Inactivity = "OKX expires…" }), Warn, 10, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := judgeKeyAge(tt.in)
			if r.Status != tt.want {
				t.Fatalf("status %v, want %v (%s)", r.Status, tt.want, r.Summary)
			}
			if r.Details["age_days"] != tt.ageDays || r.Details["days_left"] != tt.daysLeft {
				t.Errorf("age_days %v days_left %v, want %v %v", r.Details["age_days"], r.Details["days_left"], tt.ageDays, tt.daysLeft)
			}
			if r.Details["max_age_days"] != 90 {
				t.Errorf("max_age_days %v", r.Details["max_age_days"])
			}
		})
	}
	tp := judgeKeyAge(with(func(i *keyAgeInput) {
		i.Created, i.ExpiresAt, i.ExpiresWhat = now.Add(-10*day), now.Add(3*day), "trading permission"
	}))
	if tp.Status != Crit || !strings.Contains(tp.Summary, "key's trading permission in 3 days") || tp.Details["expires"] != "trading permission" {
		t.Errorf("binance trading permission expiry: %v %q %v", tp.Status, tp.Summary, tp.Details["expires"])
	}
	Y, N := exchange.Yes, exchange.No
	unbound := exchange.KeyInfo{Permissions: exchange.Permissions{Trade: Y, Withdraw: N}, IPRestricted: N}
	if inactivityRule("okx", unbound) == "" {
		t.Error("okx unbound trading key: no inactivity warning")
	}
	bound := exchange.KeyInfo{Permissions: exchange.Permissions{Trade: Y, Withdraw: N}, IPRestricted: Y, Whitelist: []string{"203.0.113.7"}}
	readOnly := exchange.KeyInfo{Permissions: exchange.Permissions{Trade: N, Withdraw: N}, IPRestricted: N}
	admitAll := exchange.KeyInfo{Permissions: exchange.Permissions{Trade: Y, Withdraw: N}, IPRestricted: Y, Whitelist: []string{"0.0.0.0/0"}}
	if inactivityRule("okx", bound) != "" || inactivityRule("okx", readOnly) != "" || inactivityRule("bybit", unbound) != "" {
		t.Error("inactivity warning where OKX's rule does not apply")
	}
	if inactivityRule("okx", admitAll) == "" {
		t.Error("okx key bound to 0.0.0.0/0: no inactivity warning")
	}
	if realTime(time.Unix(0, 0)) != (time.Time{}) {
		t.Error("the 1970 sentinel is not treated as no expiry")
	}
}

func sampleWithOffset(off, rtt time.Duration) exchange.TimeSample {
	sent := time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC)
	return exchange.TimeSample{Sent: sent, Received: sent.Add(rtt), Server: sent.Add(rtt / 2).Add(off)}
}

func TestJudgeExchangeClock(t *testing.T) {
	binance := exchange.Window{Behind: 5 * time.Second, Ahead: time.Second}
	okx := exchange.Window{Behind: 30 * time.Second, Ahead: 30 * time.Second}
	tests := []struct {
		name   string
		w      exchange.Window
		offset time.Duration // server minus local
		want   Status
		margin any
	}{
		{"in sync", binance, 5 * time.Millisecond, OK, 4995.0},
		// local clock 300 ms ahead: 30% of Binance's 1000 ms ahead limit.
		{"binance local ahead 300ms warns", binance, -300 * time.Millisecond, Warn, 700.0},
		{"binance local ahead 600ms crit", binance, -600 * time.Millisecond, Crit, 400.0},
		{"binance local ahead 1.2s rejected", binance, -1200 * time.Millisecond, Crit, -200.0},
		// local clock 600 ms behind: 12% of the 5000 ms recvWindow.
		{"binance local behind 600ms ok", binance, 600 * time.Millisecond, OK, 4400.0},
		{"binance local behind 1.9s warns", binance, 1900 * time.Millisecond, Warn, 3100.0},
		{"okx 7s behind ok", okx, 7 * time.Second, Warn, 23000.0},
		{"kraken has no window", exchange.Window{}, 9 * time.Second, OK, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := judgeExchangeClock("x", tt.w, sampleWithOffset(tt.offset, 40*time.Millisecond))
			if r.Status != tt.want {
				t.Fatalf("status %v, want %v (%s)", r.Status, tt.want, r.Summary)
			}
			if r.Details["margin_ms"] != tt.margin {
				t.Errorf("margin %v, want %v", r.Details["margin_ms"], tt.margin)
			}
			if got := r.Details["offset_ms"]; got != ms(tt.offset) {
				t.Errorf("offset_ms %v, want %v", got, ms(tt.offset))
			}
			if r.Details["rtt_ms"] != 40.0 {
				t.Errorf("rtt_ms %v", r.Details["rtt_ms"])
			}
		})
	}
}

func TestJudgeWhitelist(t *testing.T) {
	v4 := netip.MustParseAddr("203.0.113.7")
	v6 := netip.MustParseAddr("2001:db8::7")
	tests := []struct {
		name    string
		egress  []netip.Addr
		cfg     []string
		info    exchange.KeyInfo
		infoErr error
		want    Status
		allowed any
	}{
		{"exchange list holds egress", []netip.Addr{v4}, nil, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"203.0.113.7"}}, nil, OK, true},
		{"exchange list misses egress", []netip.Addr{v4}, nil, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"198.51.100.0/24"}}, nil, Crit, false},
		{"kucoin masked entry cannot confirm", []netip.Addr{v4}, nil, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"203.**.7"}}, nil, Unknown, nil},
		{"kucoin masked entry confirmed by config", []netip.Addr{v4}, []string{"203.0.113.7"}, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"203.**.7"}}, nil, OK, true},
		{"kucoin masked entry does not match", []netip.Addr{v4}, nil, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"198.**.7"}}, nil, Crit, false},
		{"config list when exchange silent", []netip.Addr{v4, v6}, []string{"203.0.113.0/24", "2001:db8::/64"}, exchange.KeyInfo{IPRestricted: exchange.Yes}, nil, OK, true},
		{"ipv6 not listed warns", []netip.Addr{v4, v6}, []string{"203.0.113.7"}, exchange.KeyInfo{IPRestricted: exchange.Yes}, nil, Warn, false},
		{"no restriction, read only", []netip.Addr{v4}, nil, exchange.KeyInfo{Permissions: settled(exchange.Permissions{Read: exchange.Yes}), IPRestricted: exchange.No, Whitelist: []string{}}, nil, OK, true},
		{"no restriction, futures", []netip.Addr{v4}, nil, exchange.KeyInfo{Permissions: settled(exchange.Permissions{Read: exchange.Yes, Futures: exchange.Yes}), IPRestricted: exchange.No, Whitelist: []string{}}, nil, Crit, true},
		{"no restriction, permissions unreported", []netip.Addr{v4}, []string{"203.0.113.7"}, exchange.KeyInfo{IPRestricted: exchange.No}, nil, Crit, true},
		{"admit-all entry", []netip.Addr{v4}, []string{"203.0.113.7"}, exchange.KeyInfo{Permissions: settled(exchange.Permissions{Trade: exchange.Yes}), IPRestricted: exchange.Yes, Whitelist: []string{"0.0.0.0/0"}}, nil, Crit, true},
		{"entry that does not parse", []netip.Addr{v4}, nil, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"203.0.113.7", "office"}}, nil, Unknown, nil},
		{"binance -2015 with a config whitelist", []netip.Addr{v4}, []string{"203.0.113.7"}, exchange.KeyInfo{}, &exchange.Error{Exchange: "binance", Code: "-2015", Cause: exchange.CauseAmbiguousAuth, Message: "Invalid API-key, IP, or permissions for action."}, Unknown, nil},
		{"nobody says", []netip.Addr{v4}, nil, exchange.KeyInfo{IPRestricted: exchange.Yes}, nil, Warn, nil},
		{"config vs exchange differ", []netip.Addr{v4}, []string{"203.0.113.7", "198.51.100.1"}, exchange.KeyInfo{IPRestricted: exchange.Yes, Whitelist: []string{"203.0.113.7"}}, nil, Warn, true},
		{"exchange failed, config decides", []netip.Addr{v4}, []string{"198.51.100.1"}, exchange.KeyInfo{}, errors.New("boom"), Crit, false},
		{"exchange failed, no config", []netip.Addr{v4}, nil, exchange.KeyInfo{}, errors.New("boom"), Unknown, nil},
		{"no egress", nil, []string{"203.0.113.7"}, exchange.KeyInfo{}, nil, Unknown, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := judgeWhitelist(tt.egress, config.Profile{Whitelist: tt.cfg}, tt.info, tt.infoErr)
			if r.Status != tt.want {
				t.Fatalf("status %v, want %v (%s)", r.Status, tt.want, r.Summary)
			}
			if r.Details["allowed"] != tt.allowed {
				t.Errorf("allowed %v, want %v", r.Details["allowed"], tt.allowed)
			}
			if tt.info.Whitelist == nil && r.Details["exchange_whitelist"] != nil {
				t.Errorf("exchange_whitelist %v, want null", r.Details["exchange_whitelist"])
			}
		})
	}
}

func TestWhitelistedPatterns(t *testing.T) {
	tests := []struct {
		ip    string
		entry string
		want  bool
	}{
		{"203.0.113.154", "203.**.154", true},
		{"203.0.113.154", "203.0.113.154", true},
		{"203.0.113.154", "203.0.113.0/24", true},
		{"203.0.114.154", "203.0.113.0/24", false},
		{"203.0.113.155", "203.**.154", false},
		{"198.0.113.154", "203.**.154", false},
		{"2001:db8::1", "2001:db8::/32", true},
		{"2001:db8::1", "2001:***:1", true},
		{"203.0.113.154", "not an ip", false},
	}
	for _, tt := range tests {
		if got := whitelisted(netip.MustParseAddr(tt.ip), []string{tt.entry}); got != tt.want {
			t.Errorf("whitelisted(%s, %q) = %v, want %v", tt.ip, tt.entry, got, tt.want)
		}
	}
}

func TestConsensusOutvotesFalseticker(t *testing.T) {
	a := func(s string, off time.Duration) NTPAnswer {
		return NTPAnswer{Server: s, Offset: off, RTT: 20 * time.Millisecond, Stratum: 2, RootDistance: 5 * time.Millisecond}
	}
	tests := []struct {
		name     string
		ans      []NTPAnswer
		want     time.Duration
		falses   []string
		majority bool
	}{
		{"three agree", []NTPAnswer{a("a", 10*time.Millisecond), a("b", 12*time.Millisecond), a("c", 11*time.Millisecond)}, 11 * time.Millisecond, nil, true},
		{"one ahead by 7s", []NTPAnswer{a("a", 10*time.Millisecond), a("b", 7*time.Second), a("c", 12*time.Millisecond)}, 11 * time.Millisecond, []string{"b"}, true},
		{"one behind by 7s, one failed", []NTPAnswer{a("a", -7*time.Second), {Server: "b", Err: errors.New("timeout")}, a("c", 3*time.Millisecond), a("d", 4*time.Millisecond)}, 3500 * time.Microsecond, []string{"a"}, true},
		{"two disagree", []NTPAnswer{a("a", 0), a("b", 7*time.Second)}, 0, []string{"b"}, false},
		{"single server", []NTPAnswer{a("a", 2*time.Second)}, 2 * time.Second, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := consensus(tt.ans)
			if !ok {
				t.Fatal("no consensus")
			}
			if c.Majority != tt.majority {
				t.Fatalf("majority %v, want %v", c.Majority, tt.majority)
			}
			if tt.majority && c.Offset != tt.want {
				t.Errorf("offset %v, want %v", c.Offset, tt.want)
			}
			if !slices.Equal(c.Falsetickers, tt.falses) && !(len(c.Falsetickers) == 0 && tt.falses == nil) {
				t.Errorf("falsetickers %v, want %v", c.Falsetickers, tt.falses)
			}
		})
	}
	if _, ok := consensus([]NTPAnswer{{Server: "x", Err: errors.New("down")}}); ok {
		t.Error("consensus from no usable answer")
	}
}

func TestJudgeNTPThresholds(t *testing.T) {
	mk := func(off time.Duration) []NTPAnswer {
		var out []NTPAnswer
		for _, s := range []string{"a", "b", "c"} {
			out = append(out, NTPAnswer{Server: s, Offset: off, RTT: 10 * time.Millisecond, Stratum: 2})
		}
		return out
	}
	for _, tt := range []struct {
		off  time.Duration
		want Status
	}{{20 * time.Millisecond, OK}, {-300 * time.Millisecond, Warn}, {1200 * time.Millisecond, Crit}, {-7 * time.Second, Crit}} {
		r := judgeNTP(mk(tt.off), 250, 1000)
		if r.Status != tt.want {
			t.Errorf("offset %v: %v, want %v (%s)", tt.off, r.Status, tt.want, r.Summary)
		}
		if r.Details["offset_ms"] != ms(tt.off) {
			t.Errorf("offset_ms %v", r.Details["offset_ms"])
		}
	}
	all := []NTPAnswer{{Server: "a", Err: errors.New("no answer: timeout")}}
	if r := judgeNTP(all, 250, 1000); r.Status != Unknown || r.Details["offset_ms"] != nil {
		t.Errorf("all failed: %v %v", r.Status, r.Details["offset_ms"])
	}
}

func TestParseIPAnswer(t *testing.T) {
	for _, tt := range []struct {
		body string
		want string
		ok   bool
	}{
		{"203.0.113.7", "203.0.113.7", true},
		{"203.0.113.7\n", "203.0.113.7", true},
		{`{"ip":"2001:db8::7"}`, "2001:db8::7", true},
		{` {"ip": "203.0.113.7", "country": "NL"} `, "203.0.113.7", true},
		{"::ffff:203.0.113.7", "203.0.113.7", true},
		{"<html>blocked</html>", "", false},
		{`{"address":"1.2.3.4"}`, "", false},
		{"", "", false},
	} {
		ip, err := parseIPAnswer([]byte(tt.body))
		if (err == nil) != tt.ok || (tt.ok && ip.String() != tt.want) {
			t.Errorf("parseIPAnswer(%q) = %v, %v", tt.body, ip, err)
		}
	}
}

func TestVote(t *testing.T) {
	ip := netip.MustParseAddr
	ans := []SourceAnswer{
		{Source: "a", Family: "ipv4", IP: ip("203.0.113.7")},
		{Source: "b", Family: "ipv4", IP: ip("198.51.100.9")},
		{Source: "c", Family: "ipv4", IP: ip("203.0.113.7")},
		{Source: "a", Family: "ipv6", Err: errors.New("no route")},
	}
	got, agree := vote(ans, "ipv4")
	if got != ip("203.0.113.7") || agree {
		t.Errorf("vote = %v agree=%v, want the majority and disagreement", got, agree)
	}
	if got, agree := vote(ans, "ipv6"); got.IsValid() || !agree {
		t.Errorf("ipv6 vote = %v %v, want none", got, agree)
	}
}

func TestKernelClockJudgement(t *testing.T) {
	if r := judgeKernelClock(kernelClock{Synchronized: false, EstError: 16000, MaxError: 16000}); r.Status != Warn {
		t.Errorf("unsynchronized: %v", r.Status)
	}
	r := judgeKernelClock(kernelClock{Synchronized: true, EstError: 4.2, MaxError: 120})
	if r.Status != OK || r.Details["est_error_ms"] != 4.2 || r.Details["synchronized"] != true {
		t.Errorf("synchronized: %v %v", r.Status, r.Details)
	}
}

func TestReadKernelClock(t *testing.T) {
	k, err := readKernelClock()
	if err != nil {
		t.Fatalf("adjtimex read: %v", err)
	}
	if k.MaxError < 0 || k.EstError < 0 {
		t.Errorf("negative errors: %+v", k)
	}
}

func TestSameWhitelist(t *testing.T) {
	tests := []struct {
		cfg, ex []string
		want    bool
	}{
		{[]string{"198.51.100.23"}, []string{"198.**.23"}, true}, // KuCoin masks what the config names
		{[]string{"198.51.100.23", "2001:db8::/64"}, []string{"2001:db8::/64", "198.51.100.23"}, true},
		{[]string{"2001:db8::1:0/64"}, []string{"2001:db8::/64"}, true}, // same prefix written two ways
		{[]string{"198.51.100.23"}, []string{"203.**.154"}, false},
		{[]string{"198.51.100.23"}, []string{"198.**.23", "103.**.34"}, false}, // the exchange allows more
		{[]string{"198.51.100.23", "198.51.100.24"}, []string{"198.**.23"}, false},
	}
	for _, tt := range tests {
		if got := sameWhitelist(tt.cfg, tt.ex); got != tt.want {
			t.Errorf("sameWhitelist(%q, %q) = %v, want %v", tt.cfg, tt.ex, got, tt.want)
		}
	}
}
