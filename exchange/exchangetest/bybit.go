package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// BybitKey is one API key the Bybit fake knows, and what GET
// /v5/user/query-api says about it.
type BybitKey struct {
	APIKey string
	Secret string

	ReadOnly bool // readOnly 1
	// Permissions as Bybit groups them, e.g.
	// {"Spot": {"SpotTrade"}, "Wallet": {"AccountTransfer", "Withdraw"}}.
	// Groups not named are reported as empty arrays.
	Permissions map[string][]string
	// IPs is the bound IP list; nil or empty is reported as ["*"] (not bound)
	// and lets every caller in. A caller outside it gets 10010.
	IPs       []string
	CreatedAt time.Time // zero: now, at construction
	// ExpiredAt zero is reported as Bybit reports an IP-bound key:
	// "1970-01-01T00:00:00Z" with deadlineDay -2.
	ExpiredAt time.Time
	Note      string
}

// BybitPermissionGroups are the groups a real answer always carries.
var BybitPermissionGroups = []string{"ContractTrade", "Spot", "Wallet", "Options", "Derivatives",
	"CopyTrading", "BlockTrade", "Exchange", "NFT", "Affiliate", "Earn"}

// Bybit is a fake Bybit v5 REST API: GET /v5/market/time and the signed
// GET /v5/user/query-api, /v5/order/history,
// /v5/asset/withdraw/query-record and /v5/asset/deposit/query-record (one
// account's history, filled by AddOrder, AddWithdrawal, AddDeposit),
// verified as Bybit does (HMAC-SHA256 hex of
// timestamp + key + recv_window + query; server_time - recv_window <=
// timestamp < server_time + 1000).
type Bybit struct {
	Base

	keys keyring[BybitKey]
	hist bybitHistory
}

// NewBybit starts a Bybit fake on loopback that knows keys. Close it.
func NewBybit(keys ...BybitKey) *Bybit {
	f := &Bybit{}
	for _, k := range keys {
		f.SetKey(k)
	}
	f.Faults.RateLimitBody = func(FaultKind) []byte {
		return fmt.Appendf(nil, `{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":%d}`, f.Now().UnixMilli())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v5/market/time", f.serverTime)
	mux.HandleFunc("GET /v5/user/query-api", f.queryAPI)
	mux.HandleFunc("GET /v5/order/history", f.orderHistory)
	mux.HandleFunc("GET /v5/asset/withdraw/query-record", f.withdrawRecords)
	mux.HandleFunc("GET /v5/asset/deposit/query-record", f.depositRecords)
	// A path Bybit has no route for: HTTP 404 with a JSON content type and
	// an empty body, no retCode (Bybit's error page lists 404 "Cannot find
	// path"; the empty body is what ccxt users see,
	// github.com/ccxt/ccxt/issues/19322).
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusNotFound)
	})
	f.start(mux)
	return f
}

// SetKey adds or replaces a key (by APIKey).
func (f *Bybit) SetKey(k BybitKey) {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	f.keys.put(k.APIKey, k)
}

// RemoveKey forgets a key (a revoked key then gets 10003).
func (f *Bybit) RemoveKey(apiKey string) {
	f.keys.remove(apiKey)
}

func (f *Bybit) serverTime(w http.ResponseWriter, _ *http.Request) {
	now := f.Now()
	f.reply(w, http.StatusOK, 0, "OK", map[string]string{
		"timeSecond": strconv.FormatInt(now.Unix(), 10),
		"timeNano":   strconv.FormatInt(now.UnixNano(), 10),
	})
}

func (f *Bybit) queryAPI(w http.ResponseWriter, r *http.Request) {
	k, ok := f.verify(w, r)
	if !ok {
		return
	}
	f.reply(w, http.StatusOK, 0, "", BybitKeyResult(k, f.Now()))
}

