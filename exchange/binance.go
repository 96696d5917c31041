package exchange

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Binance spot REST API (api.binance.com): GET /api/v3/time and the signed
// GET /sapi/v1/account/apiRestrictions. Facts: shared/reference/exchanges.md §1.

const binanceName = "binance"

// binanceRecvWindow is sent with every signed request (it is the exchange's
// default), so Window reports exactly what the exchange applies.
const binanceRecvWindow = 5000 * time.Millisecond

var binanceInfo = Info{
	Name:       binanceName,
	DefaultURL: "https://api.binance.com",
	Hosts:      []Host{{"spot testnet", "https://testnet.binance.vision"}},
	APIPage:    "Binance → Account → API Management",
	APIPageURL: "https://www.binance.com/en/my/settings/api-management",
	codes:      binanceCodes,
	newClient: func(baseURL string, hc *http.Client) Client {
		return &binance{base: baseURL, hc: hc}
	},
}

type binance struct {
	base string
	hc   *http.Client
}

func (b *binance) Exchange() string { return binanceName }
func (b *binance) BaseURL() string  { return b.base }

// Window is asymmetric: Binance accepts a timestamp up to recvWindow behind
// its clock but rejects one 1000 ms or more ahead of it.
func (b *binance) Window() Window { return Window{Behind: binanceRecvWindow, Ahead: time.Second} }

// ---- signing ----

// binanceSign is the HMAC-SHA256 signature of payload (the query string
// concatenated to the request body, both exactly as sent), lower-case hex.
func binanceSign(secret, payload string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(payload))
	return hex.EncodeToString(m.Sum(nil))
}

// binanceQuery builds a query string from name, value pairs in the given
// order, percent-encoding each (Binance signs the encoded form, so non-ASCII
// values must be encoded before signing).
func binanceQuery(kv ...string) string {
	var sb strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			sb.WriteByte('&')
		}
		sb.WriteString(url.QueryEscape(kv[i]))
		sb.WriteByte('=')
		sb.WriteString(url.QueryEscape(kv[i+1]))
	}
	return sb.String()
}

// ---- server time ----

