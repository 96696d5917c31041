package exchange_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
)

func TestNewDefaultsAndOverrides(t *testing.T) {
	for name, def := range map[string]string{
		"binance": "https://api.binance.com", "bybit": "https://api.bybit.com", "okx": "https://www.okx.com",
		"kucoin": "https://api.kucoin.com", "coinbase": "https://api.coinbase.com", "kraken": "https://api.kraken.com",
	} {
		c, err := exchange.New(name, "", nil)
		if err != nil {
			t.Fatalf("New(%q): %v", name, err)
		}
		if c.Exchange() != name || c.BaseURL() != def {
			t.Errorf("New(%q) = %s at %s, want %s", name, c.Exchange(), c.BaseURL(), def)
		}
		for _, override := range []string{"http://127.0.0.1:8080/prefix", "https://testnet.example.org/prefix"} {
			c, err = exchange.New(name, override+"/", nil)
			if err != nil || c.BaseURL() != override {
				t.Errorf("New(%q, %q) = %v, %v", name, override+"/", c, err)
			}
		}
		if !slices.Contains(exchange.Names(), name) {
			t.Errorf("Names() = %v lacks %s", exchange.Names(), name)
		}
	}
	if !slices.IsSorted(exchange.Names()) {
		t.Errorf("Names() not sorted: %v", exchange.Names())
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct{ name, url, wantInErr string }{
		{"mtgox", "", "unknown exchange"},
		{"binance", "api.binance.com", "not an absolute http(s) URL"},
		{"binance", "ftp://api.binance.com", "not an absolute http(s) URL"},
		{"bybit", "https://user:pw@api.bybit.com", "must not carry credentials"},
		{"okx", "https://www.okx.com/?x=1", "must not carry credentials"},
	}
	for _, tt := range tests {
		_, err := exchange.New(tt.name, tt.url, nil)
		if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("New(%q, %q) error = %v, want it to say %q", tt.name, tt.url, err, tt.wantInErr)
		}
		if err != nil && strings.Contains(err.Error(), "pw@") {
			t.Errorf("error repeats the URL's password: %v", err)
		}
	}
}

func TestWindowAccepts(t *testing.T) {
	binance := exchange.Window{Behind: 5 * time.Second, Ahead: time.Second}
	tests := []struct {
		w      exchange.Window
		offset time.Duration // server minus local
		want   bool
	}{
		{binance, 0, true},
		{binance, 4 * time.Second, true},                   // local 4 s behind: within recvWindow
		{binance, 5*time.Second + time.Millisecond, false}, // behind beyond recvWindow
		{binance, -999 * time.Millisecond, true},
		{binance, -time.Second, false}, // 1000 ms ahead is rejected
		{exchange.Window{}, time.Hour, true},
	}
	for _, tt := range tests {
		if got := tt.w.Accepts(tt.offset); got != tt.want {
			t.Errorf("%+v.Accepts(%v) = %v, want %v", tt.w, tt.offset, got, tt.want)
		}
	}
}

// Classification from HTTP status and body code, as each exchange sends
// them: Binance with 4xx, Bybit mostly with 200, OKX with 200 or 401.
func TestClassification(t *testing.T) {
	defer adapterLeakCheck(t)()
	tests := []struct {
		exchange string
		status   int
		body     string
		cause    exchange.Cause
		code     string
	}{
		{"binance", 400, `{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}`, exchange.CauseClock, "-1021"},
		{"binance", 400, `{"code":-1022,"msg":"Signature for this request is not valid."}`, exchange.CauseSignature, "-1022"},
		{"binance", 401, `{"code":-2014,"msg":"API-key format invalid."}`, exchange.CauseKey, "-2014"},
		{"binance", 401, `{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}`, exchange.CauseAmbiguousAuth, "-2015"},
		{"binance", 429, `{"code":-1003,"msg":"Too much request weight used"}`, exchange.CauseRateLimit, "-1003"},
		{"binance", 400, `{"code":-1102,"msg":"Mandatory parameter"}`, exchange.CauseOther, "-1102"},
		{"binance", 403, `<html>403 Forbidden</html>`, exchange.CauseOther, ""},
		{"binance", 502, `<html>bad gateway</html>`, exchange.CauseServer, ""},
		{"bybit", 200, `{"retCode":10002,"retMsg":"invalid request, please check your server timestamp or recv_window param.","result":{}}`, exchange.CauseClock, "10002"},
		{"bybit", 200, `{"retCode":10005,"retMsg":"Permission denied, please check your API key permissions.","result":{}}`, exchange.CausePermission, "10005"},
		{"bybit", 200, `{"retCode":10010,"retMsg":"Unmatched IP","result":{}}`, exchange.CauseIP, "10010"},
		{"bybit", 200, `{"retCode":33004,"retMsg":"Your api key has expired","result":{}}`, exchange.CauseKey, "33004"},
		{"bybit", 403, `access too frequent`, exchange.CauseRateLimit, ""},
		{"bybit", 401, ``, exchange.CauseKey, ""},
		{"bybit", 200, `{"retCode":0,"retMsg":"OK"}`, exchange.CauseMalformed, ""},
		{"okx", 401, `{"msg":"Timestamp request expired.","code":"50102"}`, exchange.CauseClock, "50102"},
		{"okx", 200, `{"msg":"This API key doesn't have permission to use this function","code":"50120","data":[]}`, exchange.CausePermission, "50120"},
		{"okx", 200, `{"msg":"API key doesn't exist","code":"50119","data":[]}`, exchange.CauseKey, "50119"},
		{"okx", 401, `{"msg":"APIKey does not match current environment.","code":"50101"}`, exchange.CauseKey, "50101"},
		{"okx", 429, `{"msg":"Too Many Requests","code":"50011"}`, exchange.CauseRateLimit, "50011"},
		{"okx", 503, `<html>maintenance</html>`, exchange.CauseServer, ""},
		{"okx", 200, `{"code":"0","msg":"","data":[]}`, exchange.CauseMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%d/%s", tt.exchange, tt.status, tt.code), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			client, tr := adapterClient(t, tt.exchange, srv.URL)
			defer tr.CloseIdleConnections()
			_, err := client.ServerTime(t.Context())
			e := adapterCause(t, tt.exchange, err, tt.cause)
			if e.Code != tt.code || e.HTTPStatus != tt.status {
				t.Errorf("error = %v, want code %q HTTP %d", e, tt.code, tt.status)
			}
		})
	}
}
