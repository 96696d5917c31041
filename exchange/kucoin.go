package exchange

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// KuCoin spot REST API (api.kucoin.com): GET /api/v1/timestamp and the signed
// GET /api/v1/user/api-key. Facts: shared/reference/exchanges.md §4.

const kucoinName = "kucoin"

// kucoinKeyVersion is sent as KC-API-KEY-VERSION. The official universal SDK
// sends "3"; versions 2 and 3 both take the HMAC'd passphrase.
const kucoinKeyVersion = "3"

// kucoinTolerance: "the difference between your timestamp and the API
// service time must be less than 5 seconds", either way.
const kucoinTolerance = 5 * time.Second

var kucoinInfo = Info{
	Name:       kucoinName,
	DefaultURL: "https://api.kucoin.com",
	Passphrase: true,
	APIPage:    "KuCoin → Account → API Management",
	APIPageURL: "https://www.kucoin.com/account/api",
	// Spot and Futures also move funds between one's own accounts (see
	// kucoinPermissions): a warning about that could never be cleared.
	BundledWithTrade: []string{"transfer", "convert"},
	codes:            kucoinCodes,
	perms:            kucoinPermissions,
	newClient:        NewKuCoin,
}

// NewKuCoin returns a KuCoin client for baseURL (scheme, host, optional
// path, no trailing slash). hc nil selects DefaultHTTPClient. Most callers
// want New("kucoin", ...), which validates the URL.
func NewKuCoin(baseURL string, hc *http.Client) Client {
	if hc == nil {
		hc = DefaultHTTPClient
	}
	return &kucoin{base: strings.TrimRight(baseURL, "/"), hc: hc, now: time.Now}
}

type kucoin struct {
	base string
	hc   *http.Client
	now  func() time.Time
}

func (k *kucoin) Exchange() string { return kucoinName }
func (k *kucoin) BaseURL() string  { return k.base }

// Window is symmetric: KuCoin rejects a timestamp 5 s or more off its clock.
func (k *kucoin) Window() Window { return Window{Behind: kucoinTolerance, Ahead: kucoinTolerance} }

// ---- signing ----

