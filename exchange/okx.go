package exchange

import (
	"bytes"
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

// OKX v5 REST API (www.okx.com): GET /api/v5/public/time and the signed
// GET /api/v5/account/config. Facts: shared/reference/exchanges.md §3.

const okxName = "okx"

// okxWindow: "the server rejects requests where this differs from server
// time by more than 30 seconds" (error 50102), in either direction.
const okxWindow = 30 * time.Second

// okxTimestampLayout is OK-ACCESS-TIMESTAMP: ISO-8601 UTC with milliseconds.
const okxTimestampLayout = "2006-01-02T15:04:05.000Z"

var okxInfo = Info{
	Name:       okxName,
	DefaultURL: "https://www.okx.com",
	Passphrase: true,
	APIPage:    "OKX → Profile → API keys",
	APIPageURL: "https://www.okx.com/account/my-api",
	// "trade" is every write but withdrawal: a bot that needs trade cannot
	// shed any of these, so warning about them would be a warning the user
	// can never clear (the IP rule still judges every one of them).
	BundledWithTrade: []string{"margin", "futures", "options", "transfer", "convert", "block_trade", "copy_trading", "earn"},
	codes:            okxCodes,
	perms:            okxPermissions,
	newClient: func(baseURL string, hc *http.Client) Client {
		return &okx{base: baseURL, hc: hc}
	},
}

type okx struct {
	base string
	hc   *http.Client
}

func (o *okx) Exchange() string { return okxName }
func (o *okx) BaseURL() string  { return o.base }
func (o *okx) Window() Window   { return Window{Behind: okxWindow, Ahead: okxWindow} }

// ---- signing ----

// okxPrehash is timestamp + METHOD + requestPath (with ?query for GET) + body.
func okxPrehash(timestamp, method, requestPath, body string) string {
	return timestamp + strings.ToUpper(method) + requestPath + body
}

// okxSign is Base64(HMAC-SHA256(secret, prehash)).
func okxSign(secret, prehash string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(prehash))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// okxTimestamp formats t for OK-ACCESS-TIMESTAMP.
func okxTimestamp(t time.Time) string { return t.UTC().Format(okxTimestampLayout) }

// ---- server time ----

func (o *okx) ServerTime(ctx context.Context) (TimeSample, error) {
	const op = "server time"
	req, err := newRequest(okxName, op, http.MethodGet, o.base+"/api/v5/public/time", nil)
	if err != nil {
		return TimeSample{}, err
	}
	r, data, err := o.do(ctx, op, req, keystore.Item{})
	if err != nil {
		return TimeSample{}, err
	}
	var ts []struct {
		TS string `json:"ts"`
	}
	if err := json.Unmarshal(data, &ts); err != nil {
		return TimeSample{}, MalformedError(okxName, op, r, err)
	}
	if len(ts) == 0 {
		return TimeSample{}, MalformedError(okxName, op, r, errors.New("empty data array"))
	}
	ms, err := strconv.ParseInt(ts[0].TS, 10, 64)
	if err != nil || ms <= 0 {
		return TimeSample{}, MalformedError(okxName, op, r, errors.New("ts is not a millisecond count"))
	}
	return TimeSample{Server: time.UnixMilli(ms), Sent: r.Sent, Received: r.Received}, nil
}

// ---- key info ----

const okxConfigPath = "/api/v5/account/config"

func (o *okx) KeyInfo(ctx context.Context, creds keystore.Item, offset time.Duration) (KeyInfo, error) {
	const op = "key info"
	if creds.APIKey.Empty() || creds.APISecret.Empty() || creds.Passphrase.Empty() {
		return KeyInfo{}, &Error{Exchange: okxName, Op: op, Cause: CauseKey,
			Message: "api key, secret or passphrase is empty (OKX needs all three): store the key again (keywarden import or add)"}
	}
	ts := okxTimestamp(time.Now().Add(offset))
	req, err := newRequest(okxName, op, http.MethodGet, o.base+okxConfigPath, nil)
	if err != nil {
		return KeyInfo{}, err
	}
	req.Header.Set("OK-ACCESS-KEY", creds.APIKey.Reveal())
	req.Header.Set("OK-ACCESS-TIMESTAMP", ts)
	req.Header.Set("OK-ACCESS-PASSPHRASE", creds.Passphrase.Reveal())
	req.Header.Set("OK-ACCESS-SIGN", okxSign(creds.APISecret.Reveal(), okxPrehash(ts, http.MethodGet, okxConfigPath, "")))
	req.Header.Set("Content-Type", "application/json")
	r, data, err := o.do(ctx, op, req, creds)
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeOKXKeyInfo(data)
	if err != nil {
		return KeyInfo{}, MalformedError(okxName, op, r, err)
	}
	// Set only when the correction mattered: signed by the local clock alone, the
	// request would have been rejected.
	ki.TimeCorrected = !o.Window().Accepts(offset)
	return ki, nil
}

// okxPermissions maps OKX's perm names. OKX has exactly three permissions,
// Read, Trade ("Can place and cancel orders, funding transfer, make settings
// which need write permission") and Withdraw (https://www.okx.com/docs-v5/en/,
// Overview → API key permissions).
// So trade is every write but withdrawal: every instrument type, funding
// transfer, convert, block trading (RFQ), copy trading and earn, which are
// all writes. OKX's v5 API has no P2P or pay endpoint, so nothing grants
// those.
var okxPermissions = permTable{
	"read_only": {"read"},
	"trade":     {"trade", "margin", "futures", "options", "transfer", "convert", "block_trade", "copy_trading", "earn"},
	"withdraw":  {"withdraw"},
}

// decodeOKXKeyInfo reads the data array of /api/v5/account/config.
//
// Traps: data is an array; perm is a comma list of read_only, trade,
// withdraw, and complete; a name this package does not know leaves Trade,
// Transfer and Withdraw Unknown (see permTable); ip "" means NOT bound to any IP. An
// answer without perm, or with an empty one (every key can read), is an
// error, not a key of unknown permissions. OKX reports no key creation or
// expiry time.
func decodeOKXKeyInfo(data json.RawMessage) (KeyInfo, error) {
	// Exact, case-sensitive field names (encoding/json would also match
	// "Perm" or "IP" to a struct field).
	var cfg []map[string]json.RawMessage
	if err := json.Unmarshal(data, &cfg); err != nil {
		return KeyInfo{}, err
	}
	if len(cfg) == 0 || cfg[0] == nil {
		return KeyInfo{}, errors.New("empty data array")
	}
	var c struct{ Perm, IP *string }
	for name, dst := range map[string]**string{"perm": &c.Perm, "ip": &c.IP} {
		if raw, ok := cfg[0][name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return KeyInfo{}, errors.New(name + ": " + err.Error())
			}
		}
	}
	if c.Perm == nil || strings.Trim(*c.Perm, " ,") == "" {
		return KeyInfo{}, errors.New("no perm in the answer")
	}
	var ki KeyInfo
	ki.Permissions = allNo()
	// Every OKX key can read, and this call needs only read.
	ki.Permissions.Read = Yes
	for p := range strings.SplitSeq(*c.Perm, ",") {
		if p = strings.TrimSpace(p); p != "" {
			ki.Raw = append(ki.Raw, p)
			okxPermissions.grant(&ki.Permissions, p)
		}
	}
	if c.IP != nil {
		ki.Whitelist = []string{}
		for ip := range strings.SplitSeq(*c.IP, ",") {
			if ip = strings.TrimSpace(ip); ip != "" {
				ki.Whitelist = append(ki.Whitelist, ip)
			}
		}
		ki.IPRestricted = TriOf(len(ki.Whitelist) > 0)
	}
	return ki, nil
}