func (b *binance) ServerTime(ctx context.Context) (TimeSample, error) {
	const op = "server time"
	req, err := newRequest(binanceName, op, http.MethodGet, b.base+"/api/v3/time", nil)
	if err != nil {
		return TimeSample{}, err
	}
	r, err := b.do(ctx, op, req, keystore.Item{})
	if err != nil {
		return TimeSample{}, err
	}
	var body struct {
		ServerTime *int64 `json:"serverTime"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		return TimeSample{}, MalformedError(binanceName, op, r, err)
	}
	if body.ServerTime == nil || *body.ServerTime <= 0 {
		return TimeSample{}, MalformedError(binanceName, op, r, errors.New("no serverTime in the answer"))
	}
	return TimeSample{Server: time.UnixMilli(*body.ServerTime), Sent: r.Sent, Received: r.Received}, nil
}

// ---- key info ----

func (b *binance) KeyInfo(ctx context.Context, creds keystore.Item, offset time.Duration) (KeyInfo, error) {
	const op = "key info"
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return KeyInfo{}, &Error{Exchange: binanceName, Op: op, Cause: CauseKey,
			Message: "api key or secret is empty: store the key again (keywarden import or add)"}
	}
	ts := time.Now().Add(offset).UnixMilli()
	q := binanceQuery("recvWindow", strconv.FormatInt(binanceRecvWindow.Milliseconds(), 10),
		"timestamp", strconv.FormatInt(ts, 10))
	q += "&signature=" + binanceSign(creds.APISecret.Reveal(), q)
	req, err := newRequest(binanceName, op, http.MethodGet, b.base+"/sapi/v1/account/apiRestrictions?"+q, nil)
	if err != nil {
		return KeyInfo{}, err
	}
	req.Header.Set("X-MBX-APIKEY", creds.APIKey.Reveal())
	r, err := b.do(ctx, op, req, creds)
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeBinanceKeyInfo(r.Body)
	if err != nil {
		return KeyInfo{}, MalformedError(binanceName, op, r, err)
	}
	// Set only when the correction mattered: signed by the local clock alone, the
	// request would have been rejected.
	ki.TimeCorrected = !b.Window().Accepts(offset)
	return ki, nil
}

// binancePermission maps one common permission to apiRestrictions fields:
// the primary field decides Yes/No, and any of the extra fields being true
// upgrades the result to Yes (they grant the same power by another route,
// e.g. trading over FIX). No needs every one of them present and false: a
// missing field is Unknown, never false.
type binancePermission struct {
	primary string
	extra   []string
}

var binancePermissions = struct {
	read, trade, margin, futures, options, transfer, withdraw binancePermission
}{
	read:  binancePermission{"enableReading", []string{"enableFixReadOnly"}},
	trade: binancePermission{"enableSpotAndMarginTrading", []string{"enableFixApiTrade"}},
	// Margin is enableMargin ("Enable Margin Loan, Repay & Transfer"), not
	// enableSpotAndMarginTrading: that checkbox is every trading key's, and
	// without loans a margin order cannot borrow. Portfolio margin trading
	// does trade on margin.
	margin:  binancePermission{"enableMargin", []string{"enablePortfolioMarginTrading"}},
	futures: binancePermission{"enableFutures", []string{"enablePortfolioMarginTrading"}},
	options: binancePermission{"enableVanillaOptions", nil},
	// Transfer between own accounts: either route counts.
	transfer: binancePermission{"enableInternalTransfer", []string{"permitsUniversalTransfer"}},
	withdraw: binancePermission{"enableWithdrawals", nil},
}

// binanceUngoverned are the value-moving capabilities no apiRestrictions
// flag governs: convert, block trade, copy trading, P2P, Pay and earn. The
// documented flags (https://developers.binance.com/docs/wallet/account/api-key-permission)
// are read, withdrawals, internal transfer, margin loans, futures,
// universal transfer, vanilla options, FIX trade and read, spot and margin
// trading, and portfolio margin; the docs do not say that any of these six
// comes with spot trading (Convert API access is granted by application,
// https://developers.binance.com/docs/convert/Introduction; Binance Pay's
// own API uses merchant keys), so what a key can do there is Unknown.
var binanceUngoverned = []string{"convert", "block_trade", "copy_trading", "p2p", "pay", "earn"}

// binanceOtherFields are the documented apiRestrictions fields that are no
// permission flag.
var binanceOtherFields = []string{"ipRestrict", "createTime", "tradingAuthorityExpirationTime"}

// fields lists every apiRestrictions field p reads.
func (p binancePermission) fields() []string { return append([]string{p.primary}, p.extra...) }

// tri judges p from the boolean fields present in an answer.
func (p binancePermission) tri(flags map[string]bool) Tri {
	verdict := No
	for _, f := range p.fields() {
		v, ok := flags[f]
		switch {
		case ok && v:
			return Yes
		case !ok:
			verdict = Unknown
		}
	}
	return verdict
}

// decodeBinanceKeyInfo reads an apiRestrictions body. Binance's booleans may
// be missing (older or newer API versions): a missing field is Unknown, never
// false, and an answer without any permission field is an error. A true
// flag this package does not know is named in Unrecognized and leaves
// trade, transfer and withdraw Unknown. There is no IP list (Whitelist
// stays nil), only ipRestrict.
func decodeBinanceKeyInfo(body []byte) (KeyInfo, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil {
		return KeyInfo{}, err
	}
	if fields == nil {
		return KeyInfo{}, errors.New("answer is null, not an object")
	}
	if _, isErr := fields["code"]; isErr {
		return KeyInfo{}, errors.New("answer is an error object, not key permissions")
	}
	flags := map[string]bool{}
	for name, raw := range fields {
		var v *bool
		if json.Unmarshal(raw, &v) == nil && v != nil {
			flags[name] = *v
		}
	}
	bp := binancePermissions
	all := []binancePermission{bp.read, bp.trade, bp.margin, bp.futures, bp.options, bp.transfer, bp.withdraw}
	if !slices.ContainsFunc(all, func(p binancePermission) bool {
		return slices.ContainsFunc(p.fields(), func(f string) bool { _, ok := flags[f]; return ok })
	}) {
		return KeyInfo{}, errors.New("no permission flags in the answer")
	}
	var ki KeyInfo
	ki.Permissions = Permissions{
		Read: bp.read.tri(flags), Trade: bp.trade.tri(flags), Margin: bp.margin.tri(flags),
		Futures: bp.futures.tri(flags), Options: bp.options.tri(flags),
		Transfer: bp.transfer.tri(flags), Withdraw: bp.withdraw.tri(flags),
	}
	for _, c := range binanceUngoverned {
		*ki.Permissions.field(c) = Unknown
	}
	// A flag this package does not know, set true, grants something nobody
	// mapped (see unrecognisedPermission). Sorted: the report names them in
	// a stable order.
	var unknown []string
	for name, v := range flags {
		known := slices.Contains(binanceOtherFields, name) ||
			slices.ContainsFunc(all, func(p binancePermission) bool { return slices.Contains(p.fields(), name) })
		if v && !known {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		unrecognisedPermission(&ki.Permissions, name)
	}
	if v, ok := flags["ipRestrict"]; ok {
		ki.IPRestricted = TriOf(v)
	}
	var err error
	if ki.CreatedAt, err = binanceMillis(fields["createTime"]); err != nil {
		return KeyInfo{}, errors.New("createTime: " + err.Error())
	}
	if ki.ExpiresAt, err = binanceMillis(fields["tradingAuthorityExpirationTime"]); err != nil {
		return KeyInfo{}, errors.New("tradingAuthorityExpirationTime: " + err.Error())
	}
	if !ki.ExpiresAt.IsZero() {
		// The key stays; its spot and margin trading right lapses.
		ki.ExpiresWhat = "trading permission"
	}
	for name, v := range flags {
		if v && name != "ipRestrict" {
			ki.Raw = append(ki.Raw, name)
		}
	}
	slices.Sort(ki.Raw)
	return ki, nil
}

// binanceMillis reads an optional millisecond timestamp; absent, null or
// non-positive is the zero time.
func binanceMillis(raw json.RawMessage) (time.Time, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return time.Time{}, nil
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return time.Time{}, err
	}
	ms, err := n.Int64()
	if err != nil {
		return time.Time{}, err
	}
	if ms <= 0 {
		return time.Time{}, nil
	}
	return time.UnixMilli(ms).UTC(), nil
}

// ---- error classification ----

// binanceCodes are Binance's documented error codes (body "code"), from
// https://developers.binance.com/docs/binance-spot-api-docs/errors.
// -1002 ("You are not authorized to execute this request") is what a key
// without the margin, withdrawal or convert permission gets; -1099 names no
// single cause.
var binanceCodes = map[string]Cause{
	"-1021": CauseClock, "-1022": CauseSignature, "-2014": CauseKey, "-2008": CauseKey,
	"-2015": CauseAmbiguousAuth, "-1099": CauseAmbiguousAuth, "-1002": CausePermission,
	"-1003": CauseRateLimit, "-1015": CauseRateLimit, "-1008": CauseServer,
}

// do sends req and turns a non-2xx answer into a classified *Error: the body
// code ({"code":-1021,"msg":"..."}) first, then the HTTP status. 418 and 429
// are returned at once with Retry-After, never retried here.
func (b *binance) do(ctx context.Context, op string, req *http.Request, creds keystore.Item) (*Response, error) {
	r, err := Do(ctx, b.hc, binanceName, op, req)
	if err != nil {
		return nil, err
	}
	code, msg := binanceErrorBody(r.Body)
	if r.Status >= 200 && r.Status < 300 && code == "" {
		return r, nil
	}
	msg = RedactCreds(msg, creds)
	cause := ClassifyCode(binanceName, code)
	if cause == CauseNone && r.Status == http.StatusForbidden {
		msg = "request blocked by the exchange's web application firewall"
	}
	return nil, StatusError(binanceName, op, r, code, msg, cause)
}

// binanceErrorBody extracts code and msg from an error body; "" when the body
// is not Binance's error JSON (an HTML page from a load balancer, say).
func binanceErrorBody(body []byte) (code, msg string) {
	var e struct {
		Code json.Number `json:"code"`
		Msg  string      `json:"msg"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if dec.Decode(&e) != nil {
		return "", ""
	}
	return e.Code.String(), e.Msg
}
