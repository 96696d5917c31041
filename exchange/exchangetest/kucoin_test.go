package exchangetest

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

func TestKuCoinAllowed(t *testing.T) {
	cases := []struct {
		ip, whitelist string
		want          bool
	}{
		{"203.0.113.154", "", true},
		{"203.0.113.154", " , ", true},
		{"203.0.113.154", "203.**.154,103.**.34", true},
		{"103.21.7.34", "203.**.154,103.**.34", true},
		{"203.0.113.155", "203.**.154,103.**.34", false},
		{"204.0.113.154", "203.**.154", false},
		{"203.154.0.1", "203.**.154", false},
		{"198.51.100.7", "198.51.100.7", true},
		{"198.51.100.8", "198.51.100.7", false},
		{"198.51.100.8", "203.**.154, 198.51.100.0/24", true},
		{"2001:db8::1", "2001:db8::/64", true},
	}
	for _, c := range cases {
		if got := kucoinAllowed(netip.MustParseAddr(c.ip), c.whitelist); got != c.want {
			t.Errorf("kucoinAllowed(%s, %q) = %v, want %v", c.ip, c.whitelist, got, c.want)
		}
	}
}

// kucoinRequest signs a GET /api/v1/user/api-key independently of the client.
func kucoinRequest(t *testing.T, f *KuCoin, key, secret, pass, version string, ts time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.URL()+"/api/v1/user/api-key", nil)
	if err != nil {
		t.Fatal(err)
	}
	stamp := strconv.FormatInt(ts.UnixMilli(), 10)
	req.Header.Set("KC-API-KEY", key)
	req.Header.Set("KC-API-SIGN", kucoinHMAC(secret, stamp+"GET/api/v1/user/api-key"))
	req.Header.Set("KC-API-TIMESTAMP", stamp)
	req.Header.Set("KC-API-PASSPHRASE", pass)
	if version != "" {
		req.Header.Set("KC-API-KEY-VERSION", version)
	}
	return req
}

func kucoinDo(t *testing.T, req *http.Request) (int, map[string]any) {
	t.Helper()
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

// What the client never sends: key version 1 (plain passphrase), a version
// header that does not match the key, missing headers, a timestamp near the
// edge of the window.
func TestKuCoinFakeVerification(t *testing.T) {
	const key, secret, pass = "k1", "s1", "p1"
	const v1key = "k-v1"
	f := NewKuCoin(KuCoinKey{Key: key, Secret: secret, Passphrase: pass, Info: KuCoinKeyInfo{Permission: "General"}},
		KuCoinKey{Key: v1key, Secret: secret, Passphrase: pass, Info: KuCoinKeyInfo{Permission: "General", APIVersion: 1}})
	defer f.Close()
	hmacd := kucoinHMAC(secret, pass)
	// Requests are signed just before they are sent, with margins far from
	// the 5 s edge, so a slow machine cannot change the verdict.
	signKey := func(key, pass, version string, off time.Duration) func() *http.Request {
		return func() *http.Request { return kucoinRequest(t, f, key, secret, pass, version, time.Now().Add(off)) }
	}
	sign := func(pass, version string, off time.Duration) func() *http.Request {
		return signKey(key, pass, version, off)
	}
	cases := []struct {
		name   string
		req    func() *http.Request
		status int
		code   string
	}{
		{"v3 key, v3 HMAC passphrase", sign(hmacd, "3", 0), 200, "200000"},
		{"v3 key, v2 header", sign(hmacd, "2", 0), 200, "200000"},
		{"v3 key, plain passphrase", sign(pass, "3", 0), 401, "400004"},
		{"v3 key, v1 plain passphrase", sign(pass, "1", 0), 401, "400004"},
		{"v3 key, no version header", sign(hmacd, "", 0), 401, "400004"},
		{"v1 key, plain passphrase", signKey(v1key, pass, "1", 0), 200, "200000"},
		{"v1 key, no version header is v1", signKey(v1key, pass, "", 0), 200, "200000"},
		{"v1 key, HMAC passphrase", signKey(v1key, hmacd, "3", 0), 401, "400004"},
		{"3 s behind is inside the window", sign(hmacd, "3", -3*time.Second), 200, "200000"},
		{"8 s ahead is outside", sign(hmacd, "3", 8*time.Second), 400, "400002"},
		{"8 s behind is outside", sign(hmacd, "3", -8*time.Second), 400, "400002"},
		{"missing header", func() *http.Request {
			r := sign(hmacd, "3", 0)()
			r.Header.Del("KC-API-SIGN")
			return r
		}, 401, "400001"},
	}
	for _, c := range cases {
		status, body := kucoinDo(t, c.req())
		if status != c.status || body["code"] != c.code {
			t.Errorf("%s: HTTP %d %v, want HTTP %d code %s", c.name, status, body, c.status, c.code)
		}
	}
	now := time.Now()
	// Server time is the skewed clock, in ms, in KuCoin's envelope.
	f.SetSkew(time.Hour)
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/api/v1/timestamp", nil)
	status, body := kucoinDo(t, req)
	ms, _ := body["data"].(float64)
	if status != 200 || body["code"] != "200000" || time.UnixMilli(int64(ms)).Before(now.Add(59*time.Minute)) {
		t.Errorf("timestamp: HTTP %d %v", status, body)
	}
}
