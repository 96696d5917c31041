package exchange

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// Bybit v5 REST API (api.bybit.com): GET /v5/market/time and the signed
// GET /v5/user/query-api. Facts: shared/reference/exchanges.md §2.

const bybitName = "bybit"

// bybitRecvWindow is sent with every signed request (the exchange default).
const bybitRecvWindow = 5000 * time.Millisecond

var bybitInfo = Info{
	Name:       bybitName,
	DefaultURL: "https://api.bybit.com",
	Hosts: []Host{
		{"testnet", "https://api-testnet.bybit.com"},
		{"alternate host api.bytick.com", "https://api.bytick.com"},
	},
	APIPage:    "Bybit → Account → API",
	APIPageURL: "https://www.bybit.com/app/user/api-management",
	// SpotTrade covers spot margin: a bot that needs trade cannot shed it.
	BundledWithTrade: []string{"margin"},
	codes:            bybitCodes,
	perms:            bybitGrants,
	newClient: func(baseURL string, hc *http.Client) Client {
		return &bybit{base: baseURL, hc: hc}
	},
}

type bybit struct {
	base string
	hc   *http.Client
}

func (b *bybit) Exchange() string { return bybitName }
func (b *bybit) BaseURL() string  { return b.base }

// Window: server_time - recv_window <= timestamp < server_time + 1000.
func (b *bybit) Window() Window { return Window{Behind: bybitRecvWindow, Ahead: time.Second} }

// ---- signing ----

// bybitPrehash is the string Bybit signs: timestamp + api key + recv window
// + the query string (GET) or the JSON body (POST).
func bybitPrehash(timestamp, apiKey, recvWindow, payload string) string {
	return timestamp + apiKey + recvWindow + payload
}

// bybitSign is HMAC-SHA256 of the prehash string, lower-case hex.
func bybitSign(secret, prehash string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(prehash))
	return hex.EncodeToString(m.Sum(nil))
}

// ---- server time ----

func (b *bybit) ServerTime(ctx context.Context) (TimeSample, error) {
	const op = "server time"
	req, err := newRequest(bybitName, op, http.MethodGet, b.base+"/v5/market/time", nil)
	if err != nil {
		return TimeSample{}, err
	}
	r, result, err := b.do(ctx, op, req, keystore.Item{})
	if err != nil {
		return TimeSample{}, err
	}
	server, err := decodeBybitTime(result)
	if err != nil {
		return TimeSample{}, MalformedError(bybitName, op, r, err)
	}
	return TimeSample{Server: server, Sent: r.Sent, Received: r.Received}, nil
}

// decodeBybitTime reads result.timeNano (a string of nanoseconds), falling
// back to result.timeSecond (a string of seconds).
func decodeBybitTime(result json.RawMessage) (time.Time, error) {
	var t struct {
		TimeSecond string `json:"timeSecond"`
		TimeNano   string `json:"timeNano"`
	}
	if err := json.Unmarshal(result, &t); err != nil {
		return time.Time{}, err
	}
	if n, err := strconv.ParseInt(t.TimeNano, 10, 64); err == nil && n > 0 {
		return time.Unix(0, n), nil
	}
	if s, err := strconv.ParseInt(t.TimeSecond, 10, 64); err == nil && s > 0 {
		return time.Unix(s, 0), nil
	}
	return time.Time{}, errors.New("no timeNano or timeSecond in the answer")
}

// ---- key info ----

