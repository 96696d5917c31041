package checks

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange/exchangetest"
)

func byKey(rep Report) map[string]Result {
	m := map[string]Result{}
	for _, r := range rep.Checks {
		m[r.Key()] = r
	}
	return m
}

func TestRunAgainstFakes(t *testing.T) {
	w := newWorld(t)
	d := w.deps()
	rep := Run(context.Background(), NewEnv(d), Build(d, Options{}))
	got := byKey(rep)
	want := map[string]Status{
		"ip.public":                    Warn, // one source of three lies
		"keystore":                     OK,
		"clock.exchange/binance-main":  OK,
		"ip.whitelist/binance-main":    Warn, // restricted, list not reported, none in config
		"key.age/binance-main":         OK,
		"key.permissions/binance-main": Crit, // withdrawals
		"clock.exchange/bybit-grid":    OK,
		"ip.whitelist/bybit-grid":      Crit, // 10010 from the exchange
		"key.age/bybit-grid":           Warn, // 88 days of 90
		"key.permissions/bybit-grid":   Unknown,
		"clock.exchange/okx-arb":       OK,
		"ip.whitelist/okx-arb":         OK,
		"key.age/okx-arb":              OK,
		"key.permissions/okx-arb":      OK,
	}
	for k, st := range want {
		r, ok := got[k]
		if !ok {
			t.Errorf("%s missing from the report", k)
			continue
		}
		if r.Status != st {
			t.Errorf("%s: %v, want %v (%s)", k, r.Status, st, r.Summary)
		}
	}
	if ip := got["ip.public"].Details["ipv4"]; ip != "203.0.113.7" {
		t.Errorf("egress %v, want the majority's 203.0.113.7", ip)
	}
	if src := got["key.age/binance-main"].Details["created_source"]; src != "exchange" {
		t.Errorf("binance key.age source %v, want exchange", src)
	}
	if src := got["key.age/okx-arb"].Details["created_source"]; src != "keystore" {
		t.Errorf("okx key.age source %v, want keystore (OKX does not report creation)", src)
	}
	if c := got["key.permissions/bybit-grid"].Details["cause"]; c != "ip" {
		t.Errorf("bybit permissions cause %v, want ip", c)
	}
	if rep.Status != Crit || rep.Overall(true) != Crit || ExitCode(rep.Status) != 2 {
		t.Errorf("overall %v", rep.Status)
	}
	assertNoSecrets(t, rep)
}

// assertNoSecrets renders the report every way and looks for each stored
// credential.
func assertNoSecrets(t *testing.T, rep Report) {
	t.Helper()
	var out bytes.Buffer
	if err := WriteText(&out, rep, true); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&out, rep); err != nil {
		t.Fatal(err)
	}
	if err := WritePrometheus(&out, rep); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{binanceKey, binanceSecret, bybitKey, bybitSecret, okxKey, okxSecret, okxPass} {
		if strings.Contains(out.String(), s) {
			t.Errorf("output holds a credential %.4s…", s)
		}
	}
}

func TestSharedWorkPerEndpoint(t *testing.T) {
	w := newWorld(t)
	// Two profiles with two keys on the same Binance endpoint.
	const k2, s2 = "secondBinanceKey000000000000000000000000000000000000000000000001", "secondBinanceSecret00000000000000000000000000000000000000000001"
	w.binance.SetKey(exchangetest.BinanceKey{APIKey: k2, Secret: s2, Reading: true, SpotAndMarginTrading: true, Whitelist: []string{egressV4.String()}})
	p2 := w.cfg.Profiles[0]
	p2.Name = "binance-alt"
	w.cfg.Profiles = append(w.cfg.Profiles[:1], p2)
	it, _ := w.store.Get(context.Background(), "binance-main")
	it.APIKey, it.APISecret = secret(k2), secret(s2)
	if err := w.store.Set(context.Background(), "binance-alt", it); err != nil {
		t.Fatal(err)
	}
	d := w.deps()
	env := NewEnv(d)
	cs := Build(d, Options{})
	Run(context.Background(), env, cs)
	// 3 server-time samples for the endpoint + 1 key-info request per key,
	// however many checks use them.
	if n := w.binance.Requests(); n != samplesPerEndpoint+2 {
		t.Errorf("%d requests reached the fake, want %d", n, samplesPerEndpoint+2)
	}
	// A reused Env within MaxAge asks nothing again...
	Run(context.Background(), env, cs)
	if n := w.binance.Requests(); n != samplesPerEndpoint+2 {
		t.Errorf("reused Env: %d requests, want still %d", n, samplesPerEndpoint+2)
	}
	// ...and asks again once invalidated.
	env.Invalidate()
	Run(context.Background(), env, cs)
	if n := w.binance.Requests(); n != 2*(samplesPerEndpoint+2) {
		t.Errorf("after Invalidate: %d requests, want %d", n, 2*(samplesPerEndpoint+2))
	}
}

