package exchange

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestCoinbaseURI(t *testing.T) {
	cases := map[string]string{
		"https://api.coinbase.com/api/v3/brokerage/key_permissions":     "GET api.coinbase.com/api/v3/brokerage/key_permissions",
		"http://127.0.0.1:41234/api/v3/brokerage/key_permissions":       "GET 127.0.0.1:41234/api/v3/brokerage/key_permissions",
		"https://api.coinbase.com/api/v3/brokerage/key_permissions?x=1": "GET api.coinbase.com/api/v3/brokerage/key_permissions",
	}
	for in, want := range cases {
		if got, err := coinbaseURI("GET", in); err != nil || got != want {
			t.Errorf("coinbaseURI(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// coinbaseTestKeys returns one key of each kind CDP hands out, in the forms
// users paste them: SEC1 PEM, PKCS#8 PEM, PEM with literal \n (dotenv),
// base64 64-byte Ed25519 and base64 32-byte seed.
func coinbaseTestKeys(t *testing.T) map[string]string {
	t.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ec)
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1PEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}))
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	return map[string]string{
		"ES256 SEC1 PEM":          sec1PEM,
		"ES256 PKCS8 PEM":         string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"ES256 PEM with \\n text": strings.ReplaceAll(sec1PEM, "\n", `\n`),
		"EdDSA 64 bytes":          base64.StdEncoding.EncodeToString(ed),
		"EdDSA 32-byte seed":      base64.StdEncoding.EncodeToString(ed.Seed()),
	}
}

func TestCoinbaseJWT(t *testing.T) {
	const name = "organizations/0b2e5a0c-1111-4444-8888-0123456789ab/apiKeys/9f0e1d2c-3333-5555-7777-ba9876543210"
	const uri = "GET api.coinbase.com/api/v3/brokerage/key_permissions"
	now := time.Unix(1764086400, 700_000_000)
	for label, secret := range coinbaseTestKeys(t) {
		t.Run(label, func(t *testing.T) {
			key, err := parseCoinbaseKey(secret)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			tok, err := coinbaseJWT(key, name, uri, now)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("token has %d parts", len(parts))
			}
			var header map[string]string
			var claims map[string]any
			coinbaseDecodeSegment(t, parts[0], &header)
			coinbaseDecodeSegment(t, parts[1], &claims)
			if header["alg"] != key.alg || header["kid"] != name || header["typ"] != "JWT" ||
				!regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(header["nonce"]) {
				t.Errorf("header = %v", header)
			}
			wantClaims := map[string]any{"sub": name, "iss": "cdp", "nbf": 1764086399.0, "exp": 1764086519.0, "uri": uri}
			if !reflect.DeepEqual(claims, wantClaims) {
				t.Errorf("claims = %v, want %v", claims, wantClaims)
			}
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			input := []byte(parts[0] + "." + parts[1])
			switch key.alg {
			case "ES256":
				d := sha256.Sum256(input)
				if len(sig) != 64 || !ecdsa.Verify(&key.ec.PublicKey, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
					t.Error("ES256 signature does not verify")
				}
			case "EdDSA":
				if !ed25519.Verify(key.ed.Public().(ed25519.PublicKey), input, sig) {
					t.Error("EdDSA signature does not verify")
				}
			}
			again, _ := coinbaseJWT(key, name, uri, now)
			var h2 map[string]string
			coinbaseDecodeSegment(t, strings.Split(again, ".")[0], &h2)
			if h2["nonce"] == header["nonce"] {
				t.Error("two tokens share a nonce")
			}
		})
	}
}

func coinbaseDecodeSegment(t *testing.T, seg string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("segment not base64url: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("segment not JSON: %v", err)
	}
}

func TestParseCoinbaseKeyRejects(t *testing.T) {
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	der, _ := x509.MarshalECPrivateKey(p384)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	damaged := append([]byte{}, ed...)
	damaged[40] ^= 1
	bad := map[string]string{
		"P-384 key":             string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})),
		"RSA block":             "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
		"broken PEM":            "-----BEGIN EC PRIVATE KEY-----\nnot base64\n",
		"HMAC-style secret":     "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j",
		"Ed25519 damaged pub":   base64.StdEncoding.EncodeToString(damaged),
		"base64 of wrong size":  base64.StdEncoding.EncodeToString(make([]byte, 48)),
		"empty after trimming":  "  \n ",
		"garbage PEM body type": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	}
	for name, secret := range bad {
		_, err := parseCoinbaseKey(secret)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if len(secret) > 8 && strings.Contains(err.Error(), strings.TrimSpace(secret)[:8]) {
			t.Errorf("%s: error quotes the secret: %v", name, err)
		}
	}
}