// verify authenticates r as Bybit does and writes the rejection itself.
func (f *Bybit) verify(w http.ResponseWriter, r *http.Request) (BybitKey, bool) {
	h := r.Header
	apiKey := h.Get("X-BAPI-API-KEY")
	k, known := f.keys.key(apiKey)
	if !known {
		f.reply(w, http.StatusUnauthorized, 10003, "API key is invalid.", struct{}{})
		return BybitKey{}, false
	}
	ts, err := strconv.ParseInt(h.Get("X-BAPI-TIMESTAMP"), 10, 64)
	sign := h.Get("X-BAPI-SIGN")
	if err != nil || sign == "" {
		f.reply(w, http.StatusOK, 10001, "params error: X-BAPI-TIMESTAMP and X-BAPI-SIGN are required", struct{}{})
		return BybitKey{}, false
	}
	recvWindow := int64(5000)
	rwText := h.Get("X-BAPI-RECV-WINDOW")
	if rwText != "" {
		if recvWindow, err = strconv.ParseInt(rwText, 10, 64); err != nil || recvWindow <= 0 {
			f.reply(w, http.StatusOK, 10001, "params error: invalid recv_window", struct{}{})
			return BybitKey{}, false
		}
	}
	server := f.Now().UnixMilli()
	if ts < server-recvWindow || ts >= server+1000 {
		f.reply(w, http.StatusOK, 10002, fmt.Sprintf("invalid request, please check your server timestamp or recv_window param. req_timestamp[%d],server_timestamp[%d],recv_window[%d]", ts, server, recvWindow), struct{}{})
		return BybitKey{}, false
	}
	payload := r.URL.RawQuery
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		payload = string(body)
	}
	origin := h.Get("X-BAPI-TIMESTAMP") + apiKey + rwText + payload
	m := hmac.New(sha256.New, []byte(k.Secret))
	m.Write([]byte(origin))
	if !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(sign)) {
		f.reply(w, http.StatusOK, 10004, "error sign! origin_string["+origin+"]", struct{}{})
		return BybitKey{}, false
	}
	if bound := bybitBound(k.IPs); len(bound) > 0 && !Allowed(f.CallerIP(r), bound) {
		f.reply(w, http.StatusOK, 10010, "Unmatched IP, please check your API key's bound IP addresses.", struct{}{})
		return BybitKey{}, false
	}
	return k, true
}

// bybitBound is the enforced IP list: "*" anywhere means not bound.
func bybitBound(ips []string) []string {
	if slices.Contains(ips, "*") {
		return nil
	}
	return ips
}

// BybitKeyResult renders k as the result object of /v5/user/query-api, in
// the real shape, as of now.
func BybitKeyResult(k BybitKey, now time.Time) map[string]any {
	perms := map[string][]string{}
	for _, g := range BybitPermissionGroups {
		perms[g] = []string{}
	}
	for g, names := range k.Permissions {
		perms[g] = append([]string{}, names...)
	}
	ips := bybitBound(k.IPs)
	if len(ips) == 0 {
		ips = []string{"*"}
	}
	readOnly := 0
	if k.ReadOnly {
		readOnly = 1
	}
	expiredAt, deadline := "1970-01-01T00:00:00Z", -2
	if !k.ExpiredAt.IsZero() {
		expiredAt = k.ExpiredAt.UTC().Format(time.RFC3339)
		deadline = int(k.ExpiredAt.Sub(now).Hours() / 24)
	}
	return map[string]any{
		"id": "16651472", "note": k.Note, "apiKey": k.APIKey, "readOnly": readOnly, "secret": "",
		"permissions": perms, "ips": ips, "type": 1, "deadlineDay": deadline,
		"expiredAt": expiredAt, "createdAt": k.CreatedAt.UTC().Format(time.RFC3339),
		"unified": 0, "uta": 1, "userID": 53888001, "inviterID": 0, "vipLevel": "No VIP",
		"mktMakerLevel": "0", "affiliateID": 0, "rsaPublicKey": "", "isMaster": true,
		"parentUid": "0", "kycLevel": "LEVEL_DEFAULT", "kycRegion": "",
	}
}

// reply writes Bybit's envelope.
func (f *Bybit) reply(w http.ResponseWriter, status, code int, msg string, result any) {
	now := f.Now().UnixMilli()
	b, _ := json.Marshal(map[string]any{
		"retCode": code, "retMsg": msg, "result": result, "retExtInfo": struct{}{}, "time": now,
	})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Bapi-Limit-Status", "9")
	w.Header().Set("X-Bapi-Limit", "10")
	w.Header().Set("X-Bapi-Limit-Reset-Timestamp", strconv.FormatInt(now+1000, 10))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
