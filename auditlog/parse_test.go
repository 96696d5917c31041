package auditlog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange"
)

// exchangeError is one documented error of an exchange (shared/reference/
// exchanges.md), as the exchange sends it.
type exchangeError struct {
	exchange string
	code     string // "" when the exchange has none (Coinbase)
	status   int    // HTTP status it comes with, 0 when 200 or unknown
	msg      string
	cause    exchange.Cause
}

var exchangeErrors = []exchangeError{
	{"binance", "-1021", 400, "Timestamp for this request is outside of the recvWindow.", exchange.CauseClock},
	{"binance", "-1021", 400, "Timestamp for this request was 1000ms ahead of the server's time.", exchange.CauseClock},
	{"binance", "-1022", 400, "Signature for this request is not valid.", exchange.CauseSignature},
	{"binance", "-2014", 401, "API-key format invalid.", exchange.CauseKey},
	{"binance", "-2015", 401, "Invalid API-key, IP, or permissions for action.", exchange.CauseAmbiguousAuth},
	{"binance", "-1003", 429, "Too much request weight used; current limit is 6000 request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.", exchange.CauseRateLimit},
	{"bybit", "10002", 0, "invalid request, please check your server timestamp or recv_window param. req_timestamp[1706972576658],server_timestamp[1706972587026],recv_window[5000]", exchange.CauseClock},
	{"bybit", "10010", 0, "Unmatched IP, please check your API key's bound IP addresses.", exchange.CauseIP},
	{"bybit", "10005", 0, "Permission denied, please check your API key permissions.", exchange.CausePermission},
	{"bybit", "10004", 0, "Error sign, please check your signature generation algorithm.", exchange.CauseSignature},
	{"bybit", "10003", 401, "API key is invalid. Check whether the key and domain are matched, there are 4 env: mainnet, testnet, mainnet-demo, testnet-demo", exchange.CauseKey},
	{"bybit", "10006", 0, "Too many visits. Exceeded the API Rate Limit.", exchange.CauseRateLimit},
	{"okx", "50102", 401, "Timestamp request expired.", exchange.CauseClock},
	{"okx", "50110", 401, "Your IP 203.0.113.7 is not included in your API key's IP whitelist.", exchange.CauseIP},
	{"okx", "50120", 0, "This API key doesn't have permission to use this function", exchange.CausePermission},
	{"okx", "50113", 401, "Invalid signature.", exchange.CauseSignature},
	{"okx", "50111", 401, "Invalid OK-ACCESS-KEY.", exchange.CauseKey},
	{"okx", "50011", 429, "Rate limit reached. Please refer to API documentation and throttle requests accordingly.", exchange.CauseRateLimit},
	{"kucoin", "400002", 400, "Invalid KC-API-TIMESTAMP", exchange.CauseClock},
	{"kucoin", "400006", 400, "The requested ip address is not in the api whitelist", exchange.CauseIP},
	{"kucoin", "400007", 400, "Access Denied", exchange.CausePermission},
	{"kucoin", "400005", 401, "Invalid KC-API-SIGN", exchange.CauseSignature},
	{"kucoin", "400003", 401, "KC-API-KEY not exists", exchange.CauseKey},
	{"kucoin", "429000", 429, "Too Many Requests", exchange.CauseRateLimit},
	{"kraken", "EAPI:Invalid nonce", 0, "EAPI:Invalid nonce", exchange.CauseClock},
	{"kraken", "EGeneral:Permission denied", 0, "EGeneral:Permission denied", exchange.CausePermission},
	{"kraken", "EAPI:Invalid signature", 0, "EAPI:Invalid signature", exchange.CauseSignature},
	{"kraken", "EAPI:Invalid key", 0, "EAPI:Invalid key", exchange.CauseKey},
	{"kraken", "EAPI:Rate limit exceeded", 0, "EAPI:Rate limit exceeded", exchange.CauseRateLimit},
	{"coinbase", "", 401, "Unauthorized", exchange.CauseAmbiguousAuth},
	{"coinbase", "", 429, "Too Many Requests", exchange.CauseRateLimit},
}