// kucoinSign is base64(HMAC-SHA256(secret, msg)). It signs requests (msg =
// timestamp + METHOD + endpoint-with-query + body) and, for key versions 2
// and 3, encodes the passphrase (msg = passphrase).
func kucoinSign(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// kucoinSignHeaders sets the five KC-API-* headers for a request at ts.
func kucoinSignHeaders(h http.Header, creds keystore.Item, ts time.Time, method, endpoint, body string) {
	stamp := strconv.FormatInt(ts.UnixMilli(), 10)
	secret := creds.APISecret.Reveal()
	h.Set("KC-API-KEY", creds.APIKey.Reveal())
	h.Set("KC-API-SIGN", kucoinSign(secret, stamp+method+endpoint+body))
	h.Set("KC-API-TIMESTAMP", stamp)
	h.Set("KC-API-PASSPHRASE", kucoinSign(secret, creds.Passphrase.Reveal()))
	h.Set("KC-API-KEY-VERSION", kucoinKeyVersion)
}

// ---- server time ----

func (k *kucoin) ServerTime(ctx context.Context) (TimeSample, error) {
	const op = "server time"
	req, err := newRequest(kucoinName, op, http.MethodGet, k.base+"/api/v1/timestamp", nil)
	if err != nil {
		return TimeSample{}, err
	}
	r, data, err := k.do(ctx, op, req, keystore.Item{})
	if err != nil {
		return TimeSample{}, err
	}
	var ms int64
	if err := json.Unmarshal(data, &ms); err != nil || ms <= 0 {
		return TimeSample{}, MalformedError(kucoinName, op, r, errors.New("data is not a millisecond timestamp"))
	}
	return TimeSample{Server: time.UnixMilli(ms), Sent: r.Sent, Received: r.Received}, nil
}

// ---- key info ----

func (k *kucoin) KeyInfo(ctx context.Context, creds keystore.Item, offset time.Duration) (KeyInfo, error) {
	const op, endpoint = "key info", "/api/v1/user/api-key"
	if creds.APIKey.Empty() || creds.APISecret.Empty() || creds.Passphrase.Empty() {
		return KeyInfo{}, &Error{Exchange: kucoinName, Op: op, Cause: CauseKey,
			Message: "kucoin needs the api key, secret and passphrase: store the key again with its passphrase (keywarden import or add)"}
	}
	req, err := newRequest(kucoinName, op, http.MethodGet, k.base+endpoint, nil)
	if err != nil {
		return KeyInfo{}, err
	}
	kucoinSignHeaders(req.Header, creds, k.now().Add(offset), http.MethodGet, endpoint, "")
	r, data, err := k.do(ctx, op, req, creds)
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeKuCoinKeyInfo(data)
	if err != nil {
		return KeyInfo{}, MalformedError(kucoinName, op, r, err)
	}
	// Set only when the correction mattered: signed by the local clock
	// alone, the request would have been rejected.
	ki.TimeCorrected = !k.Window().Accepts(offset)
	return ki, nil
}

// kucoinPermissions maps KuCoin's permission names (lower-cased) to the
// common model: the names GET /api/v1/user/api-key documents ("possible
// values: General, Spot, Margin, Futures, InnerTransfer, Transfer, Earn")
// and the labels the current spec gives endpoints (x-api-permission:
// FlexTransfers, Withdrawal, LeadtradeFutures). Sources: Kucoin/kucoin-
// universal-sdk spec/rest/api/*.json (https://www.kucoin.com/docs-new/api-3470130
// and the x-api-doc page of each endpoint), legacy docs "API KEY
// PERMISSIONS" (https://docs.kucoin.com).
// The trap: "Transfer" is WITHDRAWAL ("allows you to withdraw assets ...
// cancel withdrawals"); the spec calls it Withdrawal. Moving funds between
// one's own accounts is "InnerTransfer" (spec: FlexTransfers, the Flex
// Transfer endpoint), but the older internal and sub-account transfer
// endpoints (deprecated, still documented) take Spot, and the futures
// transfer-in/out endpoints take Futures, so those grant transfer too.
// Convert (POST /api/v1/convert/order) is not in that spec snapshot;
// integrations built on KuCoin's Convert docs call it with Spot, so Spot
// counts as convert.
var kucoinPermissions = permTable{
	"general":          {"read"},
	"spot":             {"trade", "convert", "transfer"},
	"margin":           {"margin"},
	"futures":          {"futures", "transfer"},
	"innertransfer":    {"transfer"},
	"flextransfers":    {"transfer"},
	"earn":             {"earn"},
	"transfer":         {"withdraw"},
	"withdrawal":       {"withdraw"},
	"leadtradefutures": {"copy_trading", "futures"},
}

// decodeKuCoinKeyInfo reads the data object of GET /api/v1/user/api-key.
// permission is a comma-separated string and complete: a permission it does
// not list is No (KuCoin has no options, block trade, P2P or pay
// permission, so those are No); a name this package does not know leaves
// Trade, Transfer and Withdraw Unknown (see permTable). An answer without it, or with an empty one (every key has at
// least General), is an error, not a key with no permissions.
// ipWhitelist is a comma-separated string whose entries may be masked
// ("203.**.154"); they are kept verbatim. Empty or absent means no IP
// restriction. createdAt is in milliseconds; KuCoin keys have no expiry.
func decodeKuCoinKeyInfo(data []byte) (KeyInfo, error) {
	var d struct {
		Permission  *string         `json:"permission"`
		IPWhitelist *string         `json:"ipWhitelist"`
		CreatedAt   json.RawMessage `json:"createdAt"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return KeyInfo{}, err
	}
	if d.Permission == nil || len(kucoinList(*d.Permission)) == 0 {
		// Without it this is no key info at all (data null or {}), and an
		// absent ipWhitelist must not then read as "not restricted".
		return KeyInfo{}, errors.New("no permission in the answer")
	}
	var ki KeyInfo
	ki.Permissions = allNo()
	for _, name := range kucoinList(*d.Permission) {
		ki.Raw = append(ki.Raw, name)
		kucoinPermissions.grant(&ki.Permissions, name)
	}
	ki.Whitelist = []string{}
	if d.IPWhitelist != nil {
		ki.Whitelist = append(ki.Whitelist, kucoinList(*d.IPWhitelist)...)
	}
	ki.IPRestricted = TriOf(len(ki.Whitelist) > 0)
	if len(d.CreatedAt) > 0 && string(d.CreatedAt) != "null" {
		ms, err := strconv.ParseInt(strings.Trim(string(d.CreatedAt), `"`), 10, 64)
		if err != nil {
			return KeyInfo{}, errors.New("createdAt is not a millisecond timestamp")
		}
		if ms > 0 {
			ki.CreatedAt = time.UnixMilli(ms).UTC()
		}
	}
	return ki, nil
}

// kucoinList splits a comma-separated KuCoin list, dropping blanks.
func kucoinList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// ---- error classification ----

// kucoinCodes are KuCoin's documented error codes (body "code").
var kucoinCodes = map[string]Cause{
	"400002": CauseClock, "400006": CauseIP, "400007": CausePermission, "400005": CauseSignature,
	"400003": CauseKey, "400004": CauseKey, "400001": CauseKey, "411100": CauseKey,
	"429000": CauseRateLimit, "200002": CauseRateLimit,
}

// kucoinEnvelope is every KuCoin answer: code "200000" is success.
type kucoinEnvelope struct {
	Code json.RawMessage `json:"code"`
	Msg  string          `json:"msg"`
	Data json.RawMessage `json:"data"`
}

// do sends req and returns the envelope's data. A code other than "200000"
// (KuCoin sends 400002 with HTTP 400, 400003/400004/400005 with 401, 400006
// with 403, 429000 with 429) is classified by ClassifyCode, then by HTTP
// status; credentials the exchange might echo are redacted from its message. 418 and 429 come back at once with Retry-After, never retried here.
func (k *kucoin) do(ctx context.Context, op string, req *http.Request, creds keystore.Item) (*Response, json.RawMessage, error) {
	r, err := Do(ctx, k.hc, kucoinName, op, req)
	if err != nil {
		return nil, nil, err
	}
	var env kucoinEnvelope
	jsonErr := json.Unmarshal(r.Body, &env)
	code := RedactCreds(strings.Trim(string(env.Code), `"`), creds)
	ok2xx := r.Status >= 200 && r.Status < 300
	switch {
	case jsonErr != nil && !ok2xx:
		return nil, nil, StatusError(kucoinName, op, r, "", "", CauseNone)
	case jsonErr != nil:
		return nil, nil, MalformedError(kucoinName, op, r, jsonErr)
	case code == "200000" && ok2xx:
		return r, env.Data, nil
	case code == "" && ok2xx:
		return nil, nil, MalformedError(kucoinName, op, r, errors.New("no code in the answer"))
	}
	return nil, nil, StatusError(kucoinName, op, r, code, RedactCreds(env.Msg, creds), ClassifyCode(kucoinName, code))
}
