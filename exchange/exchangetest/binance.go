package exchangetest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// BinanceKey is one API key the Binance fake knows, and what
// GET /sapi/v1/account/apiRestrictions says about it. The boolean fields are
// the exchange's own flags.
type BinanceKey struct {
	APIKey string
	Secret string

	Reading              bool // enableReading
	SpotAndMarginTrading bool // enableSpotAndMarginTrading
	Margin               bool // enableMargin (loan, repay, transfer)
	Futures              bool // enableFutures
	VanillaOptions       bool // enableVanillaOptions
	InternalTransfer     bool // enableInternalTransfer
	UniversalTransfer    bool // permitsUniversalTransfer
	Withdrawals          bool // enableWithdrawals
	FixAPITrade          bool // enableFixApiTrade
	FixReadOnly          bool // enableFixReadOnly
	PortfolioMargin      bool // enablePortfolioMarginTrading

	// Whitelist is enforced (a caller outside it gets -2015) but, as on the
	// real exchange, reported only as ipRestrict = len(Whitelist) > 0.
	Whitelist []string
	CreatedAt time.Time // createTime; zero: now, at construction
	// TradingExpiresAt is tradingAuthorityExpirationTime (older API
	// versions); zero leaves the field out, as the current API does.
	TradingExpiresAt time.Time
	// Omit lists JSON field names to leave out of the answer, to play an
	// API version that does not know them (e.g. "enableFixApiTrade").
	Omit []string
}

// Binance is a fake Binance spot REST API: GET /api/v3/time and the signed
// GET /sapi/v1/account/apiRestrictions, /api/v3/allOrders,
// /api/v3/openOrders, /api/v3/account, /sapi/v1/capital/withdraw/history
// and /sapi/v1/capital/deposit/hisrec (one account's history and
// balances, filled by AddOrder, FillOrder, SetBalance, AddWithdrawal,
// AddDeposit; Weight counts what each endpoint cost), and the USDⓈ-M
// futures routes of binance_futures.go,
// verified as Binance does (HMAC-SHA256
// of the query string without signature, hex, case-insensitive; timestamp
// not ≥ 1000 ms ahead of the server and not more than recvWindow behind).
type Binance struct {
	Base

	keys keyring[BinanceKey]
	hist binanceHistory

	weightMu sync.Mutex
	weight   map[string]int64 // REQUEST_WEIGHT spent, by path
	fut      binanceFutures
}

// NewBinance starts a Binance fake on loopback that knows keys. Close it.
func NewBinance(keys ...BinanceKey) *Binance {
	f := &Binance{}
	for _, k := range keys {
		f.SetKey(k)
	}
	f.Faults.RateLimitBody = func(k FaultKind) []byte {
		if k == Banned {
			return []byte(`{"code":-1003,"msg":"Way too much request weight used; IP banned until 1764086400000. Please use WebSocket Streams for live updates to avoid bans."}`)
		}
		return []byte(`{"code":-1003,"msg":"Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API."}`)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v3/time", f.weigh("/api/v3/time", f.serverTime))
	mux.HandleFunc("GET /sapi/v1/account/apiRestrictions", f.apiRestrictions)
	mux.HandleFunc("GET /api/v3/allOrders", f.weigh("/api/v3/allOrders", f.allOrders))
	mux.HandleFunc("GET /api/v3/account", f.weigh("/api/v3/account", f.account))
	mux.HandleFunc("GET /api/v3/openOrders", f.weigh("/api/v3/openOrders", f.openOrders))
	mux.HandleFunc("GET /sapi/v1/capital/withdraw/history", f.withdrawHistory)
	mux.HandleFunc("GET /sapi/v1/capital/deposit/hisrec", f.depositHistory)
	f.futuresRoutes(mux)
	mux.HandleFunc("/", binanceNotFound)
	f.start(mux)
	return f
}

// SetKey adds or replaces a key (by APIKey).
func (f *Binance) SetKey(k BinanceKey) {
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now()
	}
	f.keys.put(k.APIKey, k)
}

// RemoveKey forgets a key (a revoked key then gets -2015).
func (f *Binance) RemoveKey(apiKey string) {
	f.keys.remove(apiKey)
}

func (f *Binance) serverTime(w http.ResponseWriter, _ *http.Request) {
	f.reply(w, http.StatusOK, map[string]int64{"serverTime": f.Now().UnixMilli()})
}

func (f *Binance) apiRestrictions(w http.ResponseWriter, r *http.Request) {
	k, ok := f.verify(w, r)
	if !ok {
		return
	}
	f.reply(w, http.StatusOK, binanceRestrictions(k))
}