func (b *bybit) KeyInfo(ctx context.Context, creds keystore.Item, offset time.Duration) (KeyInfo, error) {
	const op = "key info"
	if creds.APIKey.Empty() || creds.APISecret.Empty() {
		return KeyInfo{}, &Error{Exchange: bybitName, Op: op, Cause: CauseKey,
			Message: "api key or secret is empty: store the key again (keywarden import or add)"}
	}
	ts := strconv.FormatInt(time.Now().Add(offset).UnixMilli(), 10)
	rw := strconv.FormatInt(bybitRecvWindow.Milliseconds(), 10)
	req, err := newRequest(bybitName, op, http.MethodGet, b.base+"/v5/user/query-api", nil)
	if err != nil {
		return KeyInfo{}, err
	}
	req.Header.Set("X-BAPI-API-KEY", creds.APIKey.Reveal())
	req.Header.Set("X-BAPI-TIMESTAMP", ts)
	req.Header.Set("X-BAPI-RECV-WINDOW", rw)
	req.Header.Set("X-BAPI-SIGN-TYPE", "2")
	req.Header.Set("X-BAPI-SIGN", bybitSign(creds.APISecret.Reveal(), bybitPrehash(ts, creds.APIKey.Reveal(), rw, "")))
	r, result, err := b.do(ctx, op, req, creds)
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeBybitKeyInfo(result)
	if err != nil {
		return KeyInfo{}, MalformedError(bybitName, op, r, err)
	}
	// Set only when the correction mattered: signed by the local clock alone, the
	// request would have been rejected.
	ki.TimeCorrected = !b.Window().Accepts(offset)
	return ki, nil
}

// bybitGrants is what each Bybit permission, as "Group.Name", grants
// (capabilities as in Permissions.Get). Every name the v5 docs list is
// here, with the older spellings still seen in answers; nil means the docs
// show it grants nothing that moves value. Sources:
// https://bybit-exchange.github.io/docs/v5/user/apikey-info (names and what
// each group is the permission of), .../v5/user/modify-master-apikey,
// .../v5/asset/convert/guideline ("API key permission: Exchange"),
// .../v5/copytrade ("Contract - Orders & Positions" are mandatory for copy
// trading orders), .../v5/bybit-card/* (card endpoints only query records
// and points). Those grants are cut to No on a read-only key, except
// withdraw: a contradictory answer must never read as "withdrawals off".
// Any other name leaves Trade, Transfer and Withdraw Unknown (see permTable).
var bybitGrants = permTable{
	"ContractTrade.Order":    {"futures"},
	"ContractTrade.Position": {"futures"},
	// "Permission of Unified account": derivatives trading in a UTA.
	"Derivatives.DerivativesTrade": {"futures"},
	// "Permission of USDC Contract. It supports trade option and USDC perpetual."
	"Options.OptionsTrade": {"options", "futures"},
	// No separate margin permission; crypto loans need "Spot trade" too.
	"Spot.SpotTrade":               {"trade", "margin"},
	"Wallet.AccountTransfer":       {"transfer"},
	"Wallet.SubMemberTransfer":     {"transfer"},
	"Wallet.SubMemberTransferList": {"transfer"},
	"Wallet.Withdraw":              {"withdraw"},
	// "Permission of convert": every convert endpoint needs it.
	"Exchange.ExchangeHistory": {"convert"},
	"Earn.Earn":                {"earn"},
	"FiatP2P.FiatP2POrder":     {"p2p"},
	"FiatP2P.Advertising":      {"p2p"},
	// The docs' table names the group FiatBybitPay on the site and
	// FiatBitPay in the example and the modify endpoint; FaitPayOrder is sic.
	"FiatBitPay.FaitPayOrder":                  {"pay"},
	"FiatBybitPay.FaitPayOrder":                {"pay"},
	"FiatConvertBroker.FiatConvertBrokerOrder": {"convert"},
	"FiatConvertBroker.FiatConvertBroker":      {"convert"}, // older spelling
	"BlockTrade.BlockTrade":                    {"block_trade"},
	// Deprecated (always [] now); a key that still shows it copy-trades
	// USDT perpetuals.
	"CopyTrading.CopyTrading": {"copy_trading", "futures"},
	"BitCard.BitCard":         nil,
	"ByXPost.ByXPost":         nil,
	"Affiliate.Affiliate":     nil,
	"NFT.NFTQueryProductList": nil, // deprecated
}

// bybitDeciding names, per capability, the groups that must all be present
// in the answer before it may read No (on a writable key): a group the
// answer leaves out says nothing about what it would hold. "A|B" is one
// group under either of its documented names.
var bybitDeciding = map[string][]string{
	"trade": {"Spot"}, "margin": {"Spot"},
	"futures": {"ContractTrade", "Derivatives", "Options", "CopyTrading"},
	"options": {"Options"}, "transfer": {"Wallet"}, "withdraw": {"Wallet"},
	"convert": {"Exchange", "FiatConvertBroker"}, "block_trade": {"BlockTrade"},
	// Copy-trading orders are ContractTrade orders on a master trader's
	// account (see bybitGrants).
	"copy_trading": {"CopyTrading", "ContractTrade"},
	"p2p":          {"FiatP2P"}, "pay": {"FiatBitPay|FiatBybitPay"}, "earn": {"Earn"},
}

