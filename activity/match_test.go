package activity

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
)

func TestMatch(t *testing.T) {
	l := Ledger{OrderIDs: map[string]bool{"28": true}, ClientIDs: map[string]bool{"a1b2c3d4e5f6": true, "x-d63tKbx3JKmybot001": true, "short": true}}
	for _, tc := range []struct {
		name string
		o    exchange.Order
		want bool
	}{
		{"order id", exchange.Order{ID: "28"}, true},
		{"client id", exchange.Order{ID: "1", ClientID: "a1b2c3d4e5f6"}, true},
		{"ccxt broker tag on the wire", exchange.Order{ID: "2", ClientID: "x-R4BD3S82a1b2c3d4e5f6"}, true},
		{"bot logged the tagged id, exchange too", exchange.Order{ID: "3", ClientID: "x-d63tKbx3JKmybot001"}, true},
		{"a tag is no wildcard", exchange.Order{ID: "4", ClientID: "x-R4BD3S82zzzz"}, false},
		{"too short to match behind a tag", exchange.Order{ID: "5", ClientID: "x-R4BD3S82short"}, false},
		{"suffix without a tag", exchange.Order{ID: "6", ClientID: "evila1b2c3d4e5f6"}, false},
		{"nothing logged", exchange.Order{ID: "7", ClientID: "web_1"}, false},
	} {
		if got, _ := l.Match(tc.o); got != tc.want {
			t.Errorf("%s: match %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestJudge(t *testing.T) {
	now := time.Now()
	l := Ledger{OrderIDs: map[string]bool{"1": true}, ClientIDs: map[string]bool{}}
	a := Acks{IDs: map[string]time.Time{"3": now}}
	for _, tc := range []struct {
		o    exchange.Order
		want Verdict
	}{
		{exchange.Order{ID: "1", Time: now.Add(-time.Hour)}, Ours},
		{exchange.Order{ID: "2", Time: now.Add(-time.Hour), System: true, Origin: "CreateByLiq"}, System},
		{exchange.Order{ID: "3", Time: now.Add(-time.Hour)}, Acked},
		{exchange.Order{ID: "4", Time: now.Add(-Grace / 2)}, Pending},
		{exchange.Order{ID: "5", Time: now.Add(-Grace - time.Second)}, Unlogged},
		{exchange.Order{ID: "6", Time: now.Add(-time.Hour), Origin: "WEB"}, Acked},
		{exchange.Order{ID: "7", Time: now.Add(-time.Hour), Origin: "IOS"}, Unlogged},
	} {
		if got, why := Judge(tc.o, l, a, config.Activity{AllowManual: []string{"WEB"}}, now); got != tc.want || why == "" {
			t.Errorf("order %s: %s (%q), want %s", tc.o.ID, got, why, tc.want)
		}
	}
}

// An order younger than Grace is judged at once when the bot's log has
// moved Settle past it; a log stamped ahead of now proves nothing.
func TestJudgeOnceTheLogMovedOn(t *testing.T) {
	now := time.Now()
	o := exchange.Order{ID: "9", Time: now.Add(-Settle - time.Second)}
	for _, tc := range []struct {
		name   string
		latest time.Time
		want   Verdict
	}{
		{"no stamped line", time.Time{}, Pending},
		{"log just before the order", o.Time.Add(-time.Second), Pending},
		{"log not yet Settle past it", o.Time.Add(Settle - time.Second), Pending},
		{"log Settle past it", o.Time.Add(Settle), Unlogged},
		{"log stamped ahead of now", now.Add(time.Hour), Pending},
	} {
		l := Ledger{OrderIDs: map[string]bool{}, ClientIDs: map[string]bool{}, Latest: tc.latest}
		if got, why := Judge(o, l, Acks{}, config.Activity{}, now); got != tc.want {
			t.Errorf("%s: %s (%q), want %s", tc.name, got, why, tc.want)
		}
	}
}

func TestReadLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.log")
	lines := `{"ts":"2026-11-25T16:04:11Z","event":"place_order","symbol":"BTC/USDT","order_id":"28","client_order_id":"x-R4BD3S82abc"}
time=2026-11-25T16:04:12Z level=info op=place_order symbol=ETHUSDT orderId=29
2026-11-25 16:04:13,123 | INFO | API CALL: create_order | {'symbol': 'SOL/USDT:USDT', 'clientOrderId': 'ft-7'}
`
	if err := os.WriteFile(path, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLedger(path, "binance")
	if err != nil {
		t.Fatal(err)
	}
	if !l.OrderIDs["28"] || !l.OrderIDs["29"] || !l.ClientIDs["x-R4BD3S82abc"] {
		t.Errorf("ids %v %v", l.OrderIDs, l.ClientIDs)
	}
	if want := []string{"BTCUSDT", "ETHUSDT", "SOLUSDT"}; !slices.Equal(l.Symbols, want) {
		t.Errorf("symbols %v, want %v", l.Symbols, want)
	}
	if l.Latest.Before(time.Date(2026, 11, 25, 16, 4, 12, 0, time.UTC)) {
		t.Errorf("latest %v, want the newest stamped line", l.Latest)
	}
}