func TestDecodeCoinbaseTime(t *testing.T) {
	ms := time.UnixMilli(1764086400123)
	cases := map[string]time.Time{
		`{"iso":"2025-11-25T16:00:00.123Z","epochSeconds":"1764086400","epochMillis":"1764086400123"}`: ms,
		`{"iso":"2025-11-25T16:00:00.123Z","epochSeconds":1764086400,"epochMillis":1764086400123}`:     ms,
		`{"iso":"2025-11-25T16:00:00.123Z"}`: ms,
		`{"epochSeconds":"1764086400"}`:      time.Unix(1764086400, 5e8),
	}
	for in, want := range cases {
		got, err := decodeCoinbaseTime([]byte(in))
		if err != nil || !got.Equal(want) {
			t.Errorf("decodeCoinbaseTime(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{`{}`, `{"epochMillis":"soon"}`, `<html>`} {
		if _, err := decodeCoinbaseTime([]byte(bad)); err == nil {
			t.Errorf("decodeCoinbaseTime(%s) accepted", bad)
		}
	}
}

const coinbaseSDKPayload = `{"can_view":true,"can_trade":true,"can_transfer":false,"portfolio_uuid":"8bfc20d7-f7c6-4422-bf07-8243ca4169fe","portfolio_type":"DEFAULT"}`

func TestDecodeCoinbaseKeyInfo(t *testing.T) {
	cases := []struct {
		name, payload string
		want          KeyInfo
	}{
		{"view and trade", coinbaseSDKPayload, KeyInfo{
			// Pay is sending funds: transfer. Which scope the rest need the
			// answer does not say.
			Permissions: Permissions{Read: Yes, Trade: Yes, Margin: Unknown, Futures: Unknown, Options: Unknown, Transfer: No, Withdraw: No,
				Convert: Unknown, BlockTrade: Unknown, CopyTrading: Unknown, P2P: Unknown, Pay: No, Earn: Unknown},
			Raw: []string{"can_view", "can_trade"},
		}},
		{"view only: no trading of any kind", `{"can_view":true,"can_trade":false,"can_transfer":false,"portfolio_uuid":"x","portfolio_type":"DEFAULT"}`, KeyInfo{
			// Every endpoint needs view, trade or transfer: a view-only key moves nothing.
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No,
				Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No},
			Raw: []string{"can_view"},
		}},
		{"trap: can_transfer sends funds off platform: withdrawal", `{"can_view":true,"can_trade":false,"can_transfer":true,"portfolio_uuid":"x","portfolio_type":"CONSUMER"}`, KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: Yes, Withdraw: Yes,
				Convert: Unknown, BlockTrade: Unknown, CopyTrading: Unknown, P2P: Unknown, Pay: Yes, Earn: Unknown},
			Raw: []string{"can_view", "can_transfer"},
		}},
		{"INTX portfolio trades perpetual futures", `{"can_view":true,"can_trade":true,"can_transfer":false,"portfolio_uuid":"x","portfolio_type":"INTX"}`, KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Yes, Margin: Unknown, Futures: Yes, Options: Unknown, Transfer: No, Withdraw: No,
				Convert: Unknown, BlockTrade: Unknown, CopyTrading: Unknown, P2P: Unknown, Pay: No, Earn: Unknown},
			Raw: []string{"can_view", "can_trade"},
		}},
		// A permission flag Coinbase adds later: what it grants is unknown.
		{"unknown can_ flag", `{"can_view":true,"can_trade":false,"can_transfer":false,"can_withdraw":true,"can_stake":false}`, KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Unknown, Margin: No, Futures: No, Options: No, Transfer: Unknown, Withdraw: Yes,
				Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No, Unrecognized: "can_withdraw"},
			Raw: []string{"can_view", "can_withdraw"},
		}},
		{"missing can_transfer: withdrawal unknown, not false", `{"can_view":true,"can_trade":true}`, KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Yes, Transfer: Unknown, Withdraw: Unknown},
			Raw:         []string{"can_view", "can_trade"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeCoinbaseKeyInfo([]byte(c.payload))
			if err != nil {
				t.Fatal(err)
			}
			// Coinbase reports no IP list: Whitelist nil, IPRestricted Unknown.
			if got.Whitelist != nil || got.IPRestricted != Unknown || !got.CreatedAt.IsZero() || !got.ExpiresAt.IsZero() {
				t.Errorf("whitelist %v, restricted %v, created %v, expires %v", got.Whitelist, got.IPRestricted, got.CreatedAt, got.ExpiresAt)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	for _, bad := range []string{`{}`, `{"error":"UNAUTHENTICATED"}`, `Unauthorized`, `{"can_view":"yes"}`} {
		if _, err := decodeCoinbaseKeyInfo([]byte(bad)); err == nil {
			t.Errorf("decode(%s) accepted", bad)
		}
	}
}

func FuzzCoinbaseKeyInfo(f *testing.F) {
	f.Add([]byte(coinbaseSDKPayload))
	f.Add([]byte(`{"can_view":true,"can_trade":false,"can_transfer":true,"portfolio_uuid":"x","portfolio_type":"CONSUMER"}`))
	f.Add([]byte(`{"can_view":true}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ki, err := decodeCoinbaseKeyInfo(data)
		if err != nil {
			return
		}
		if ki.Permissions.Withdraw != ki.Permissions.Transfer {
			t.Fatalf("withdraw %v != transfer %v", ki.Permissions.Withdraw, ki.Permissions.Transfer)
		}
		if ki.Whitelist != nil || ki.IPRestricted != Unknown {
			t.Fatalf("coinbase reports no IP list, got %v %v", ki.Whitelist, ki.IPRestricted)
		}
	})
}

func BenchmarkCoinbaseJWT(b *testing.B) {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	for _, key := range []coinbaseKey{{alg: "ES256", ec: ec}, {alg: "EdDSA", ed: ed}} {
		b.Run(key.alg, func(b *testing.B) {
			for b.Loop() {
				if _, err := coinbaseJWT(key, "organizations/o/apiKeys/k", "GET api.coinbase.com/api/v3/brokerage/key_permissions", time.Now()); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
