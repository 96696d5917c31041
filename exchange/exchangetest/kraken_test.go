package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"
)

// krakenPost signs a GetApiKeyInfo request independently of the client.
func krakenPost(t *testing.T, f *Kraken, key, secret string, nonce uint64) (errs []string, result map[string]any) {
	t.Helper()
	n := strconv.FormatUint(nonce, 10)
	body := "nonce=" + n
	raw, _ := base64.StdEncoding.DecodeString(secret)
	sum := sha256.Sum256([]byte(n + body))
	m := hmac.New(sha512.New, raw)
	m.Write([]byte("/0/private/GetApiKeyInfo"))
	m.Write(sum[:])
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/0/private/GetApiKeyInfo", strings.NewReader(body))
	req.Header.Set("API-Key", key)
	req.Header.Set("API-Sign", base64.StdEncoding.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: Kraken answers errors with 200", resp.StatusCode)
	}
	var env struct {
		Error  []string       `json:"error"`
		Result map[string]any `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	return env.Error, env.Result
}

func TestKrakenFakeVerification(t *testing.T) {
	const key = "kkey"
	secret := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("s", 64)))
	f := NewKraken(KrakenKey{Key: key, Secret: secret, Info: KrakenKeyInfo{Permissions: []string{"query-funds"},
		IPAllowlist: []string{"127.0.0.1/32"}, Nonce: "1000"}})
	defer f.Close()

	// Info.Nonce is the last nonce used: 1000 is refused, 1001 accepted, and
	// a replay of 1001 refused.
	for _, step := range []struct {
		nonce uint64
		want  string
	}{{1000, "EAPI:Invalid nonce"}, {1001, ""}, {1001, "EAPI:Invalid nonce"}, {999, "EAPI:Invalid nonce"}, {5000, ""}} {
		errs, result := krakenPost(t, f, key, secret, step.nonce)
		if got := strings.Join(errs, ","); got != step.want {
			t.Errorf("nonce %d: errors %q, want %q", step.nonce, got, step.want)
		}
		if step.want == "" && (result["nonce"] != strconv.FormatUint(step.nonce, 10) || result["apiKey"] != key ||
			result["validUntil"] != "0" || result["lastUsed"] == nil) {
			t.Errorf("nonce %d: result %v", step.nonce, result)
		}
		if step.want == "" {
			if allow, ok := result["ipAllowlist"].([]any); !ok || len(allow) != 1 {
				t.Errorf("ipAllowlist %v", result["ipAllowlist"])
			}
		}
	}
	wrong := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("t", 64)))
	if errs, _ := krakenPost(t, f, key, wrong, 6000); strings.Join(errs, ",") != "EAPI:Invalid signature" {
		t.Errorf("wrong secret: %q", errs)
	}
	// A refused signature does not consume the nonce.
	if errs, _ := krakenPost(t, f, key, secret, 6000); len(errs) != 0 {
		t.Errorf("nonce 6000 after a bad signature: %q", errs)
	}
	if errs, _ := krakenPost(t, f, "nobody", secret, 7000); strings.Join(errs, ",") != "EAPI:Invalid key" {
		t.Errorf("unknown key: %q", errs)
	}
	f.SetCallerIP(netip.MustParseAddr("203.0.113.9"))
	if errs, _ := krakenPost(t, f, key, secret, 8000); strings.Join(errs, ",") != "EGeneral:Permission denied" {
		t.Errorf("ip outside allowlist: %q", errs)
	}

	f.SetSkew(-2 * time.Hour)
	resp, err := http.Get(f.URL() + "/0/public/Time")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tm struct {
		Error  []string
		Result struct {
			Unixtime int64
			Rfc1123  string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&tm); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(time.Unix(tm.Result.Unixtime, 0)); len(tm.Error) != 0 || d < 119*time.Minute || tm.Result.Rfc1123 == "" {
		t.Errorf("time: %+v (%v behind)", tm, d)
	}
}
