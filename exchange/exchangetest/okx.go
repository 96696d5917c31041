package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// OKXKey is one API key the OKX fake knows, and what GET
// /api/v5/account/config says about it.
type OKXKey struct {
	APIKey     string
	Secret     string
	Passphrase string

	// Perm is the exchange's permission list: any of "read_only", "trade",
	// "withdraw". Empty means "read_only".
	Perm []string
	// IPs is the bound IP list; empty is reported as ip "" (not bound) and
	// lets every caller in. A caller outside it gets 50110.
	IPs   []string
	Label string
	UID   string // default "44705892343619584"
}

// OKX is a fake OKX v5 REST API: GET /api/v5/public/time and the signed
// GET /api/v5/account/config, /api/v5/trade/orders-history,
// /api/v5/asset/withdrawal-history and /api/v5/asset/deposit-history (one
// account's history, filled by AddOrder, AddWithdrawal, AddDeposit),
// verified as OKX does (Base64 HMAC-SHA256 of
// timestamp + METHOD + requestPath + body; ISO-8601 millisecond timestamp
// within 30 s of the server; plain passphrase).
type OKX struct {
	Base

	keys keyring[OKXKey]
	hist okxHistory
}

// okxTimeLayout is OK-ACCESS-TIMESTAMP's format.
const okxTimeLayout = "2006-01-02T15:04:05.000Z"

// NewOKX starts an OKX fake on loopback that knows keys. Close it.
func NewOKX(keys ...OKXKey) *OKX {
	f := &OKX{}
	for _, k := range keys {
		f.SetKey(k)
	}
	f.Faults.RateLimitBody = func(FaultKind) []byte {
		return []byte(`{"msg":"Too Many Requests","code":"50011"}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v5/public/time", f.serverTime)
	mux.HandleFunc("GET /api/v5/account/config", f.accountConfig)
	mux.HandleFunc("GET /api/v5/trade/orders-history", f.ordersHistory)
	mux.HandleFunc("GET /api/v5/asset/withdrawal-history", f.withdrawalHistory)
	mux.HandleFunc("GET /api/v5/asset/deposit-history", f.depositHistory)
	// A path OKX has no route for: HTTP 404 from its gateway, whose code is a
	// number, unlike the API's own string codes. OKX does not document it;
	// this is the body ccxt users were sent (github.com/ccxt/ccxt/issues/6116).
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"code":404,"data":{},"detailMsg":"No message available","msg":"Not Found"}`))
	})
	f.start(mux)
	return f
}

// SetKey adds or replaces a key (by APIKey).
func (f *OKX) SetKey(k OKXKey) {
	f.keys.put(k.APIKey, k)
}

// RemoveKey forgets a key (a revoked key then gets 50111).
func (f *OKX) RemoveKey(apiKey string) {
	f.keys.remove(apiKey)
}

func (f *OKX) serverTime(w http.ResponseWriter, _ *http.Request) {
	f.reply(w, http.StatusOK, "0", "", []map[string]string{{"ts": strconv.FormatInt(f.Now().UnixMilli(), 10)}})
}

func (f *OKX) accountConfig(w http.ResponseWriter, r *http.Request) {
	k, ok := f.verify(w, r)
	if !ok {
		return
	}
	f.reply(w, http.StatusOK, "0", "", []map[string]any{OKXAccountConfig(k)})
}

// verify authenticates r as OKX does and writes the rejection itself.
func (f *OKX) verify(w http.ResponseWriter, r *http.Request) (OKXKey, bool) {
	h := r.Header
	for _, m := range []struct{ header, code string }{
		{"OK-ACCESS-KEY", "50103"}, {"OK-ACCESS-PASSPHRASE", "50104"},
		{"OK-ACCESS-SIGN", "50106"}, {"OK-ACCESS-TIMESTAMP", "50107"},
	} {
		if h.Get(m.header) == "" {
			f.reply(w, http.StatusUnauthorized, m.code, `Request header "`+m.header+`" cannot be empty.`, []any{})
			return OKXKey{}, false
		}
	}
	k, known := f.keys.key(h.Get("OK-ACCESS-KEY"))
	if !known {
		f.reply(w, http.StatusUnauthorized, "50111", "Invalid OK-ACCESS-KEY.", []any{})
		return OKXKey{}, false
	}
	if !hmac.Equal([]byte(h.Get("OK-ACCESS-PASSPHRASE")), []byte(k.Passphrase)) {
		f.reply(w, http.StatusUnauthorized, "50105", `Request header "OK-ACCESS-PASSPHRASE" incorrect.`, []any{})
		return OKXKey{}, false
	}
	tsText := h.Get("OK-ACCESS-TIMESTAMP")
	ts, err := time.Parse(okxTimeLayout, tsText)
	if err != nil {
		f.reply(w, http.StatusUnauthorized, "50112", "Invalid OK-ACCESS-TIMESTAMP.", []any{})
		return OKXKey{}, false
	}
	if d := ts.Sub(f.Now()); d > 30*time.Second || d < -30*time.Second {
		f.reply(w, http.StatusUnauthorized, "50102", "Timestamp request expired.", []any{})
		return OKXKey{}, false
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	m := hmac.New(sha256.New, []byte(k.Secret))
	m.Write([]byte(tsText + r.Method + r.URL.RequestURI() + string(body)))
	if !hmac.Equal([]byte(base64.StdEncoding.EncodeToString(m.Sum(nil))), []byte(h.Get("OK-ACCESS-SIGN"))) {
		f.reply(w, http.StatusUnauthorized, "50113", "Invalid signature.", []any{})
		return OKXKey{}, false
	}
	if ip := f.CallerIP(r); !Allowed(ip, k.IPs) {
		f.reply(w, http.StatusUnauthorized, "50110", "Your IP "+ip.String()+" is not included in your API key's IP whitelist.", []any{})
		return OKXKey{}, false
	}
	return k, true
}

// OKXAccountConfig renders k as one element of /api/v5/account/config's
// data array, in the real shape.
func OKXAccountConfig(k OKXKey) map[string]any {
	perm := k.Perm
	if len(perm) == 0 {
		perm = []string{"read_only"}
	}
	uid := k.UID
	if uid == "" {
		uid = "44705892343619584"
	}
	return map[string]any{
		"acctLv": "2", "acctStpMode": "cancel_maker", "autoLoan": false, "ctIsoMode": "automatic",
		"enableSpotBorrow": false, "greeksType": "PA", "ip": strings.Join(k.IPs, ","), "type": "0",
		"kycLv": "3", "label": k.Label, "level": "Lv1", "levelTmp": "", "liquidationGear": "-1",
		"mainUid": uid, "mgnIsoMode": "automatic", "opAuth": "1", "perm": strings.Join(perm, ","),
		"posMode": "long_short_mode", "roleType": "0", "spotBorrowAutoRepay": false,
		"spotOffsetType": "", "spotRoleType": "0", "spotTraderInsts": []string{},
		"traderInsts": []string{}, "uid": uid,
	}
}

// reply writes OKX's envelope: code is a string, data an array.
func (f *OKX) reply(w http.ResponseWriter, status int, code, msg string, data any) {
	b, _ := json.Marshal(map[string]any{"code": code, "msg": msg, "data": data})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
