package exchangetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// CoinbaseKeyPermissions is the answer of Coinbase Advanced Trade's
// GET /api/v3/brokerage/key_permissions, field for field.
type CoinbaseKeyPermissions struct {
	CanView       bool   `json:"can_view"`
	CanTrade      bool   `json:"can_trade"`
	CanTransfer   bool   `json:"can_transfer"`
	PortfolioUUID string `json:"portfolio_uuid"`
	PortfolioType string `json:"portfolio_type"`
}

// CoinbaseKey is one CDP API key the Coinbase fake knows.
type CoinbaseKey struct {
	// Name is the key name, "organizations/{org_id}/apiKeys/{key_id}": the
	// JWT's kid and sub.
	Name string
	// Secret is the private key as CDP hands it out: an EC P-256 PEM block
	// (ES256) or a base64 Ed25519 key (EdDSA); see GenerateCoinbaseKey. The
	// fake keeps only its public half.
	Secret string
	// AllowedIPs is the key's IP allowlist, set in the CDP portal and
	// enforced (401), but not reported by the API. Empty allows every IP.
	AllowedIPs  []string
	Permissions CoinbaseKeyPermissions
}

// Coinbase is a fake Coinbase Advanced Trade REST API: GET
// /api/v3/brokerage/time, the older GET /v2/time, and GET
// /api/v3/brokerage/key_permissions, the orders' historical batch, GET
// /v2/accounts and /v2/accounts/:id/transactions (one account's history,
// filled by AddOrder and AddTransaction) with a CDP JWT bearer token,
// verified as
// CDP does: ES256 or EdDSA signature by the key named in kid, sub = kid, iss
// "cdp" or the older "coinbase-cloud", nbf ≤ now < exp on the fake's clock
// give or take coinbaseLeeway, a lifetime of at most 120 s, a nonce header,
// and "GET " + the host the request was sent to + the path as the uri claim
// or one of the uris claim. Every rejection is HTTP 401 with the body
// "Unauthorized", as on the real exchange.
type Coinbase struct {
	Base

	numericTime atomic.Bool

	keys keyring[coinbaseFakeKey]
	hist coinbaseHistory
}

type coinbaseFakeKey struct {
	CoinbaseKey
	pub crypto.PublicKey
}

