package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	binanceTestKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	binanceTestSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
)

// binanceGet sends query (signature appended unless sign is false) and
// returns the status and decoded body.
func binanceGet(t *testing.T, f *Binance, key, secret, query string, upper bool) (int, map[string]any) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(query))
	sig := hex.EncodeToString(m.Sum(nil))
	if upper {
		sig = strings.ToUpper(sig)
	}
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/sapi/v1/account/apiRestrictions?"+query+"&signature="+sig, nil)
	if key != "" {
		req.Header.Set("X-MBX-APIKEY", key)
	}
	req.Close = true // no idle connection outlives the test
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestBinanceFakeVerification(t *testing.T) {
	f := NewBinance(BinanceKey{APIKey: binanceTestKey, Secret: binanceTestSecret, Reading: true, Withdrawals: true,
		Whitelist: []string{"203.0.113.7"}, Omit: []string{"enableFixApiTrade"}})
	defer f.Close()
	f.SetCallerIP(netip.MustParseAddr("203.0.113.7"))
	now := func(d time.Duration) string { return strconv.FormatInt(f.Now().Add(d).UnixMilli(), 10) }

	tests := []struct {
		name     string
		key      string
		secret   string
		query    string
		upper    bool
		status   int
		code     float64 // 0: accepted
		msgPiece string
	}{
		{"signed", binanceTestKey, binanceTestSecret, "recvWindow=5000&timestamp=" + now(0), false, 200, 0, ""},
		{"hex is case-insensitive", binanceTestKey, binanceTestSecret, "timestamp=" + now(0), true, 200, 0, ""},
		{"no key header", "", binanceTestSecret, "timestamp=" + now(0), false, 401, -2014, "format invalid"},
		{"unknown key", "someoneElsesKey", binanceTestSecret, "timestamp=" + now(0), false, 401, -2015, "Invalid API-key"},
		{"wrong secret", binanceTestKey, "wrong", "timestamp=" + now(0), false, 400, -1022, "Signature"},
		{"no timestamp", binanceTestKey, binanceTestSecret, "recvWindow=5000", false, 400, -1102, "timestamp"},
		{"recvWindow over 60000", binanceTestKey, binanceTestSecret, "recvWindow=60001&timestamp=" + now(0), false, 400, -1131, "recvWindow"},
		{"stale", binanceTestKey, binanceTestSecret, "timestamp=" + now(-6*time.Second), false, 400, -1021, "outside of the recvWindow"},
		{"stale but inside a wider recvWindow", binanceTestKey, binanceTestSecret, "recvWindow=10000&timestamp=" + now(-6*time.Second), false, 200, 0, ""},
		{"1000 ms ahead", binanceTestKey, binanceTestSecret, "timestamp=" + now(1500*time.Millisecond), false, 400, -1021, "1000ms ahead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := binanceGet(t, f, tt.key, tt.secret, tt.query, tt.upper)
			if status != tt.status {
				t.Fatalf("status %d %v, want %d", status, body, tt.status)
			}
			if tt.code == 0 {
				if body["enableWithdrawals"] != true || body["ipRestrict"] != true {
					t.Errorf("body = %v", body)
				}
				if _, ok := body["enableFixApiTrade"]; ok {
					t.Error("Omit did not leave enableFixApiTrade out")
				}
				return
			}
			if body["code"] != tt.code || !strings.Contains(body["msg"].(string), tt.msgPiece) {
				t.Errorf("body = %v, want code %v with %q", body, tt.code, tt.msgPiece)
			}
		})
	}

	f.SetCallerIP(netip.MustParseAddr("198.51.100.9"))
	if status, body := binanceGet(t, f, binanceTestKey, binanceTestSecret, "timestamp="+now(0), false); status != 401 || body["code"] != -2015.0 {
		t.Errorf("caller off the whitelist: %d %v, want 401 -2015", status, body)
	}
}

func TestBinanceFakeServerTimeSkew(t *testing.T) {
	f := NewBinance()
	defer f.Close()
	f.SetSkew(-time.Hour)
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/api/v3/time", nil)
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ ServerTime int64 }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(time.UnixMilli(body.ServerTime)); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("serverTime is %v behind, want an hour", d)
	}
}
