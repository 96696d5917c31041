// Package python holds the bot-side helpers for Python bots; its test runs
// keywarden_audit.py with python3 and reads what it wrote with keywarden's
// own audit-log parser.
package python

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/internal/testutil"
)

// canary is the stub exchange's API secret (and, with a suffix, its key):
// it must never reach the log, though the stub's requests carry it in
// headers and query strings the way a real exchange's do.
const canary = "kwCanarySecret7f3a9c1e"

// stub is a ccxt-like exchange in the shape keywarden_audit relies on:
// fetch calls handle_errors(code, reason, url, method, headers, body,
// response, request_headers, request_body) on every answer, and the
// exchange's handle_errors raises ccxt's exception class with the exchange
// id and its JSON body as the message.
const stub = `
import asyncio, json, sys
sys.path.insert(0, sys.argv[1])
import keywarden_audit

class BaseError(Exception): pass
class ExchangeError(BaseError): pass
class AuthenticationError(ExchangeError): pass
class ExchangeNotAvailable(ExchangeError): pass

class Stub:
    id = "binance"
    def __init__(self, secret):
        self.apiKey, self.secret = secret + "KEY", secret
        self.markets = {"BTC/USDT": {}}

    def fetch(self, url, method, status, body):
        headers = {"X-MBX-APIKEY": self.apiKey}
        self.handle_errors(status, "", url, method, {}, json.dumps(body), body, headers, "secret=" + self.secret)
        return body

    def handle_errors(self, code, reason, url, method, headers, body, response, request_headers, request_body):
        if isinstance(response, dict) and response.get("code", 0) < 0:
            raise AuthenticationError(self.id + " " + body)
        if code >= 500:
            raise ExchangeNotAvailable(" ".join([self.id, method, url, str(code), reason, body]))

    def amount_to_precision(self, symbol, amount):
        return str(amount)

    def create_order(self, symbol, type, side, amount, price=None, params={}):
        self.fetch("https://api.binance.com/api/v3/order?symbol=BTCUSDT&signature=" + self.secret, "POST", 200,
                   {"orderId": 28, "clientOrderId": "x-R4BD3S82bot0001"})
        return {"id": "28", "clientOrderId": "x-R4BD3S82bot0001", "symbol": symbol, "info": {"apiKey": self.apiKey}}

    def cancel_order(self, id, symbol=None, params={}):
        self.fetch("https://api.binance.com/api/v3/order?orderId=" + id + "&signature=" + self.secret, "DELETE", 200, {})
        return {"id": id, "clientOrderId": None, "symbol": symbol}

    def fetch_balance(self, params={}):
        return self.fetch("https://api.binance.com/api/v3/account?timestamp=1&signature=" + self.secret, "GET", 401,
                          {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})

    def fetch_open_orders(self, symbol=None, params={}):
        return self.fetch("https://api.binance.com/api/v3/openOrders?apiKey=" + self.apiKey, "GET", 503,
                          "<html>down " + self.secret + "</html>")

    async def fetch_order(self, id, symbol=None, params={}):
        await asyncio.sleep(0)
        self.fetch("https://api.binance.com/api/v3/order?orderId=" + id, "GET", 200, {})
        return {"id": id, "clientOrderId": "x-R4BD3S82bot0002", "symbol": symbol}

ex = keywarden_audit.wrap(Stub(sys.argv[3]), sys.argv[2])
assert ex.amount_to_precision("BTC/USDT", 1) == "1"   # no request: not logged
assert ex.markets == {"BTC/USDT": {}}
ex.create_order("BTC/USDT", "limit", "buy", 0.001, 50000, {"newClientOrderId": sys.argv[3]})
ex.cancel_order("28", "BTC/USDT")
for call in (ex.fetch_balance, ex.fetch_open_orders):
    try:
        call()
    except ExchangeError:
        pass
    else:
        raise SystemExit("the wrapper swallowed the exception")
asyncio.run(ex.fetch_order("29", "BTC/USDT"))
`

func TestAuditModule(t *testing.T) {
	py := testutil.LookPath(t, "python3")
	here, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "api_audit.log")
	cmd := exec.Command(py, "-c", stub, here, log, canary)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", raw)
	if bytes.Contains(raw, []byte(canary)) {
		t.Fatal("the stub's API secret or key is in the audit log")
	}
	if bytes.Contains(raw, []byte("signature")) || bytes.Contains(raw, []byte("?")) {
		t.Error("a query string is in the audit log")
	}
	if fi, err := os.Stat(log); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode: %v %v, want 0600", fi.Mode(), err)
	}

	var got []auditlog.Entry
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		e := (&auditlog.Parser{}).Parse(sc.Bytes())
		if e.Source != auditlog.FormatJSON {
			t.Errorf("not read as JSON: %s", sc.Text())
		}
		got = append(got, e)
	}
	type want struct {
		op, method, endpoint string
		status               int
		code                 string
		cause                exchange.Cause
		orderID, clientID    string
	}
	wants := []want{
		{"create_order", "POST", "/api/v3/order", 200, "", exchange.CauseNone, "28", "x-R4BD3S82bot0001"},
		{"cancel_order", "DELETE", "/api/v3/order", 200, "", exchange.CauseNone, "28", ""},
		{"fetch_balance", "GET", "/api/v3/account", 401, "-2015", exchange.CauseAmbiguousAuth, "", ""},
		{"fetch_open_orders", "GET", "/api/v3/openOrders", 503, "", exchange.CauseServer, "", ""},
		{"fetch_order", "GET", "/api/v3/order", 200, "", exchange.CauseNone, "29", "x-R4BD3S82bot0002"},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d lines, want %d (one per call that reached the exchange)", len(got), len(wants))
	}
	for i, w := range wants {
		e := got[i]
		if e.Op != w.op || e.Method != w.method || e.Endpoint != w.endpoint || e.HTTPStatus != w.status ||
			e.Code != w.code || e.Cause != w.cause || e.OrderID != w.orderID || e.ClientOrderID != w.clientID {
			t.Errorf("line %d: op %q %s %s %d code %q cause %q order %q client %q; want %+v",
				i+1, e.Op, e.Method, e.Endpoint, e.HTTPStatus, e.Code, e.Cause, e.OrderID, e.ClientOrderID, w)
		}
		if e.Exchange != "binance" || e.Time.IsZero() {
			t.Errorf("line %d: exchange %q time %v", i+1, e.Exchange, e.Time)
		}
		if wantErr := w.status >= 400; e.IsError() != wantErr {
			t.Errorf("line %d: IsError %v", i+1, e.IsError())
		}
	}
	if m := got[2].Message; !strings.Contains(m, "Invalid API-key") || strings.Contains(m, "{") {
		t.Errorf("fetch_balance msg %q, want the exchange's own message", m)
	}
}