// verify authenticates r as Binance does and writes the rejection itself.
func (f *Binance) verify(w http.ResponseWriter, r *http.Request) (BinanceKey, bool) {
	apiKey := r.Header.Get("X-MBX-APIKEY")
	if apiKey == "" || strings.ContainsAny(apiKey, " \t") {
		f.fail(w, http.StatusUnauthorized, -2014, "API-key format invalid.")
		return BinanceKey{}, false
	}
	k, known := f.keys.key(apiKey)
	if !known || !Allowed(f.CallerIP(r), k.Whitelist) {
		f.fail(w, http.StatusUnauthorized, -2015, "Invalid API-key, IP, or permissions for action.")
		return BinanceKey{}, false
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	// totalParams: the query string as sent, without the signature parameter,
	// concatenated to the body.
	var params []string
	signature := ""
	for p := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if v, isSig := strings.CutPrefix(p, "signature="); isSig {
			signature = v
			continue
		}
		params = append(params, p)
	}
	q := r.URL.Query()
	ts, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
	if err != nil {
		f.fail(w, http.StatusBadRequest, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
		return BinanceKey{}, false
	}
	recvWindow := 5000.0
	if s := q.Get("recvWindow"); s != "" {
		if recvWindow, err = strconv.ParseFloat(s, 64); err != nil || recvWindow <= 0 || recvWindow > 60000 {
			f.fail(w, http.StatusBadRequest, -1131, "recvWindow must be less than 60000")
			return BinanceKey{}, false
		}
	}
	if signature == "" {
		f.fail(w, http.StatusBadRequest, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
		return BinanceKey{}, false
	}
	m := hmac.New(sha256.New, []byte(k.Secret))
	m.Write([]byte(strings.Join(params, "&")))
	m.Write(body)
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(signature))) {
		f.fail(w, http.StatusBadRequest, -1022, "Signature for this request is not valid.")
		return BinanceKey{}, false
	}
	server := f.Now().UnixMilli()
	switch {
	case ts >= server+1000:
		f.fail(w, http.StatusBadRequest, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
		return BinanceKey{}, false
	case float64(server-ts) > recvWindow:
		f.fail(w, http.StatusBadRequest, -1021, "Timestamp for this request is outside of the recvWindow.")
		return BinanceKey{}, false
	}
	return k, true
}

// binanceRestrictions renders k in the real apiRestrictions shape, fields in
// the documented order.
func binanceRestrictions(k BinanceKey) json.RawMessage {
	fields := []struct {
		name  string
		value any
	}{
		{"ipRestrict", len(k.Whitelist) > 0},
		{"createTime", k.CreatedAt.UnixMilli()},
		{"enableReading", k.Reading},
		{"enableWithdrawals", k.Withdrawals},
		{"enableInternalTransfer", k.InternalTransfer},
		{"enableMargin", k.Margin},
		{"enableFutures", k.Futures},
		{"permitsUniversalTransfer", k.UniversalTransfer},
		{"enableVanillaOptions", k.VanillaOptions},
		{"enableFixApiTrade", k.FixAPITrade},
		{"enableFixReadOnly", k.FixReadOnly},
		{"enableSpotAndMarginTrading", k.SpotAndMarginTrading},
		{"enablePortfolioMarginTrading", k.PortfolioMargin},
	}
	if !k.TradingExpiresAt.IsZero() {
		fields = append(fields, struct {
			name  string
			value any
		}{"tradingAuthorityExpirationTime", k.TradingExpiresAt.UnixMilli()})
	}
	var sb strings.Builder
	sb.WriteByte('{')
	first := true
	for _, fl := range fields {
		if slices.Contains(k.Omit, fl.name) {
			continue
		}
		if !first {
			sb.WriteByte(',')
		}
		first = false
		v, _ := json.Marshal(fl.value)
		sb.WriteString(strconv.Quote(fl.name) + ":" + string(v))
	}
	sb.WriteByte('}')
	return json.RawMessage(sb.String())
}

// binanceNotFoundPage stands for the HTML page Binance's front end serves
// for a path no API has (HTTP 404, text/html, no code/msg JSON; seen by
// ccxt users, github.com/ccxt/ccxt/issues/18797, and ExchangeSharp's,
// github.com/DigitalRuby/ExchangeSharp/issues/604).
const binanceNotFoundPage = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="UTF-8" /><title>Binance</title></head>
<body><div class="not-fount-container"><p>Sorry! The page you're looking for cannot be found.</p></div></body>
</html>
`

func binanceNotFound(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write([]byte(binanceNotFoundPage))
}

func (f *Binance) fail(w http.ResponseWriter, status, code int, msg string) {
	f.reply(w, status, map[string]any{"code": code, "msg": msg})
}

func (f *Binance) reply(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.Header().Set("X-MBX-USED-WEIGHT-1M", "1")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
