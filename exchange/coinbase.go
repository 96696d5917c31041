package exchange

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Coinbase Advanced Trade REST API with CDP keys (api.coinbase.com): GET
// /api/v3/brokerage/time and the JWT-authenticated GET
// /api/v3/brokerage/key_permissions. Facts: shared/reference/exchanges.md §5.

const coinbaseName = "coinbase"

// coinbaseJWTLifetime: "Your JWT expires after 2 minutes".
const coinbaseJWTLifetime = 120 * time.Second

var coinbaseInfo = Info{
	Name:       coinbaseName,
	DefaultURL: "https://api.coinbase.com",
	APIPage:    "Coinbase Developer Platform → API keys",
	APIPageURL: "https://portal.cdp.coinbase.com",
	codes:      coinbaseCodes,
	newClient:  NewCoinbase,
}

// NewCoinbase returns a Coinbase Advanced Trade client for baseURL. The
// credentials it takes are a CDP key: APIKey is the key name
// ("organizations/{org}/apiKeys/{id}"), APISecret the private key, either an
// EC P-256 PEM block (ES256) or a base64 Ed25519 key (EdDSA). hc nil selects
// DefaultHTTPClient.
func NewCoinbase(baseURL string, hc *http.Client) Client {
	if hc == nil {
		hc = DefaultHTTPClient
	}
	return &coinbase{base: strings.TrimRight(baseURL, "/"), hc: hc, now: time.Now}
}

type coinbase struct {
	base string
	hc   *http.Client
	now  func() time.Time
}

func (c *coinbase) Exchange() string { return coinbaseName }
func (c *coinbase) BaseURL() string  { return c.base }

// Window: the JWT is valid from nbf until nbf+120 s on the exchange's clock.
// nbf is the local clock in whole seconds minus one (see coinbaseJWT), so a
// clock up to 1 s ahead always verifies, and one up to 118 s behind.
func (c *coinbase) Window() Window {
	return Window{Behind: coinbaseJWTLifetime - 2*time.Second, Ahead: time.Second}
}

// ---- signing ----

// coinbaseKey is a parsed CDP private key.
type coinbaseKey struct {
	alg string // "ES256" or "EdDSA"
	ec  *ecdsa.PrivateKey
	ed  ed25519.PrivateKey
}

var errCoinbaseSecret = errors.New("the api secret is neither an EC P-256 PEM key nor a base64 Ed25519 key: " +
	"paste the privateKey value from the CDP key file as it is")

// parseCoinbaseKey reads a CDP private key. PEM keys pasted into a dotenv
// file often carry literal "\n" sequences; those are turned into newlines.
// Errors never quote the key.
func parseCoinbaseKey(secret string) (coinbaseKey, error) {
	s := strings.TrimSpace(strings.ReplaceAll(secret, `\n`, "\n"))
	if strings.Contains(s, "-----BEGIN") {
		block, _ := pem.Decode([]byte(s))
		if block == nil {
			return coinbaseKey{}, errCoinbaseSecret
		}
		var key any
		var err error
		switch block.Type {
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			return coinbaseKey{}, errCoinbaseSecret
		}
		if err != nil {
			return coinbaseKey{}, errCoinbaseSecret
		}
		switch k := key.(type) {
		case *ecdsa.PrivateKey:
			if k.Curve != elliptic.P256() {
				return coinbaseKey{}, errors.New("the api secret is an EC key on another curve than P-256: create an ECDSA CDP key")
			}
			return coinbaseKey{alg: "ES256", ec: k}, nil
		case ed25519.PrivateKey:
			return coinbaseKey{alg: "EdDSA", ed: k}, nil
		}
		return coinbaseKey{}, errCoinbaseSecret
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return coinbaseKey{}, errCoinbaseSecret
	}
	switch len(raw) {
	case ed25519.SeedSize:
		return coinbaseKey{alg: "EdDSA", ed: ed25519.NewKeyFromSeed(raw)}, nil
	case ed25519.PrivateKeySize: // seed followed by the public key, as CDP hands it out
		k := ed25519.NewKeyFromSeed(raw[:ed25519.SeedSize])
		if !k.Public().(ed25519.PublicKey).Equal(ed25519.PublicKey(raw[ed25519.SeedSize:])) {
			return coinbaseKey{}, errors.New("the Ed25519 api secret is damaged (its public half does not match): paste it again from the CDP key file")
		}
		return coinbaseKey{alg: "EdDSA", ed: k}, nil
	}
	return coinbaseKey{}, errCoinbaseSecret
}

