package exchangetest

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// coinbaseToken builds a JWT by hand, independently of the client: ES256
// (r‖s, 32 bytes each) for a PEM secret, EdDSA for a base64 one.
func coinbaseToken(t *testing.T, secret string, header, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	var sig []byte
	if block, _ := pem.Decode([]byte(secret)); block != nil {
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	} else {
		raw, err := base64.StdEncoding.DecodeString(secret)
		if err != nil {
			t.Fatal(err)
		}
		sig = ed25519.Sign(ed25519.PrivateKey(raw), []byte(input))
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// coinbaseGet sends GET path to f with the bearer token and returns the
// status, the fake's reason for a refusal, and the body.
func coinbaseGet(t *testing.T, f *Coinbase, path, token string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, f.URL()+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Fake-Reason"), string(body)
}

// Each claim the fake checks, broken one at a time, is refused with 401.
func TestCoinbaseFakeVerification(t *testing.T) {
	const name = "organizations/o/apiKeys/k"
	secret, err := GenerateCoinbaseKey("EdDSA")
	if err != nil {
		t.Fatal(err)
	}
	f := NewCoinbase(CoinbaseKey{Name: name, Secret: secret, Permissions: CoinbaseKeyPermissions{CanView: true}})
	defer f.Close()
	u, _ := url.Parse(f.URL())
	good := func() (map[string]any, map[string]any) {
		now := time.Now().Unix() - 1
		return map[string]any{"alg": "EdDSA", "kid": name, "nonce": strings.Repeat("ab", 32), "typ": "JWT"},
			map[string]any{"sub": name, "iss": "cdp", "nbf": now, "exp": now + 120, "uri": "GET " + u.Host + "/api/v3/brokerage/key_permissions"}
	}
	cases := []struct {
		name   string
		mutate func(h, c map[string]any)
		status int
		reason string
	}{
		{"valid", func(h, c map[string]any) {}, 200, ""},
		{"no nonce", func(h, c map[string]any) { delete(h, "nonce") }, 401, "no nonce header"},
		{"alg ES256 on an Ed25519 key", func(h, c map[string]any) { h["alg"] = "ES256" }, 401, "bad EdDSA signature"},
		{"unknown kid", func(h, c map[string]any) { h["kid"] = "organizations/o/apiKeys/other" }, 401, "unknown kid"},
		{"sub is not the kid", func(h, c map[string]any) { c["sub"] = "someone" }, 401, "sub is not the key name"},
		// Coinbase's SDKs signed with "coinbase-cloud" until 2024, and the
		// live API still serves clients that do (ccxt 4.5).
		{"old iss", func(h, c map[string]any) { c["iss"] = "coinbase-cloud" }, 200, ""},
		{"other iss", func(h, c map[string]any) { c["iss"] = "coinbase" }, 401, `iss is not "cdp" or "coinbase-cloud"`},
		{"no iss", func(h, c map[string]any) { delete(c, "iss") }, 401, `iss is not "cdp" or "coinbase-cloud"`},
		{"expired", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()-200, time.Now().Unix()-80 }, 401, "expired"},
		{"expired just now, within leeway", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()-122, time.Now().Unix()-2 }, 200, ""},
		{"expired beyond leeway", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()-127, time.Now().Unix()-7 }, 401, "expired"},
		{"not yet valid", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()+60, time.Now().Unix()+180 }, 401, "not yet valid (nbf in the future)"},
		{"nbf just ahead, within leeway", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()+3, time.Now().Unix()+123 }, 200, ""},
		{"nbf beyond leeway", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()+8, time.Now().Unix()+128 }, 401, "not yet valid (nbf in the future)"},
		{"lifetime over 120 s", func(h, c map[string]any) { c["exp"] = time.Now().Unix() + 600 }, 401, "lifetime over 120 s"},
		{"uri with scheme", func(h, c map[string]any) { c["uri"] = "GET " + f.URL() + "/api/v3/brokerage/key_permissions" }, 401, "uri claim"},
		{"uri of another host", func(h, c map[string]any) { c["uri"] = "GET api.coinbase.com/api/v3/brokerage/key_permissions" }, 401, "uri claim"},
		{"uri of another path", func(h, c map[string]any) { c["uri"] = "GET " + u.Host + "/api/v3/brokerage/accounts" }, 401, "uri claim"},
		{"no uri", func(h, c map[string]any) { delete(c, "uri") }, 401, "uri claim"},
		// The CDP SDK and ccxt's Ed25519 tokens name the request in a uris
		// array instead.
		{"uris instead of uri", func(h, c map[string]any) { c["uris"] = []string{c["uri"].(string)}; delete(c, "uri") }, 200, ""},
		{"uris listing it second", func(h, c map[string]any) {
			c["uris"] = []string{"GET " + u.Host + "/api/v3/brokerage/accounts", c["uri"].(string)}
			delete(c, "uri")
		}, 200, ""},
		{"uris of another path", func(h, c map[string]any) {
			c["uris"] = []string{"GET " + u.Host + "/api/v3/brokerage/accounts"}
			delete(c, "uri")
		}, 401, "uri claim"},
		{"empty uris", func(h, c map[string]any) { c["uris"] = []string{}; delete(c, "uri") }, 401, "uri claim"},
	}
	for _, c := range cases {
		h, cl := good()
		c.mutate(h, cl)
		status, reason, body := coinbaseGet(t, f, "/api/v3/brokerage/key_permissions", coinbaseToken(t, secret, h, cl))
		if status != c.status || !strings.HasPrefix(reason, c.reason) {
			t.Errorf("%s: HTTP %d reason %q, want HTTP %d reason %q", c.name, status, reason, c.status, c.reason)
		}
		if c.status == 401 && body != "Unauthorized\n" {
			t.Errorf("%s: body %q, want Coinbase's plain Unauthorized", c.name, body)
		}
		if c.status == 200 && !strings.Contains(body, `"can_view":true`) {
			t.Errorf("%s: body %s", c.name, body)
		}
	}
}