// bybitGroupDecides is bybitDeciding inverted, plus FiatGlobalPay (in the
// docs' example, never described): a name no table knows inside a group
// also leaves what that group decides Unknown.
var bybitGroupDecides = func() map[string][]string {
	m := map[string][]string{"FiatGlobalPay": {"pay"}}
	for capability, groups := range bybitDeciding {
		for _, g := range groups {
			for alt := range strings.SplitSeq(g, "|") {
				m[alt] = append(m[alt], capability)
			}
		}
	}
	return m
}()

// decodeBybitKeyInfo reads the result object of /v5/user/query-api.
//
// Traps: ips ["*"] (or none) means the key is NOT bound to an IP; expiredAt
// 1970-01-01 means no expiry; withdrawal is "Withdraw" inside
// permissions.Wallet; readOnly 1 makes every write permission No. A
// "Withdraw" on a read-only key is still reported Yes: a contradictory
// answer must never read as "withdrawals off". A permission group the
// answer leaves out makes what it decides Unknown; a permission name this
// package does not know leaves Trade, Transfer, Withdraw and what its group
// decides Unknown, and is named in Unrecognized. An answer with neither
// permissions nor readOnly is an error.
func decodeBybitKeyInfo(result json.RawMessage) (KeyInfo, error) {
	// Exact, case-sensitive field names: encoding/json would also match
	// "Permissions" or "IPS" to a struct field, and a payload holding both
	// spellings could then hide a "Withdraw".
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(result, &fields); err != nil {
		return KeyInfo{}, err
	}
	if fields == nil {
		return KeyInfo{}, errors.New("result is null, not an object")
	}
	var k struct {
		ReadOnly    *int
		Permissions *map[string][]string
		IPs         *[]string
		CreatedAt   string
		ExpiredAt   string
	}
	for name, dst := range map[string]any{"readOnly": &k.ReadOnly, "permissions": &k.Permissions,
		"ips": &k.IPs, "createdAt": &k.CreatedAt, "expiredAt": &k.ExpiredAt} {
		if raw, ok := fields[name]; ok {
			if err := json.Unmarshal(raw, dst); err != nil {
				return KeyInfo{}, errors.New(name + ": " + err.Error())
			}
		}
	}
	if k.Permissions == nil && k.ReadOnly == nil {
		return KeyInfo{}, errors.New("no permissions or readOnly in the answer")
	}
	var ki KeyInfo
	// Any key may call query-api, and every Bybit key can read.
	ki.Permissions.Read = Yes

	writable := Unknown
	if k.ReadOnly != nil {
		switch *k.ReadOnly {
		case 0:
			writable = Yes
		case 1:
			writable = No
		}
	}
	if k.Permissions != nil {
		perms := *k.Permissions
		for name, groups := range bybitDeciding {
			// A group sent as null says no more than one left out.
			present := !slices.ContainsFunc(groups, func(g string) bool {
				return !slices.ContainsFunc(strings.Split(g, "|"), func(alt string) bool { return perms[alt] != nil })
			})
			// A read-only key can do nothing but read, whatever groups it lists.
			if present || (writable == No && name != "withdraw") {
				*ki.Permissions.field(name) = No
			}
		}
		groups := make([]string, 0, len(perms))
		for g := range perms {
			groups = append(groups, g)
		}
		slices.Sort(groups)
		for _, g := range groups {
			for _, n := range perms[g] {
				ki.Raw = append(ki.Raw, g+"."+n)
				grants, known := bybitGrants[g+"."+n]
				if !known {
					unrecognisedPermission(&ki.Permissions, g+"."+n)
					for _, name := range bybitGroupDecides[g] {
						ki.Permissions.field(name).raise(Unknown)
					}
				}
				for _, name := range grants {
					v := writable
					if name == "withdraw" {
						v = Yes
					}
					ki.Permissions.field(name).raise(v)
				}
				// On a master trader's account these place copy-trading
				// orders; the answer does not say whether it is one.
				if g == "ContractTrade" && n == "Order" && writable != No {
					ki.Permissions.CopyTrading.raise(Unknown)
				}
			}
		}
	}
	if k.ReadOnly != nil && *k.ReadOnly == 1 {
		ki.Raw = append(ki.Raw, "readOnly")
	}
	if k.IPs != nil {
		ki.Whitelist = []string{}
		bound := true
		for _, entry := range *k.IPs {
			for ip := range strings.SplitSeq(entry, ",") {
				ip = strings.TrimSpace(ip)
				switch ip {
				case "":
				case "*":
					bound = false
				default:
					ki.Whitelist = append(ki.Whitelist, ip)
				}
			}
		}
		if !bound {
			ki.Whitelist = []string{}
		}
		ki.IPRestricted = TriOf(len(ki.Whitelist) > 0)
	}
	var err error
	if ki.CreatedAt, err = bybitTime(k.CreatedAt); err != nil {
		return KeyInfo{}, errors.New("createdAt: " + err.Error())
	}
	if ki.ExpiresAt, err = bybitTime(k.ExpiredAt); err != nil {
		return KeyInfo{}, errors.New("expiredAt: " + err.Error())
	}
	return ki, nil
}