// coinbaseJWT builds the bearer token for one request, as the official SDK
// does: header {alg, kid: key name, nonce: 64 random hex, typ: JWT}, claims
// {sub: key name, iss: "cdp", nbf, exp: nbf+120, uri: "METHOD host/path"}.
// One difference: the SDK sets nbf to now in whole seconds, which a strict
// verifier rejects about half the time when the host clock is half a second
// ahead; nbf here is one second earlier, the lifetime still 120 s.
func coinbaseJWT(key coinbaseKey, keyName, uri string, now time.Time) (string, error) {
	var nb [32]byte
	if _, err := rand.Read(nb[:]); err != nil {
		return "", err
	}
	header, _ := json.Marshal(map[string]string{"alg": key.alg, "kid": keyName, "nonce": hex.EncodeToString(nb[:]), "typ": "JWT"})
	nbf := now.Unix() - 1
	claims, _ := json.Marshal(map[string]any{
		"sub": keyName, "iss": "cdp", "nbf": nbf, "exp": nbf + int64(coinbaseJWTLifetime/time.Second), "uri": uri,
	})
	enc := base64.RawURLEncoding
	input := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	var sig []byte
	switch key.alg {
	case "ES256":
		digest := sha256.Sum256([]byte(input))
		r, s, err := ecdsa.Sign(rand.Reader, key.ec, digest[:])
		if err != nil {
			return "", err
		}
		sig = make([]byte, 64) // JWS wants r||s, 32 bytes each, not ASN.1
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
	case "EdDSA":
		sig = ed25519.Sign(key.ed, []byte(input))
	default:
		return "", errCoinbaseSecret
	}
	return input + "." + enc.EncodeToString(sig), nil
}

// coinbaseURI is the uri claim: method, space, host of the base URL, path.
// No scheme and no query string (Coinbase answers 401 when one is included).
func coinbaseURI(method, fullURL string) (string, error) {
	u, err := url.Parse(fullURL)
	if err != nil {
		return "", err
	}
	return method + " " + u.Host + u.EscapedPath(), nil
}

// ---- server time ----

func (c *coinbase) ServerTime(ctx context.Context) (TimeSample, error) {
	const op = "server time"
	req, err := newRequest(coinbaseName, op, http.MethodGet, c.base+"/api/v3/brokerage/time", nil)
	if err != nil {
		return TimeSample{}, err
	}
	r, err := c.do(ctx, op, req, keystore.Item{})
	if err != nil {
		return TimeSample{}, err
	}
	t, err := decodeCoinbaseTime(r.Body)
	if err != nil {
		return TimeSample{}, MalformedError(coinbaseName, op, r, err)
	}
	return TimeSample{Server: t, Sent: r.Sent, Received: r.Received}, nil
}