// body renders the error as the exchange's response body (what ccxt and
// most bots put in their exception text).
func (x exchangeError) body() string {
	switch x.exchange {
	case "binance":
		return fmt.Sprintf(`{"code":%s,"msg":%q}`, x.code, x.msg)
	case "bybit":
		return fmt.Sprintf(`{"retCode":%s,"retMsg":%q,"result":{},"retExtInfo":{},"time":1764086651123}`, x.code, x.msg)
	case "okx":
		return fmt.Sprintf(`{"code":"%s","data":[],"msg":%q}`, x.code, x.msg)
	case "kucoin":
		return fmt.Sprintf(`{"code":"%s","msg":%q}`, x.code, x.msg)
	case "kraken":
		return fmt.Sprintf(`{"error":[%q],"result":{}}`, x.msg)
	}
	return fmt.Sprintf("%d %s", x.status, x.msg)
}

// formats render an error as a log line in each layout keywarden reads.
var formats = []struct {
	name   string
	source Format
	line   func(x exchangeError) string
}{
	{"json-fields", FormatJSON, func(x exchangeError) string {
		code := ""
		if x.code != "" {
			code = fmt.Sprintf(`"code":%q,`, x.code)
		}
		return fmt.Sprintf(`{"ts":"2026-11-25T16:04:11.123Z","level":"error","event":"place_order","exchange":%q,%s"status":%d,"msg":%q,"duration_ms":87}`, x.exchange, code, x.status, x.msg)
	}},
	{"json-nested-body", FormatJSON, func(x exchangeError) string {
		if x.exchange == "coinbase" {
			return fmt.Sprintf(`{"timestamp":1764086651.123,"levelname":"ERROR","message":"request failed","status_code":%d,"response":{"error":%q}}`, x.status, x.msg)
		}
		return fmt.Sprintf(`{"timestamp":1764086651.123,"levelname":"ERROR","message":"request failed","response":%s}`, x.body())
	}},
	{"logfmt", FormatLogfmt, func(x exchangeError) string {
		return fmt.Sprintf(`time=2026-11-25T16:04:11.123Z level=error op=place_order exchange=%s code=%q status=%d msg=%q`, x.exchange, x.code, x.status, x.msg)
	}},
	{"python-pipe-ccxt", FormatPython, func(x exchangeError) string {
		return fmt.Sprintf(`2026-11-25 16:04:11,123 | ERROR | API CALL: place_order | error=%s %s`, x.exchange, x.body())
	}},
	{"freqtrade", FormatPython, func(x exchangeError) string {
		return fmt.Sprintf(`2026-11-25 16:04:11,123 - freqtrade.exchange.exchange - WARNING - Could not create limit buy order on market BTC/USDT. Message: %s %s`, x.exchange, x.body())
	}},
	{"plain-message-only", FormatPlain, func(x exchangeError) string {
		// No code, no exchange: the phrase alone must say the cause.
		return "ERROR order rejected: " + x.msg
	}},
}