// bybitTime parses an ISO-8601 datetime; empty or the 1970 sentinel ("no
// expiry") is the zero time. Anything else unparsable is an error: read as
// "no expiry" it would hide a key about to expire.
func bybitTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, errors.New("not an ISO-8601 time")
	}
	if t.Unix() <= 0 {
		return time.Time{}, nil
	}
	return t.UTC(), nil
}

// ---- error classification ----

// bybitCodes are Bybit's documented error codes (body "retCode"), from
// https://bybit-exchange.github.io/docs/v5/error. 10009 ("IP has been
// banned") is the ban that follows too many requests.
var bybitCodes = map[string]Cause{
	"10002": CauseClock, "10010": CauseIP, "10005": CausePermission, "10004": CauseSignature,
	"10003": CauseKey, "10007": CauseKey, "33004": CauseKey, "10006": CauseRateLimit,
	"10018": CauseRateLimit, "10009": CauseRateLimit,
}

// bybitEnvelope is every v5 answer: retCode 0 is success.
type bybitEnvelope struct {
	RetCode *json.Number    `json:"retCode"`
	RetMsg  string          `json:"retMsg"`
	Result  json.RawMessage `json:"result"`
}

// do sends req and returns the result object of a retCode-0 answer. A
// non-zero retCode (Bybit sends most errors with HTTP 200) is classified by
// code first, then by HTTP status; 403 without a code is Bybit's IP rate
// limit. 418/429/403 are returned at once, never retried here.
func (b *bybit) do(ctx context.Context, op string, req *http.Request, creds keystore.Item) (*Response, json.RawMessage, error) {
	r, err := Do(ctx, b.hc, bybitName, op, req)
	if err != nil {
		return nil, nil, err
	}
	var env bybitEnvelope
	jsonErr := json.Unmarshal(r.Body, &env)
	ok2xx := r.Status >= 200 && r.Status < 300
	switch {
	case jsonErr == nil && env.RetCode != nil && env.RetCode.String() != "0":
		code := env.RetCode.String()
		return nil, nil, StatusError(bybitName, op, r, code, RedactCreds(env.RetMsg, creds), ClassifyCode(bybitName, code))
	case !ok2xx:
		cause := CauseNone
		msg := ""
		switch r.Status {
		case http.StatusUnauthorized:
			cause, msg = CauseKey, "api key rejected or authentication headers missing"
		case http.StatusForbidden:
			cause, msg = CauseRateLimit, "access too frequent (IP limit: wait at least 10 minutes) or this region is blocked"
		}
		return nil, nil, StatusError(bybitName, op, r, "", msg, cause)
	case jsonErr != nil:
		return nil, nil, MalformedError(bybitName, op, r, jsonErr)
	case env.RetCode == nil || len(env.Result) == 0 || string(env.Result) == "null":
		return nil, nil, MalformedError(bybitName, op, r, errors.New("no retCode or result in the answer"))
	}
	return r, env.Result, nil
}