func TestSkewedExchangeStillAudited(t *testing.T) {
	w := newWorld(t)
	// The fake runs 1.5 s behind: our requests look 1.5 s ahead to it,
	// past Binance's 1000 ms limit.
	w.binance.SetSkew(-1500 * time.Millisecond)
	d := w.deps()
	d.Config.Profiles = d.Config.Profiles[:1]
	got := byKey(Run(context.Background(), NewEnv(d), Build(d, Options{})))
	ce := got["clock.exchange/binance-main"]
	if ce.Status != Crit || !strings.Contains(ce.Summary, "ahead of binance") {
		t.Errorf("clock.exchange %v %q, want crit, local clock ahead", ce.Status, ce.Summary)
	}
	if off := ce.Details["offset_ms"].(float64); off > -1400 || off < -1600 {
		t.Errorf("offset_ms %v, want about -1500", off)
	}
	// The key info was signed with the corrected time, so permissions are
	// still read despite the clock.
	if kp := got["key.permissions/binance-main"]; kp.Status != Crit || !strings.Contains(kp.Summary, "withdrawals enabled") {
		t.Errorf("key.permissions %v %q, want the withdrawal finding", kp.Status, kp.Summary)
	}
}

func TestEveryFaultIsUnknownWithAReason(t *testing.T) {
	kinds := map[string]exchangetest.FaultKind{
		"server error": exchangetest.ServerError, "rate limited": exchangetest.RateLimited,
		"banned": exchangetest.Banned, "malformed": exchangetest.MalformedJSON,
		"truncated": exchangetest.TruncatedBody, "oversized": exchangetest.OversizedBody,
		"reset": exchangetest.ConnectionReset, "hang": exchangetest.Hang,
	}
	for name, k := range kinds {
		t.Run(name, func(t *testing.T) {
			w := newWorld(t)
			for _, f := range w.fakes() {
				f.Faults.Set(exchangetest.Fault{Kind: k, Size: 4 << 20})
			}
			d := w.deps()
			d.Timeout = 1500 * time.Millisecond
			for _, r := range Run(context.Background(), NewEnv(d), Build(d, Options{})).Checks {
				c := r
				if c.Profile == "" || c.ID == "hygiene.files" {
					continue
				}
				if c.ID == "key.age" { // falls back to the keystore's date
					if r.Status == Unknown || r.Details["created_source"] != "keystore" {
						t.Errorf("%s %v from %v", c.Key(), r.Status, r.Details["created_source"])
					}
					continue
				}
				if c.ID == "ip.whitelist" {
					continue // unknown or, with a config whitelist, judged from it
				}
				if c.ID == "key.retired" && r.Summary == "no retired keys" {
					continue // nothing to ask the exchange (TestKeyRetired covers faults)
				}
				if r.Status != Unknown {
					t.Errorf("%s: %v, want unknown (%s)", c.Key(), r.Status, r.Summary)
				}
				// The check itself gave up and said why; it is not the
				// runner's fallback for a check that ignored its deadline.
				if r.Details["cause"] == nil || r.Hint == "" || strings.Contains(r.Summary, "no answer within") {
					t.Errorf("%s: no reason: %q cause=%v hint=%q", c.Key(), r.Summary, r.Details["cause"], r.Hint)
				}
			}
		})
	}
}