func TestParseExchangeErrorsEveryFormat(t *testing.T) {
	for _, f := range formats {
		for _, x := range exchangeErrors {
			line := f.line(x)
			t.Run(f.name+"/"+x.exchange+"/"+x.code, func(t *testing.T) {
				e := Parse([]byte(line))
				if e.Source != f.source {
					t.Errorf("source = %q, want %q\nline: %s", e.Source, f.source, line)
				}
				if e.Cause != x.cause {
					t.Errorf("cause = %q, want %q\nline: %s\nentry: %+v", e.Cause, x.cause, line, e)
				}
				if !e.IsError() {
					t.Errorf("not an error: %+v", e)
				}
				if f.name != "plain-message-only" && x.code != "" && e.Code != x.code {
					t.Errorf("code = %q, want %q\nline: %s", e.Code, x.code, line)
				}
				namesExchange := f.name != "plain-message-only" && f.name != "json-nested-body"
				if namesExchange && e.Exchange != x.exchange {
					t.Errorf("exchange = %q, want %q", e.Exchange, x.exchange)
				}
				if f.name != "plain-message-only" && e.Time.IsZero() {
					t.Errorf("no time parsed from %s", line)
				}
			})
		}
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func localTime(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.000", s, time.Local)
	if err != nil {
		panic(err)
	}
	return t
}

// TestParseLines pins every extracted field for lines as real bots and
// libraries write them.
func TestParseLines(t *testing.T) {
	tests := []struct {
		name string
		line string
		want Entry
	}{
		{"json structlog", `{"event": "order placed", "level": "info", "timestamp": "2026-11-25T16:04:12.004512Z", "symbol": "BTCUSDT", "endpoint": "/api/v3/order", "method": "post", "status": 200, "latency_ms": 120.5}`,
			Entry{Time: mustTime("2026-11-25T16:04:12.004512Z"), Level: LevelInfo, Message: "order placed", Method: "POST", Endpoint: "/api/v3/order", HTTPStatus: 200, Duration: 120500 * time.Microsecond, Source: FormatJSON}},
		{"json binance error with numeric code", `{"ts":1764086651123,"level":"ERROR","msg":"APIError(code=-1021): Timestamp for this request is outside of the recvWindow.","op":"new_order","exchange":"binanceusdm"}`,
			Entry{Time: time.UnixMilli(1764086651123).UTC(), Level: LevelError, Message: "APIError(code=-1021): Timestamp for this request is outside of the recvWindow.", Op: "new_order", Code: "-1021", Exchange: "binance", Cause: exchange.CauseClock, Source: FormatJSON}},
		{"json kraken error array", `{"time":"2026-11-25T16:04:11+01:00","level":"warning","event":"AddOrder","error":["EGeneral:Permission denied"]}`,
			Entry{Time: mustTime("2026-11-25T16:04:11+01:00"), Level: LevelWarn, Message: "AddOrder: EGeneral:Permission denied", Code: "EGeneral:Permission denied", Exchange: "kraken", Cause: exchange.CausePermission, Source: FormatJSON}},
		{"json escaped message", `{"level":"error","message":"okx {\"code\":\"50110\",\"data\":[],\"msg\":\"Your IP 203.0.113.7 is not included in your API key's IP whitelist.\"}\u00e9"}`,
			Entry{Level: LevelError, Message: `okx {"code":"50110","data":[],"msg":"Your IP 203.0.113.7 is not included in your API key's IP whitelist."}é`, Code: "50110", Exchange: "okx", Cause: exchange.CauseIP, Source: FormatJSON}},
		{"json ok call", `{"ts":"2026-11-25T16:04:12Z","level":"info","event":"get_balance","code":0,"status":200,"duration":"42ms"}`,
			Entry{Time: mustTime("2026-11-25T16:04:12Z"), Level: LevelInfo, Message: "get_balance", HTTPStatus: 200, Duration: 42 * time.Millisecond, Source: FormatJSON}},
		{"json pino (node.js ccxt bot)", `{"level":50,"time":1764086651123,"pid":812,"hostname":"vps-fra-1","msg":"kucoin {\"code\":\"400005\",\"msg\":\"Invalid KC-API-SIGN\"}"}`,
			Entry{Time: time.UnixMilli(1764086651123).UTC(), Level: LevelError, Message: `kucoin {"code":"400005","msg":"Invalid KC-API-SIGN"}`, Code: "400005", Exchange: "kucoin", Cause: exchange.CauseSignature, Source: FormatJSON}},
		{"logfmt bybit", `ts=2026-11-25T16:04:11Z lvl=eror msg="place order failed" retCode=10010 retMsg="Unmatched IP, please check your API key's bound IP addresses." path=/v5/order/create method=POST took=0.231`,
			Entry{Time: mustTime("2026-11-25T16:04:11Z"), Level: LevelError, Message: "place order failed: Unmatched IP, please check your API key's bound IP addresses.", Method: "POST", Endpoint: "/v5/order/create", Code: "10010", Duration: 231 * time.Millisecond, Cause: exchange.CauseIP, Source: FormatLogfmt}},
		{"python pipe api call", `2026-11-25 16:04:11,123 | INFO | API CALL: place_order | args=('BTCUSDT', 'BUY') | kwargs={'type': 'LIMIT'} | status=200 duration_ms=95`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelInfo, Message: "API CALL: place_order | args=('BTCUSDT', 'BUY') | kwargs={'type': 'LIMIT'} | status=200 duration_ms=95", Op: "place_order", HTTPStatus: 200, Duration: 95 * time.Millisecond, Source: FormatPython}},
		{"python binance-connector tuple", `2026-11-25 16:04:11,123 | ERROR | API CALL: new_order | ClientError: (401, -2015, 'Invalid API-key, IP, or permissions for action.', {'Content-Type': 'application/json;charset=UTF-8'})`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelError, Message: "API CALL: new_order | ClientError: (401, -2015, 'Invalid API-key, IP, or permissions for action.', {'Content-Type': 'application/json;charset=UTF-8'})", Op: "new_order", HTTPStatus: 401, Code: "-2015", Cause: exchange.CauseAmbiguousAuth, Source: FormatPython}},
		{"freqtrade kucoin", `2026-11-25 16:04:11,123 - freqtrade.exchange.common - WARNING - _async_fetch_trades() returned exception: "kucoin {"code":"400002","msg":"Invalid KC-API-TIMESTAMP"}". Retrying still for 3 times.`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelWarn, Message: `_async_fetch_trades() returned exception: "kucoin {"code":"400002","msg":"Invalid KC-API-TIMESTAMP"}". Retrying still for 3 times.`, Code: "400002", Exchange: "kucoin", Cause: exchange.CauseClock, Source: FormatPython}},
		{"pybit exception", `2026-11-25 16:04:11,123 | ERROR | API CALL: place_order | pybit.exceptions.InvalidRequestError: Unmatched IP, please check your API key's bound IP addresses. (ErrCode: 10010) (ErrTime: 16:04:11).`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelError, Message: "API CALL: place_order | pybit.exceptions.InvalidRequestError: Unmatched IP, please check your API key's bound IP addresses. (ErrCode: 10010) (ErrTime: 16:04:11).", Op: "place_order", Code: "10010", Cause: exchange.CauseIP, Source: FormatPython}},
		{"python-okx exception", `2026-11-25 16:04:11,123 - okx_bot - ERROR - okx.exceptions.OkxAPIException: API Request Error(code=50102): Timestamp request expired`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelError, Message: "okx.exceptions.OkxAPIException: API Request Error(code=50102): Timestamp request expired", Code: "50102", Exchange: "okx", Cause: exchange.CauseClock, Source: FormatPython}},
		{"freqtrade info", `2026-11-25 16:04:11,123 - freqtrade.worker - INFO - Bot heartbeat. PID=8, version='2026.10', state='RUNNING'`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelInfo, Message: `Bot heartbeat. PID=8, version='2026.10', state='RUNNING'`, Source: FormatPython}},
		{"plain coinbase 401", `[2026-11-25 16:04:11.123] ERROR POST https://api.coinbase.com/api/v3/brokerage/orders -> 401 Unauthorized`,
			Entry{Time: localTime("2026-11-25 16:04:11.123"), Level: LevelError, Message: "POST https://api.coinbase.com/api/v3/brokerage/orders -> 401 Unauthorized", Method: "POST", Endpoint: "https://api.coinbase.com/api/v3/brokerage/orders", HTTPStatus: 401, Exchange: "coinbase", Cause: exchange.CauseAmbiguousAuth, Source: FormatPlain}},
		{"plain traceback line", `requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.bybit.com', port=443): Max retries exceeded (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))`,
			Entry{Level: LevelError, Message: `requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.bybit.com', port=443): Max retries exceeded (Caused by NewConnectionError('Failed to establish a new connection: [Errno 111] Connection refused'))`, Exchange: "bybit", Cause: exchange.CauseNetwork, Source: FormatPlain}},
		{"plain http 418", `WARN binance GET /api/v3/account HTTP 418 IP banned until 1764086711123`,
			Entry{Level: LevelWarn, Message: "binance GET /api/v3/account HTTP 418 IP banned until 1764086711123", Method: "GET", Endpoint: "/api/v3/account", HTTPStatus: 418, Exchange: "binance", Cause: exchange.CauseRateLimit, Source: FormatPlain}},
		{"plain info mentioning rate limit is not an error", `INFO rate limit headroom 1180/1200`,
			Entry{Level: LevelInfo, Message: "rate limit headroom 1180/1200", Source: FormatPlain}},
		{"unknown code is other", `{"level":"error","exchange":"okx","code":"51008","msg":"Order failed. Insufficient USDT balance in account."}`,
			Entry{Level: LevelError, Message: "Order failed. Insufficient USDT balance in account.", Code: "51008", Exchange: "okx", Cause: exchange.CauseOther, Source: FormatJSON}},
		{"broken json is plain", `{"level":"error","msg":"cut off`,
			Entry{Level: LevelError, Message: `{"level":"error","msg":"cut off`, Source: FormatPlain}},
		{"control characters are escaped", "ERROR \x1b[2Jcleared\x9b screen \xff",
			Entry{Level: LevelError, Message: `\x1b[2Jcleared� screen �`, Source: FormatPlain}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Parse([]byte(tt.line))
			got.Raw = ""
			if !got.Time.Equal(tt.want.Time) {
				t.Errorf("time = %v, want %v", got.Time, tt.want.Time)
			}
			got.Time = tt.want.Time
			if got != tt.want {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseRawIsSafe(t *testing.T) {
	e := Parse([]byte("INFO hello\x1b]0;pwned\x07 \xc3\x28 world\r\n"))
	if strings.ContainsAny(e.Raw, "\x1b\x07\r\n") || !strings.Contains(e.Raw, `\x1b]0;pwned\x07`) {
		t.Errorf("raw not sanitised: %q", e.Raw)
	}
}

func TestParseTimeFormats(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-25T16:04:11Z", mustTime("2026-11-25T16:04:11Z")},
		{"2026-11-25T16:04:11.5+02:00", mustTime("2026-11-25T16:04:11.5+02:00")},
		{"2026-11-25T16:04:11.123456789-0530", mustTime("2026-11-25T16:04:11.123456789-05:30")},
		{"2026-11-25 16:04:11,123", localTime("2026-11-25 16:04:11.123")},
		{"1764086651", time.Unix(1764086651, 0)},
		{"1764086651.25", time.Unix(1764086651, 250e6)},
		{"1764086651123", time.UnixMilli(1764086651123)},
		{"1764086651123456", time.UnixMicro(1764086651123456)},
		{"1764086651123456789", time.Unix(0, 1764086651123456789)},
		{"yesterday", time.Time{}},
		{"2026-13-25T16:04:11Z", time.Time{}},
	}
	for _, tt := range tests {
		if got := parseTimeValue([]byte(tt.in)); !got.Equal(tt.want) && got.Sub(tt.want).Abs() > time.Microsecond {
			t.Errorf("parseTimeValue(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestParserExchangeContext: a bare code means different things on
// different exchanges; the profile's exchange decides.
func TestParserExchangeContext(t *testing.T) {
	line := []byte(`level=error msg="request failed" code=10005`)
	if got := (&Parser{Exchange: "bybit"}).Parse(line).Cause; got != exchange.CausePermission {
		t.Errorf("bybit 10005 = %q, want permission", got)
	}
	if got := (&Parser{Exchange: "binance"}).Parse(line).Cause; got != exchange.CausePermission {
		t.Errorf("a code unknown to the profile's exchange falls back to the code's only meaning, got %q", got)
	}
}

func TestPrintableASCII(t *testing.T) {
	for c := 0; c < 256; c++ {
		want := c >= 0x20 && c < 0x7f || c == '\t'
		for pos := 0; pos < 19; pos++ {
			b := []byte(strings.Repeat("a", 19))
			b[pos] = byte(c)
			if got := printableASCII(b); got != want {
				t.Fatalf("byte %#x at %d: got %v, want %v", c, pos, got, want)
			}
		}
	}
}

// The bot's order ids, as the recommended JSON schema, logfmt and the
// exchanges' own field names carry them: what activity matching needs.
func TestParseOrderIDs(t *testing.T) {
	p := &Parser{}
	for _, tt := range []struct{ line, order, client string }{
		{`{"time":"2026-11-25T16:04:11Z","event":"place_order","order_id":"28","client_order_id":"x-R4BD3S82bot-1"}`, "28", "x-R4BD3S82bot-1"},
		{`{"msg":"order placed","orderId":8389765,"clientOrderId":"myOrder1"}`, "8389765", "myOrder1"},
		{`{"msg":"okx order","ordId":"590908157585625111","clOrdId":"b15"}`, "590908157585625111", "b15"},
		{`{"msg":"bybit order","orderId":"1321003749386327552","orderLinkId":"spot-test-postonly"}`, "1321003749386327552", "spot-test-postonly"},
		{`{"msg":"kucoin order","orderId":"5bd6e9286d99522a52e458de","clientOid":"5c52e11203aa677f33e493fb"}`, "5bd6e9286d99522a52e458de", "5c52e11203aa677f33e493fb"},
		{`time=2026-11-25T16:04:11Z level=info op=place_order order_id=OQCLML-BW3P3-BUCMWZ cl_ord_id=kw-7`, "OQCLML-BW3P3-BUCMWZ", "kw-7"},
		{`{"msg":"no order here","id":"123"}`, "", ""},
		{`{"msg":"too long","order_id":"` + strings.Repeat("9", 65) + `"}`, "", ""},
	} {
		e := p.Parse([]byte(tt.line))
		if e.OrderID != tt.order || e.ClientOrderID != tt.client {
			t.Errorf("%s: order %q client %q, want %q %q", tt.line, e.OrderID, e.ClientOrderID, tt.order, tt.client)
		}
	}
}