// decodeCoinbaseTime reads {"iso","epochSeconds","epochMillis"}. The int64
// fields come as strings (grpc-gateway) or numbers; both are read. The most
// precise field present wins; whole seconds are taken as mid-second.
func decodeCoinbaseTime(body []byte) (time.Time, error) {
	var d struct {
		ISO     string          `json:"iso"`
		Seconds json.RawMessage `json:"epochSeconds"`
		Millis  json.RawMessage `json:"epochMillis"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return time.Time{}, err
	}
	if ms, ok := coinbaseInt(d.Millis); ok && ms > 0 {
		return time.UnixMilli(ms), nil
	}
	if d.ISO != "" {
		if t, err := time.Parse(time.RFC3339Nano, d.ISO); err == nil {
			return t, nil
		}
	}
	if s, ok := coinbaseInt(d.Seconds); ok && s > 0 {
		return time.Unix(s, int64(500*time.Millisecond)), nil
	}
	return time.Time{}, errors.New("no epochMillis, iso or epochSeconds in the answer")
}

// coinbaseInt reads a JSON integer given as a number or a string.
func coinbaseInt(raw json.RawMessage) (int64, bool) {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// ---- key info ----

func (c *coinbase) KeyInfo(ctx context.Context, creds keystore.Item, offset time.Duration) (KeyInfo, error) {
	const op = "key info"
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return KeyInfo{}, &Error{Exchange: coinbaseName, Op: op, Cause: CauseKey,
			Message: "api key name or private key is empty: store the CDP key again (keywarden import or add)"}
	}
	key, err := parseCoinbaseKey(creds.APISecret.Reveal())
	if err != nil {
		return KeyInfo{}, &Error{Exchange: coinbaseName, Op: op, Cause: CauseKey, Message: err.Error()}
	}
	full := c.base + "/api/v3/brokerage/key_permissions"
	uri, err := coinbaseURI(http.MethodGet, full)
	if err != nil {
		return KeyInfo{}, &Error{Exchange: coinbaseName, Op: op, Cause: CauseOther, Message: "bad base url: " + err.Error(), Err: err}
	}
	token, err := coinbaseJWT(key, creds.APIKey.Reveal(), uri, c.now().Add(offset))
	if err != nil {
		return KeyInfo{}, &Error{Exchange: coinbaseName, Op: op, Cause: CauseOther, Message: "could not sign the request: " + err.Error()}
	}
	req, err := newRequest(coinbaseName, op, http.MethodGet, full, nil)
	if err != nil {
		return KeyInfo{}, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	r, err := c.do(ctx, op, req, creds)
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeCoinbaseKeyInfo(r.Body)
	if err != nil {
		return KeyInfo{}, MalformedError(coinbaseName, op, r, err)
	}
	// Set only when the correction mattered: signed by the local clock
	// alone, the request would have been rejected.
	ki.TimeCorrected = !c.Window().Accepts(offset)
	return ki, nil
}

// decodeCoinbaseKeyInfo reads {can_view, can_trade, can_transfer,
// portfolio_uuid, portfolio_type}. A missing flag is Unknown.
//
// Withdraw follows can_transfer: CDP key permissions are exactly View, Trade
// and Transfer, and "Transfer: enables your application to send and receive
// funds, on and off platform" (docs.cdp.coinbase.com, Coinbase App API
// scopes) — off-platform sending is withdrawal, and no other permission
// grants it. Margin, futures and options are not separate permissions: Trade
// covers every market the portfolio can trade, so they are Unknown when it
// is granted and No when it is not; an INTX portfolio (Coinbase
// International: perpetual futures) trades futures. Every endpoint needs
// view, trade or transfer ("A CDP API key needs view, trade, or transfer",
// https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/rest-scopes),
// so a key with neither trade nor transfer can convert, earn, block- or
// copy-trade or trade P2P no more than it can trade: No. With either, those
// are Unknown (the answer does not say which scope each needs, and no flag
// governs them). Pay (sending funds to someone) is what transfer grants. A
// can_* flag this package does not know, set true, is named in Unrecognized
// and leaves trade, transfer and withdraw Unknown. Coinbase reports no IP
// allowlist (Whitelist nil, IPRestricted Unknown), no creation time and no
// expiry.
func decodeCoinbaseKeyInfo(body []byte) (KeyInfo, error) {
	var d struct {
		CanView       *bool  `json:"can_view"`
		CanTrade      *bool  `json:"can_trade"`
		CanTransfer   *bool  `json:"can_transfer"`
		PortfolioType string `json:"portfolio_type"`
	}
	if err := json.Unmarshal(body, &d); err != nil {
		return KeyInfo{}, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return KeyInfo{}, err
	}
	if d.CanView == nil && d.CanTrade == nil && d.CanTransfer == nil {
		return KeyInfo{}, errors.New("no can_view, can_trade or can_transfer in the answer")
	}
	tri := func(b *bool, name string, raw *[]string) Tri {
		if b == nil {
			return Unknown
		}
		if *b {
			*raw = append(*raw, name)
		}
		return TriOf(*b)
	}
	var ki KeyInfo
	ki.Permissions.Read = tri(d.CanView, "can_view", &ki.Raw)
	ki.Permissions.Trade = tri(d.CanTrade, "can_trade", &ki.Raw)
	ki.Permissions.Transfer = tri(d.CanTransfer, "can_transfer", &ki.Raw)
	ki.Permissions.Withdraw = ki.Permissions.Transfer
	p := &ki.Permissions
	if p.Trade == No {
		p.Margin, p.Futures, p.Options = No, No, No
	}
	if p.Trade == Yes && d.PortfolioType == "INTX" {
		p.Futures = Yes
	}
	p.Pay = p.Transfer
	others := Unknown
	if p.Trade == No && p.Transfer == No {
		others = No
	}
	p.Convert, p.BlockTrade, p.CopyTrading, p.P2P, p.Earn = others, others, others, others, others
	var unknown []string
	for name, raw := range fields {
		var v bool
		if strings.HasPrefix(name, "can_") && name != "can_view" && name != "can_trade" && name != "can_transfer" &&
			json.Unmarshal(raw, &v) == nil && v {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		ki.Raw = append(ki.Raw, name)
		unrecognisedPermission(p, name)
	}
	return ki, nil
}

// ---- error classification ----

// coinbaseCodes are the gRPC-style error names Coinbase Advanced returns
// (body "error"; unverified against the live API, and its 401 is
// ambiguous-auth whatever the body says: see do).
var coinbaseCodes = map[string]Cause{
	"PERMISSION_DENIED": CausePermission, "UNAUTHENTICATED": CauseAmbiguousAuth,
	"RATE_LIMIT_EXCEEDED": CauseRateLimit,
}

// do sends req and classifies a non-2xx answer, or a 2xx one that carries
// an error name. 401 (body "Unauthorized")
// is Coinbase's one answer to a bad or expired JWT, an unknown key, a skewed
// clock and an IP outside the key's allowlist alike: ambiguous-auth. Other
// errors are grpc-gateway JSON {"error","code","message"}, classified by
// ClassifyCode and then by HTTP status. 418 and 429 come back at once with
// Retry-After, never retried here.
func (c *coinbase) do(ctx context.Context, op string, req *http.Request, creds keystore.Item) (*Response, error) {
	r, err := Do(ctx, c.hc, coinbaseName, op, req)
	if err != nil {
		return nil, err
	}
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(r.Body, &e)
	if r.Status >= 200 && r.Status < 300 && e.Error == "" {
		return r, nil
	}
	code := RedactCreds(e.Error, creds)
	cause := ClassifyCode(coinbaseName, code)
	msg := RedactCreds(e.Message, creds)
	if r.Status == http.StatusUnauthorized {
		cause = CauseAmbiguousAuth
		msg = "Unauthorized: the key name or private key is wrong, the key was deleted, this host's clock is off, " +
			"or this IP is not on the key's allowlist"
	}
	return nil, StatusError(coinbaseName, op, r, code, msg, cause)
}
