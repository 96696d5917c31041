package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// binanceSignedGet signs query with secret as Binance does and GETs path; it
// returns the status and the raw body.
func binanceSignedGet(t *testing.T, f *Binance, path, secret, query string) (int, json.RawMessage) {
	t.Helper()
	if query != "" {
		query += "&"
	}
	query += "timestamp=" + strconv.FormatInt(f.Now().UnixMilli(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(query))
	req, _ := http.NewRequest(http.MethodGet, f.URL()+path+"?"+query+"&signature="+hex.EncodeToString(m.Sum(nil)), nil)
	req.Header.Set("X-MBX-APIKEY", binanceTestKey)
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

// binanceCall is binanceSignedGet with the body decoded.
func binanceCall(t *testing.T, f *Binance, path, secret, query string) (int, any) {
	t.Helper()
	status, raw := binanceSignedGet(t, f, path, secret, query)
	var body any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatal(err)
	}
	return status, body
}

func TestBinanceFakeAccount(t *testing.T) {
	f := NewBinance(BinanceKey{APIKey: binanceTestKey, Secret: binanceTestSecret, Reading: true})
	defer f.Close()
	f.SetBalance("USDT", "100", "5")
	f.SetBalance("DOGE", "0", "0")

	// Verified like every signed endpoint.
	if status, body := binanceCall(t, f, "/api/v3/account", "wrong", "omitZeroBalances=true"); status != 400 || body.(map[string]any)["code"] != -1022.0 {
		t.Fatalf("wrong secret: %d %v", status, body)
	}
	status, body := binanceCall(t, f, "/api/v3/account", binanceTestSecret, "omitZeroBalances=true")
	bal, _ := body.(map[string]any)["balances"].([]any)
	if status != 200 || len(bal) != 1 || bal[0].(map[string]any)["locked"] != "5.00000000" {
		t.Fatalf("account: %d %v", status, body)
	}
	if _, body = binanceCall(t, f, "/api/v3/account", binanceTestSecret, "omitZeroBalances=false"); len(body.(map[string]any)["balances"].([]any)) != 2 {
		t.Fatalf("zero balances left out without omitZeroBalances: %v", body)
	}

	// An unlisted symbol is -1121 on allOrders and openOrders alike.
	for _, path := range []string{"/api/v3/allOrders", "/api/v3/openOrders"} {
		if status, body := binanceCall(t, f, path, binanceTestSecret, "symbol=USDTBTC"); status != 400 || body.(map[string]any)["code"] != -1121.0 {
			t.Errorf("%s of an unlisted symbol: %d %v", path, status, body)
		}
	}
	f.AddOrder(BinanceOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Time: time.Now()})
	if _, body := binanceCall(t, f, "/api/v3/openOrders", binanceTestSecret, "symbol=BTCUSDT"); len(body.([]any)) != 1 {
		t.Errorf("open orders of BTCUSDT: %v", body)
	}
	// Every request costs its weight, refused ones too: 3 accounts of 20,
	// allOrders 20, openOrders 6 twice.
	if w := f.Weight(""); w != 3*20+20+6+6 {
		t.Errorf("weight %d", w)
	}
}
