package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func okxGet(t *testing.T, f *OKX, h map[string]string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.URL()+"/api/v5/account/config", nil)
	for k, v := range h {
		req.Header.Set(k, v)
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

func okxHeaders(key, secret, pass string, ts time.Time) map[string]string {
	stamp := ts.UTC().Format("2006-01-02T15:04:05.000Z")
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(stamp + "GET/api/v5/account/config"))
	return map[string]string{"OK-ACCESS-KEY": key, "OK-ACCESS-PASSPHRASE": pass, "OK-ACCESS-TIMESTAMP": stamp,
		"OK-ACCESS-SIGN": base64.StdEncoding.EncodeToString(m.Sum(nil))}
}

func TestOKXFakeVerification(t *testing.T) {
	f := NewOKX(OKXKey{APIKey: "k1", Secret: "22582BD0CFF14C41EDBF1AB98506286D", Passphrase: "p1",
		Perm: []string{"read_only", "trade"}, IPs: []string{"203.0.113.7"}})
	defer f.Close()
	f.SetCallerIP(netip.MustParseAddr("203.0.113.7"))
	with := func(h map[string]string, k, v string) map[string]string { h[k] = v; return h }
	good := func() map[string]string { return okxHeaders("k1", "22582BD0CFF14C41EDBF1AB98506286D", "p1", f.Now()) }
	tests := []struct {
		name    string
		headers map[string]string
		status  int
		code    string
	}{
		{"signed", good(), 200, "0"},
		{"no key", with(good(), "OK-ACCESS-KEY", ""), 401, "50103"},
		{"no passphrase", with(good(), "OK-ACCESS-PASSPHRASE", ""), 401, "50104"},
		{"no sign", with(good(), "OK-ACCESS-SIGN", ""), 401, "50106"},
		{"no timestamp", with(good(), "OK-ACCESS-TIMESTAMP", ""), 401, "50107"},
		{"unknown key", okxHeaders("k2", "x", "p1", f.Now()), 401, "50111"},
		{"wrong passphrase", with(good(), "OK-ACCESS-PASSPHRASE", "p2"), 401, "50105"},
		{"epoch timestamp", with(good(), "OK-ACCESS-TIMESTAMP", "1597026383085"), 401, "50112"},
		{"wrong secret", okxHeaders("k1", "wrong", "p1", f.Now()), 401, "50113"},
		{"31 s behind", okxHeaders("k1", "22582BD0CFF14C41EDBF1AB98506286D", "p1", f.Now().Add(-31*time.Second)), 401, "50102"},
		{"31 s ahead", okxHeaders("k1", "22582BD0CFF14C41EDBF1AB98506286D", "p1", f.Now().Add(31*time.Second)), 401, "50102"},
		{"29 s ahead", okxHeaders("k1", "22582BD0CFF14C41EDBF1AB98506286D", "p1", f.Now().Add(29*time.Second)), 200, "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := okxGet(t, f, tt.headers)
			if status != tt.status || body["code"] != tt.code {
				t.Fatalf("%d %v, want %d code %q", status, body, tt.status, tt.code)
			}
			data, ok := body["data"].([]any)
			if !ok {
				t.Fatalf("data is %T, want an array", body["data"])
			}
			if tt.code == "0" {
				cfg := data[0].(map[string]any)
				if cfg["perm"] != "read_only,trade" || cfg["ip"] != "203.0.113.7" {
					t.Errorf("config = %v", cfg)
				}
			}
		})
	}
	f.SetCallerIP(netip.MustParseAddr("198.51.100.9"))
	status, body := okxGet(t, f, good())
	if status != 401 || body["code"] != "50110" || !strings.Contains(body["msg"].(string), "198.51.100.9") {
		t.Errorf("caller off the whitelist: %d %v, want 401 50110 naming the IP", status, body)
	}
	// No IP bound: ip "" and everyone gets in.
	f.SetKey(OKXKey{APIKey: "k3", Secret: "s3", Passphrase: "p3"})
	if _, body := okxGet(t, f, okxHeaders("k3", "s3", "p3", f.Now())); body["code"] != "0" ||
		body["data"].([]any)[0].(map[string]any)["ip"] != "" {
		t.Errorf("unbound key: %v", body)
	}
}
