package cmd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// TestWatchAlertsOnAForeignOrder runs the real binary against a Binance
// fake: after the baseline, an order nobody logged reaches the webhook as
// activity.orders crit with its order id, on the check's next poll (its
// cadence is a minute, so this test takes about one). The latency from the
// injection to the alert is logged, not asserted.
func TestWatchAlertsOnAForeignOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("waits one activity poll (a minute)")
	}
	hook := newRecorder(t)
	w := newWatchWorld(t, fmt.Sprintf("\n[[alert]]\ntype = \"webhook\"\nurl = \"%s/kw\"\ntoken = \"alert-hook\"\nmin_status = \"crit\"\n", hook.URL))
	f := exchangetest.NewBinance(exchangetest.BinanceKey{APIKey: watchKey, Secret: watchSecret,
		Reading: true, SpotAndMarginTrading: true, Whitelist: []string{"127.0.0.1/32"}})
	t.Cleanup(f.Close)
	cfg, err := os.ReadFile(w.config)
	if err != nil {
		t.Fatal(err)
	}
	block := []byte("name = \"binance-main\"\nexchange = \"binance\"\n")
	cfg = bytes.Replace(cfg, block, append(block, fmt.Sprintf("base_url = %q\n", f.URL())...), 1)
	if err := os.WriteFile(w.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	// The bot trades BTCUSDT.
	if err := os.WriteFile(w.auditLog, []byte(`{"ts":"2026-12-01T10:00:00Z","event":"fetch_balance","symbol":"BTC/USDT"}`+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := w.start(t, "--interval", "1s")
	waitUntil(t, 60*time.Second, "the activity baseline", func() bool {
		_, ok := scrapeGauge(t, p.metrics, "keywarden_check_status", map[string]string{"check": "activity.orders", "profile": "binance-main"})
		return ok
	})
	id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "web_intruder", Side: "SELL", Qty: "2.5",
		Time: time.Now().Add(-3 * time.Minute)})
	injected := time.Now()
	deadline := time.After(150 * time.Second)
	for {
		select {
		case r := <-hook.got:
			var payload map[string]any
			if json.Unmarshal(r.body, &payload) != nil || payload["check"] != "activity.orders" || payload["new_status"] != "crit" {
				continue
			}
			if !bytes.Contains(r.body, []byte(strconv.FormatInt(id, 10))) || !bytes.Contains(r.body, []byte("web_intruder")) {
				t.Fatalf("the alert does not name the order: %s", r.body)
			}
			t.Logf("foreign order to webhook alert: %s", time.Since(injected).Round(time.Second))
			if code := p.stop(t); code != 0 {
				t.Fatalf("exit %d after SIGTERM\n%s", code, p.stderr.String())
			}
			return
		case <-deadline:
			t.Fatalf("no activity.orders alert within 150 s\n%s", p.stderr.String())
		}
	}
}