// ---- error classification ----

// okxCodes are OKX's documented error codes (body "code", a string), from
// https://www.okx.com/docs-v5/en/#error-code-rest-api-public. 50100 is a
// frozen key; 50103, 50104 and 50106 are an empty key, passphrase or
// signature header.
var okxCodes = map[string]Cause{
	"50102": CauseClock, "50112": CauseClock, "50110": CauseIP, "50121": CauseIP, "50035": CauseIP,
	"50120": CausePermission, "50030": CausePermission, "50113": CauseSignature, "50106": CauseSignature,
	"50111": CauseKey, "50119": CauseKey, "50101": CauseKey, "50105": CauseKey,
	"50100": CauseKey, "50103": CauseKey, "50104": CauseKey,
	"50011": CauseRateLimit, "50061": CauseRateLimit, "50013": CauseRateLimit,
}

// do sends req and returns the data array of a code-"0" answer. OKX sends
// code as a string, with HTTP 200 for some errors (50119, 50120) and 401 for
// most authentication errors; the code decides, then the HTTP status.
// 429 is returned at once with Retry-After, never retried here.
func (o *okx) do(ctx context.Context, op string, req *http.Request, creds keystore.Item) (*Response, json.RawMessage, error) {
	r, err := Do(ctx, o.hc, okxName, op, req)
	if err != nil {
		return nil, nil, err
	}
	var env struct {
		Code json.RawMessage `json:"code"`
		Msg  string          `json:"msg"`
		Data json.RawMessage `json:"data"`
	}
	jsonErr := json.Unmarshal(r.Body, &env)
	code, codeOK := okxCode(env.Code)
	code = RedactCreds(code, creds)
	ok2xx := r.Status >= 200 && r.Status < 300
	switch {
	case jsonErr == nil && codeOK && code != "0":
		return nil, nil, StatusError(okxName, op, r, code, RedactCreds(env.Msg, creds), ClassifyCode(okxName, code))
	case !ok2xx:
		return nil, nil, StatusError(okxName, op, r, "", "", CauseNone)
	case jsonErr != nil:
		return nil, nil, MalformedError(okxName, op, r, jsonErr)
	case !codeOK || len(env.Data) == 0 || string(env.Data) == "null":
		return nil, nil, MalformedError(okxName, op, r, errors.New("no code or data in the answer"))
	}
	return r, env.Data, nil
}

// okxCode reads code, documented as a string but tolerated as a number.
func okxCode(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s), true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}
