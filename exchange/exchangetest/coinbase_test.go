package exchangetest

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// coinbaseToken builds an EdDSA JWT by hand, independently of the client.
func coinbaseToken(t *testing.T, secret string, header, claims map[string]any) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(secret)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	sig := ed25519.Sign(ed25519.PrivateKey(raw), []byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
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
		{"old iss", func(h, c map[string]any) { c["iss"] = "coinbase-cloud" }, 401, `iss is not "cdp"`},
		{"expired", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()-200, time.Now().Unix()-80 }, 401, "expired"},
		{"not yet valid", func(h, c map[string]any) { c["nbf"], c["exp"] = time.Now().Unix()+60, time.Now().Unix()+180 }, 401, "not yet valid (nbf in the future)"},
		{"lifetime over 120 s", func(h, c map[string]any) { c["exp"] = time.Now().Unix() + 600 }, 401, "lifetime over 120 s"},
		{"uri with scheme", func(h, c map[string]any) { c["uri"] = "GET " + f.URL() + "/api/v3/brokerage/key_permissions" }, 401, "uri claim"},
		{"uri of another host", func(h, c map[string]any) { c["uri"] = "GET api.coinbase.com/api/v3/brokerage/key_permissions" }, 401, "uri claim"},
		{"uri of another path", func(h, c map[string]any) { c["uri"] = "GET " + u.Host + "/api/v3/brokerage/accounts" }, 401, "uri claim"},
		{"no uri", func(h, c map[string]any) { delete(c, "uri") }, 401, "uri claim"},
	}
	for _, c := range cases {
		h, cl := good()
		c.mutate(h, cl)
		req, _ := http.NewRequest(http.MethodGet, f.URL()+"/api/v3/brokerage/key_permissions", nil)
		req.Header.Set("Authorization", "Bearer "+coinbaseToken(t, secret, h, cl))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		reason := resp.Header.Get("X-Fake-Reason")
		if resp.StatusCode != c.status || !strings.HasPrefix(reason, c.reason) {
			t.Errorf("%s: HTTP %d reason %q, want HTTP %d reason %q", c.name, resp.StatusCode, reason, c.status, c.reason)
		}
		if c.status == 401 && string(body) != "Unauthorized\n" {
			t.Errorf("%s: body %q, want Coinbase's plain Unauthorized", c.name, body)
		}
		if c.status == 200 && !strings.Contains(string(body), `"can_view":true`) {
			t.Errorf("%s: body %s", c.name, body)
		}
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
