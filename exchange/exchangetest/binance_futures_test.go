package exchangetest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"
)

// futuresGet is binanceSignedGet with the test key's secret.
func futuresGet(t *testing.T, f *Binance, path, query string) (int, json.RawMessage) {
	t.Helper()
	return binanceSignedGet(t, f, path, binanceTestSecret, query)
}

func binanceCode(body json.RawMessage) int {
	var e struct {
		Code int `json:"code"`
	}
	_ = json.Unmarshal(body, &e)
	return e.Code
}

func TestBinanceFakeFuturesRules(t *testing.T) {
	f := NewBinance(BinanceKey{APIKey: binanceTestKey, Secret: binanceTestSecret, Reading: true, Futures: true})
	defer f.Close()
	now := time.Now()
	week := strconv.FormatInt(now.Add(-7*24*time.Hour).UnixMilli(), 10)
	nowMS := strconv.FormatInt(now.UnixMilli(), 10)
	for _, tc := range []struct {
		path, query string
		status      int
		code        int
	}{
		{"/fapi/v1/allOrders", "", http.StatusBadRequest, -1102},
		{"/fapi/v1/allOrders", "symbol=NOPEUSDT", http.StatusBadRequest, -1121},
		{"/fapi/v1/allOrders", "symbol=BTCUSDT&startTime=" + week + "&endTime=" + nowMS, http.StatusBadRequest, -1127},
		{"/fapi/v1/allOrders", "symbol=BTCUSDT&startTime=" + nowMS + "&endTime=" + week, http.StatusBadRequest, -1023},
		{"/fapi/v1/allOrders", "symbol=BTCUSDT&limit=1001", http.StatusBadRequest, -1130},
		{"/fapi/v1/allOrders", "symbol=BTCUSDT", http.StatusOK, 0},
		{"/fapi/v1/openOrders", "", http.StatusOK, 0},
		{"/fapi/v2/positionRisk", "", http.StatusOK, 0},
		{"/fapi/v1/forceOrders", "limit=101", http.StatusBadRequest, -1130},
	} {
		status, body := futuresGet(t, f, tc.path, tc.query)
		if status != tc.status || binanceCode(body) != tc.code {
			t.Errorf("%s?%s: HTTP %d %s, want %d code %d", tc.path, tc.query, status, body, tc.status, tc.code)
		}
	}

	// A key without futures is refused on every fapi route.
	f.SetKey(BinanceKey{APIKey: binanceTestKey, Secret: binanceTestSecret, Reading: true, SpotAndMarginTrading: true})
	for _, p := range []string{"/fapi/v1/allOrders", "/fapi/v1/openOrders", "/fapi/v2/positionRisk", "/fapi/v1/forceOrders"} {
		if status, body := futuresGet(t, f, p, "symbol=BTCUSDT"); status != http.StatusUnauthorized || binanceCode(body) != -2015 {
			t.Errorf("%s without futures: HTTP %d %s", p, status, body)
		}
	}
}

func TestBinanceFakeFuturesHistory(t *testing.T) {
	f := NewBinance(BinanceKey{APIKey: binanceTestKey, Secret: binanceTestSecret, Reading: true, Futures: true})
	defer f.Close()
	now := time.Now()
	var ids []int64
	for i := range 5 {
		ids = append(ids, f.AddFuturesOrder(BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Time: now.Add(time.Duration(i-10) * time.Minute)}))
	}
	// Cancelled unfilled 4 days ago: gone from allOrders; open: listed by openOrders.
	f.AddFuturesOrder(BinanceFuturesOrder{Symbol: "BTCUSDT", Side: "BUY", Qty: "1", Status: "CANCELED", Time: now.Add(-96 * time.Hour)})
	open := f.AddFuturesOrder(BinanceFuturesOrder{Symbol: "ETHUSDT", Side: "SELL", Qty: "2", Status: "NEW", Time: now})
	liq := f.AddFuturesOrder(BinanceFuturesOrder{Symbol: "ETHUSDT", Side: "SELL", Qty: "3", Force: "LIQUIDATION", Time: now})
	f.SetFuturesPosition("SOLUSDT", "-12.5")

	orderIDs := func(body json.RawMessage) []int64 {
		var rows []struct {
			OrderID       int64  `json:"orderId"`
			ClientOrderID string `json:"clientOrderId"`
		}
		if err := json.Unmarshal(body, &rows); err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range rows {
			out = append(out, r.OrderID)
		}
		return out
	}
	// Without orderId the most recent rows of the window come back, ascending.
	if _, body := futuresGet(t, f, "/fapi/v1/allOrders", "symbol=BTCUSDT&limit=2"); !slices.Equal(orderIDs(body), ids[3:]) {
		t.Errorf("limit 2: %s, want %v", body, ids[3:])
	}
	// With orderId, the first rows from it.
	if _, body := futuresGet(t, f, "/fapi/v1/allOrders", "symbol=BTCUSDT&limit=2&orderId="+strconv.FormatInt(ids[1], 10)); !slices.Equal(orderIDs(body), ids[1:3]) {
		t.Errorf("from %d: %s", ids[1], body)
	}
	if _, body := futuresGet(t, f, "/fapi/v1/allOrders", "symbol=BTCUSDT"); len(orderIDs(body)) != 5 {
		t.Errorf("the cancelled unfilled order of 4 days ago is listed: %s", body)
	}
	if _, body := futuresGet(t, f, "/fapi/v1/openOrders", ""); !slices.Equal(orderIDs(body), []int64{open}) {
		t.Errorf("open orders %s", body)
	}
	_, body := futuresGet(t, f, "/fapi/v1/forceOrders", "symbol=ETHUSDT")
	var forced []struct {
		OrderID       int64  `json:"orderId"`
		ClientOrderID string `json:"clientOrderId"`
		TimeInForce   string `json:"timeInForce"`
	}
	if err := json.Unmarshal(body, &forced); err != nil || len(forced) != 1 || forced[0].OrderID != liq ||
		forced[0].TimeInForce != "IOC" || forced[0].ClientOrderID[:10] != "autoclose-" {
		t.Errorf("force orders %s", body)
	}
	_, body = futuresGet(t, f, "/fapi/v2/positionRisk", "symbol=SOLUSDT")
	var pos []struct {
		Symbol, PositionAmt, PositionSide string
	}
	if err := json.Unmarshal(body, &pos); err != nil || len(pos) != 1 || pos[0].PositionAmt != "-12.5" || pos[0].PositionSide != "BOTH" {
		t.Errorf("position %s", body)
	}
	// Fills are commission records, oldest first from startTime, limit.
	_, body = futuresGet(t, f, "/fapi/v1/income", "limit=3&startTime="+strconv.FormatInt(now.Add(-time.Hour).UnixMilli(), 10))
	var income []struct {
		Symbol, IncomeType string
		TranID             int64 `json:"tranId"`
	}
	if err := json.Unmarshal(body, &income); err != nil || len(income) != 3 || income[0].TranID != ids[0] || income[2].TranID != ids[2] ||
		income[0].IncomeType != "COMMISSION" || income[0].Symbol != "BTCUSDT" {
		t.Errorf("income %s", body)
	}
	// Documented weights: 5 + 5 + 5 (allOrders), 40 (openOrders without
	// symbol), 20 (forceOrders with symbol), 5 (positionRisk), 30 (income).
	if got := f.FuturesWeight(); got != 110 {
		t.Errorf("weight %d, want 110", got)
	}
}