// The tokens ccxt 4.5 builds (coinbase.js createAuthToken), claim for claim:
// an ES256 key signs with iss "coinbase-cloud", aud retail_rest_api_proxy and
// a uri; an Ed25519 key with iss "cdp", aud cdp_service and a uris array;
// both with iat = nbf = now in whole seconds and exp = nbf + 120, and a
// 32-hex-digit nonce.
func TestCoinbaseFakeAcceptsCCXTTokens(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA"} {
		t.Run(alg, func(t *testing.T) {
			const name = "organizations/o/apiKeys/k"
			secret := coinbaseMust(GenerateCoinbaseKey(alg))
			f := NewCoinbase(CoinbaseKey{Name: name, Secret: secret, Permissions: CoinbaseKeyPermissions{CanView: true}})
			defer f.Close()
			u, _ := url.Parse(f.URL())
			now := time.Now().Unix()
			uri := "GET " + u.Host + "/api/v3/brokerage/key_permissions"
			claims := map[string]any{"aud": []string{"retail_rest_api_proxy"}, "iss": "coinbase-cloud",
				"nbf": now, "exp": now + 120, "sub": name, "iat": now, "uri": uri}
			if alg == "EdDSA" {
				claims["aud"], claims["iss"], claims["uris"] = []string{"cdp_service"}, "cdp", []string{uri}
				delete(claims, "uri")
			}
			header := map[string]any{"alg": alg, "typ": "JWT", "kid": name, "nonce": strings.Repeat("7f", 16)}
			status, reason, body := coinbaseGet(t, f, "/api/v3/brokerage/key_permissions", coinbaseToken(t, secret, header, claims))
			if status != http.StatusOK || !strings.Contains(body, `"can_view":true`) {
				t.Errorf("HTTP %d reason %q body %s", status, reason, body)
			}
		})
	}
}

// ccxt's fetchTime reads the Coinbase App's GET /v2/time by default.
func TestCoinbaseFakeTimeV2(t *testing.T) {
	f := NewCoinbase()
	defer f.Close()
	f.SetSkew(-90 * time.Second)
	resp, err := http.Get(f.URL() + "/v2/time")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Data struct {
			ISO   string
			Epoch int64
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := time.Now().Add(-90 * time.Second).Unix()
	if d := got.Data.Epoch - want; resp.StatusCode != http.StatusOK || d < -1 || d > 1 {
		t.Errorf("HTTP %d epoch %d, want about %d", resp.StatusCode, got.Data.Epoch, want)
	}
	if ts, err := time.Parse(time.RFC3339, got.Data.ISO); err != nil || ts.Unix() != got.Data.Epoch {
		t.Errorf("iso %q does not say epoch %d", got.Data.ISO, got.Data.Epoch)
	}
}

func TestGenerateCoinbaseKey(t *testing.T) {
	for _, alg := range []string{"ES256", "EdDSA"} {
		s, err := GenerateCoinbaseKey(alg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := coinbasePublicKey(s); err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
	if alg := "ES256"; !strings.HasPrefix(coinbaseMust(GenerateCoinbaseKey(alg)), "-----BEGIN EC PRIVATE KEY-----") {
		t.Error("ES256 key is not a SEC1 PEM block")
	}
	if _, err := GenerateCoinbaseKey("RS256"); err == nil {
		t.Error("RS256 accepted")
	}
}

func coinbaseMust(s string, err error) string {
	if err != nil {
		panic(err)
	}
	return s
}