// NewCoinbase starts a Coinbase fake on loopback that knows keys. It panics
// if a key's Secret is not a valid CDP private key (a test bug). Close it.
func NewCoinbase(keys ...CoinbaseKey) *Coinbase {
	f := &Coinbase{}
	for _, k := range keys {
		if err := f.SetKey(k); err != nil {
			panic(err)
		}
	}
	f.Faults.RateLimitBody = func(FaultKind) []byte {
		return []byte(`{"error":"RATE_LIMIT_EXCEEDED","code":8,"message":"Too many requests","details":[]}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/brokerage/time", f.serverTime)
	mux.HandleFunc("GET /v2/time", f.serverTimeV2)
	mux.HandleFunc("GET /api/v3/brokerage/key_permissions", f.keyPermissions)
	mux.HandleFunc("GET /api/v3/brokerage/orders/historical/batch", f.listOrders)
	mux.HandleFunc("GET /v2/accounts", f.accounts)
	mux.HandleFunc("GET /v2/accounts/{id}/transactions", f.transactions)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		f.reply(w, http.StatusNotFound, map[string]any{"error": "NOT_FOUND", "code": 5, "message": "Not Found", "details": []any{}})
	})
	f.start(mux)
	return f
}

// SetKey adds or replaces a key (by Name).
func (f *Coinbase) SetKey(k CoinbaseKey) error {
	pub, err := coinbasePublicKey(k.Secret)
	if err != nil {
		return fmt.Errorf("coinbase fake key %q: %w", k.Name, err)
	}
	f.keys.put(k.Name, coinbaseFakeKey{CoinbaseKey: k, pub: pub})
	return nil
}

// RemoveKey forgets a key (a revoked key then gets 401).
func (f *Coinbase) RemoveKey(name string) {
	f.keys.remove(name)
}

// SetNumericTime makes /time answer epochSeconds and epochMillis as JSON
// numbers instead of grpc-gateway's strings.
func (f *Coinbase) SetNumericTime(on bool) { f.numericTime.Store(on) }

func (f *Coinbase) serverTime(w http.ResponseWriter, _ *http.Request) {
	now := f.Now().UTC()
	sec, ms := any(fmt.Sprint(now.Unix())), any(fmt.Sprint(now.UnixMilli()))
	if f.numericTime.Load() {
		sec, ms = now.Unix(), now.UnixMilli()
	}
	f.reply(w, http.StatusOK, map[string]any{"iso": now.Format(time.RFC3339Nano), "epochSeconds": sec, "epochMillis": ms})
}

// serverTimeV2 is the Coinbase App API's time, which Advanced Trade's host
// still serves and ccxt's fetchTime reads by default.
func (f *Coinbase) serverTimeV2(w http.ResponseWriter, _ *http.Request) {
	now := f.Now().UTC()
	f.reply(w, http.StatusOK, map[string]any{"data": map[string]any{"iso": now.Format(time.RFC3339), "epoch": now.Unix()}})
}

func (f *Coinbase) keyPermissions(w http.ResponseWriter, r *http.Request) {
	k, err := f.verify(r)
	if err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Fake-Reason", err.Error()) // for test failure messages only
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte("Unauthorized\n"))
		return
	}
	f.reply(w, http.StatusOK, k.Permissions)
}

// verify checks the bearer JWT of r; the error says why it was refused.
func (f *Coinbase) verify(r *http.Request) (coinbaseFakeKey, error) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return coinbaseFakeKey{}, errors.New("no bearer token")
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return coinbaseFakeKey{}, errors.New("not a JWS compact token")
	}
	var header struct {
		Alg, Kid, Nonce, Typ string
	}
	var claims struct {
		Sub, Iss, URI string
		URIs          []string
		Nbf, Exp      *float64
	}
	if err := coinbaseSegment(parts[0], &header); err != nil {
		return coinbaseFakeKey{}, fmt.Errorf("header: %w", err)
	}
	if err := coinbaseSegment(parts[1], &claims); err != nil {
		return coinbaseFakeKey{}, fmt.Errorf("claims: %w", err)
	}
	k, known := f.keys.key(header.Kid)
	if !known {
		return coinbaseFakeKey{}, errors.New("unknown kid")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return coinbaseFakeKey{}, errors.New("signature is not base64url")
	}
	input := []byte(parts[0] + "." + parts[1])
	switch pub := k.pub.(type) {
	case *ecdsa.PublicKey:
		digest := sha256.Sum256(input)
		if header.Alg != "ES256" || len(sig) != 64 ||
			!ecdsa.Verify(pub, digest[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			return coinbaseFakeKey{}, errors.New("bad ES256 signature")
		}
	case ed25519.PublicKey:
		if header.Alg != "EdDSA" || !ed25519.Verify(pub, input, sig) {
			return coinbaseFakeKey{}, errors.New("bad EdDSA signature")
		}
	}
	now := float64(f.Now().UnixNano()) / 1e9
	leeway := coinbaseLeeway.Seconds()
	uri := r.Method + " " + r.Host + r.URL.EscapedPath()
	switch {
	case header.Nonce == "":
		return coinbaseFakeKey{}, errors.New("no nonce header")
	case claims.Sub != header.Kid:
		return coinbaseFakeKey{}, errors.New("sub is not the key name")
	case claims.Iss != "cdp" && claims.Iss != "coinbase-cloud":
		return coinbaseFakeKey{}, errors.New(`iss is not "cdp" or "coinbase-cloud"`)
	case claims.Nbf == nil || claims.Exp == nil:
		return coinbaseFakeKey{}, errors.New("nbf or exp missing")
	case *claims.Nbf > now+leeway:
		return coinbaseFakeKey{}, errors.New("not yet valid (nbf in the future)")
	case now >= *claims.Exp+leeway:
		return coinbaseFakeKey{}, errors.New("expired")
	case *claims.Exp-*claims.Nbf > 120:
		return coinbaseFakeKey{}, errors.New("lifetime over 120 s")
	case claims.URI != uri && !slices.Contains(claims.URIs, uri):
		return coinbaseFakeKey{}, fmt.Errorf("uri claim %q (uris %q) does not match the request", claims.URI, claims.URIs)
	case !Allowed(f.CallerIP(r), k.AllowedIPs):
		return coinbaseFakeKey{}, errors.New("ip not on the key's allowlist")
	}
	return k, nil
}

// coinbaseLeeway is how far nbf may lie ahead of, and exp behind, the
// fake's clock. Coinbase does not document its tolerance, but clients that
// set nbf to the current second (ccxt, Coinbase's own SDKs) on a clock a
// fraction of a second ahead are served by the live API; a few seconds is
// what JWT verifiers commonly allow, far below the skews tests use to play a
// wrong clock.
const coinbaseLeeway = 5 * time.Second

func coinbaseSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// coinbasePublicKey returns the public half of a CDP private key.
func coinbasePublicKey(secret string) (crypto.PublicKey, error) {
	s := strings.TrimSpace(strings.ReplaceAll(secret, `\n`, "\n"))
	if block, _ := pem.Decode([]byte(s)); block != nil {
		var key any
		var err error
		if block.Type == "EC PRIVATE KEY" {
			key, err = x509.ParseECPrivateKey(block.Bytes)
		} else {
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		}
		if err != nil {
			return nil, err
		}
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				return nil, errors.New("EC key is not P-256")
			}
			return &k.PublicKey, nil
		case ed25519.PrivateKey:
			return k.Public(), nil
		}
		return nil, errors.New("unsupported PEM key type")
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("neither PEM nor base64")
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(raw).Public(), nil
	case ed25519.PrivateKeySize:
		return ed25519.PrivateKey(raw).Public(), nil
	}
	return nil, errors.New("base64 key is not 32 or 64 bytes")
}

// GenerateCoinbaseKey makes a fresh CDP-style private key: alg "ES256" gives
// a SEC1 PEM block ("-----BEGIN EC PRIVATE KEY-----"), "EdDSA" a base64
// 64-byte Ed25519 key (seed followed by public key).
func GenerateCoinbaseKey(alg string) (string, error) {
	switch alg {
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return "", err
		}
		der, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return "", err
		}
		return string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der})), nil
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return "", err
		}
		return base64.StdEncoding.EncodeToString(k), nil
	}
	return "", fmt.Errorf("unknown algorithm %q: use ES256 or EdDSA", alg)
}

func (f *Coinbase) reply(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-ratelimit-limit", "30")
	w.Header().Set("x-ratelimit-remaining", "29")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
