package exchangetest

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// kucoinGet signs a GET of endpoint (path with its query) with a v3 key,
// independently of the client.
func kucoinGet(t *testing.T, f *KuCoin, k KuCoinKey, endpoint string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.URL()+endpoint, nil)
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(time.Now().UnixMilli(), 10)
	req.Header.Set("KC-API-KEY", k.Key)
	req.Header.Set("KC-API-SIGN", kucoinHMAC(k.Secret, stamp+"GET"+endpoint))
	req.Header.Set("KC-API-TIMESTAMP", stamp)
	req.Header.Set("KC-API-PASSPHRASE", kucoinHMAC(k.Secret, k.Passphrase))
	req.Header.Set("KC-API-KEY-VERSION", "3")
	return kucoinDo(t, req)
}

func TestKuCoinFakeHF(t *testing.T) {
	trader := KuCoinKey{Key: "k-spot", Secret: "s", Passphrase: "p", Info: KuCoinKeyInfo{Permission: "General,Spot"}}
	reader := KuCoinKey{Key: "k-general", Secret: "s", Passphrase: "p", Info: KuCoinKeyInfo{Permission: "General"}}
	f := NewKuCoin(trader, reader)
	defer f.Close()
	now := time.Now()
	for i := range 45 {
		f.AddHFOrder(KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "1", ClientOid: "c" + strconv.Itoa(i), Time: now.Add(-time.Duration(i) * time.Hour)})
	}
	f.AddHFOrder(KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "1", Time: now.Add(-80 * time.Hour)}) // past 3 days
	f.AddHFOrder(KuCoinOrder{Symbol: "ETH-USDT", Side: "sell", Size: "2", Active: true, Time: now})
	f.SetHFBalance("ETH", "2.5")

	// Without the symbol KuCoin answers its parameter error.
	for _, p := range []string{"/api/v1/hf/orders/done", "/api/v1/hf/orders/active"} {
		status, body := kucoinGet(t, f, trader, p)
		if status != http.StatusBadRequest || body["code"] != "400100" || body["msg"] != "Parameter Error" {
			t.Errorf("%s without symbol: HTTP %d %v", p, status, body)
		}
	}
	if status, body := kucoinGet(t, f, trader, "/api/v1/hf/orders/done?symbol=BTC-USDT&limit=101"); body["code"] != "400100" {
		t.Errorf("limit 101: HTTP %d %v", status, body)
	}

	// lastId pages: 45 orders in the last 3 days by 20, the older one not at
	// all (a range reaching further is narrowed, not refused).
	start := strconv.FormatInt(now.Add(-7*24*time.Hour).UnixMilli(), 10)
	seen := map[string]bool{}
	last := ""
	for page := 0; ; page++ {
		q := "/api/v1/hf/orders/done?symbol=BTC-USDT&startAt=" + start
		if last != "" {
			q += "&lastId=" + last
		}
		status, body := kucoinGet(t, f, trader, q)
		data, _ := body["data"].(map[string]any)
		items, _ := data["items"].([]any)
		if status != 200 || body["code"] != "200000" || page > 3 {
			t.Fatalf("page %d: HTTP %d %v", page, status, body)
		}
		for _, it := range items {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		if len(items) < 20 {
			break
		}
		last = strconv.FormatFloat(data["lastId"].(float64), 'f', 0, 64)
	}
	if len(seen) != 45 {
		t.Errorf("%d distinct done orders over the pages, want 45", len(seen))
	}

	status, body := kucoinGet(t, f, trader, "/api/v1/hf/orders/active/symbols")
	syms, _ := body["data"].(map[string]any)["symbols"].([]any)
	if status != 200 || len(syms) != 1 || syms[0] != "ETH-USDT" {
		t.Errorf("active symbols: HTTP %d %v", status, body)
	}
	// The symbols list needs the Spot permission; the order lists only General.
	if status, body := kucoinGet(t, f, reader, "/api/v1/hf/orders/active/symbols"); status != http.StatusForbidden || body["code"] != "400007" {
		t.Errorf("active symbols with General only: HTTP %d %v", status, body)
	}
	status, body = kucoinGet(t, f, reader, "/api/v1/hf/orders/active?symbol=ETH-USDT")
	if open, _ := body["data"].([]any); status != 200 || len(open) != 1 || open[0].(map[string]any)["active"] != true {
		t.Errorf("active orders: HTTP %d %v", status, body)
	}
	status, body = kucoinGet(t, f, reader, "/api/v1/accounts?type=trade_hf")
	if accs, _ := body["data"].([]any); status != 200 || len(accs) != 1 || accs[0].(map[string]any)["balance"] != "2.5" {
		t.Errorf("hf accounts: HTTP %d %v", status, body)
	}
}
