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

func bybitGet(t *testing.T, f *Bybit, key, secret, ts, recvWindow string) (int, map[string]any) {
	t.Helper()
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + key + recvWindow))
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/v5/user/query-api", nil)
	req.Header.Set("X-BAPI-API-KEY", key)
	req.Header.Set("X-BAPI-TIMESTAMP", ts)
	req.Header.Set("X-BAPI-RECV-WINDOW", recvWindow)
	req.Header.Set("X-BAPI-SIGN", hex.EncodeToString(m.Sum(nil)))
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

func TestBybitFakeVerification(t *testing.T) {
	f := NewBybit(BybitKey{APIKey: "opjSlSOzqIeXROT5rq", Secret: "bybit-secret", IPs: []string{"203.0.113.7"},
		Permissions: map[string][]string{"Wallet": {"Withdraw"}}})
	defer f.Close()
	f.SetCallerIP(netip.MustParseAddr("203.0.113.7"))
	now := func(d time.Duration) string { return strconv.FormatInt(f.Now().Add(d).UnixMilli(), 10) }
	tests := []struct {
		name, key, secret, ts, rw string
		status                    int
		code                      float64
		msgPiece                  string
	}{
		{"signed", "opjSlSOzqIeXROT5rq", "bybit-secret", now(0), "5000", 200, 0, ""},
		{"unknown key", "nope", "bybit-secret", now(0), "5000", 401, 10003, "API key is invalid"},
		{"wrong secret", "opjSlSOzqIeXROT5rq", "wrong", now(0), "5000", 200, 10004, "error sign!"},
		{"stale", "opjSlSOzqIeXROT5rq", "bybit-secret", now(-6 * time.Second), "5000", 200, 10002, "recv_window[5000]"},
		{"1000 ms ahead", "opjSlSOzqIeXROT5rq", "bybit-secret", now(1200 * time.Millisecond), "5000", 200, 10002, "server timestamp"},
		{"stale inside a wider window", "opjSlSOzqIeXROT5rq", "bybit-secret", now(-6 * time.Second), "10000", 200, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := bybitGet(t, f, tt.key, tt.secret, tt.ts, tt.rw)
			if status != tt.status || body["retCode"] != tt.code {
				t.Fatalf("%d %v, want %d retCode %v", status, body, tt.status, tt.code)
			}
			if tt.code != 0 {
				if !strings.Contains(body["retMsg"].(string), tt.msgPiece) {
					t.Errorf("retMsg %q lacks %q", body["retMsg"], tt.msgPiece)
				}
				return
			}
			res := body["result"].(map[string]any)
			perms := res["permissions"].(map[string]any)
			if len(perms) < len(BybitPermissionGroups) || res["expiredAt"] != "1970-01-01T00:00:00Z" || res["readOnly"] != 0.0 {
				t.Errorf("result = %v", res)
			}
			if ips := res["ips"].([]any); len(ips) != 1 || ips[0] != "203.0.113.7" {
				t.Errorf("ips = %v", ips)
			}
		})
	}
	f.SetCallerIP(netip.MustParseAddr("198.51.100.9"))
	if _, body := bybitGet(t, f, "opjSlSOzqIeXROT5rq", "bybit-secret", now(0), "5000"); body["retCode"] != 10010.0 {
		t.Errorf("caller off the bound IPs: %v, want 10010", body)
	}
	// A key bound to no IP is reported as ["*"] and lets everyone in.
	f.SetKey(BybitKey{APIKey: "free", Secret: "s"})
	if _, body := bybitGet(t, f, "free", "s", now(0), "5000"); body["retCode"] != 0.0 ||
		body["result"].(map[string]any)["ips"].([]any)[0] != "*" {
		t.Errorf("unbound key: %v", body)
	}
}

func TestBybitFakeServerTime(t *testing.T) {
	f := NewBybit()
	defer f.Close()
	f.SetSkew(90 * time.Second)
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/v5/market/time", nil)
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		RetCode int
		Result  struct{ TimeSecond, TimeNano string }
		Time    int64
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	sec, _ := strconv.ParseInt(body.Result.TimeSecond, 10, 64)
	nano, _ := strconv.ParseInt(body.Result.TimeNano, 10, 64)
	if body.RetCode != 0 || nano/1e9 != sec || body.Time/1000 < sec {
		t.Errorf("time answer = %+v", body)
	}
	if d := time.Until(time.Unix(0, nano)); d < 89*time.Second || d > 91*time.Second {
		t.Errorf("timeNano is %v ahead, want 90s", d)
	}
}
