package auditlog

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/keywarden/keywarden/exchange"
)

// errorish reports whether a line may describe a failure and is worth
// scanning for codes and phrases: level warn or worse, an HTTP error status,
// a code, an error field (a bare exchange body, {"error":["EAPI:…"]}), no
// level at all (plain text whose level could not be told), or an exception
// quoted at a lower level: bots log "INFO - APIError(code=-1022): …" and
// "(DEBUG): … Error: Kraken API returned error: …".
func errorish(e *Entry, f *fields) bool {
	return e.Level == LevelError || e.Level == LevelFatal || e.Level == LevelWarn ||
		e.HTTPStatus >= 400 || e.Code != "" || f.errText != "" ||
		(e.Level == LevelNone && e.Source != FormatJSON) || quotesException(e.Message)
}

// quotesException reports whether msg holds an exception's or an error's
// text: "Error:", "APIError(", "Exception:".
func quotesException(msg string) bool {
	b := []byte(msg)
	return containsFold(b, "error:") || containsFold(b, "error(") || containsFold(b, "exception:")
}

// extractFromText fills code, HTTP status, exchange, method and endpoint
// from the message text when no field carried them: exchange libraries put
// the exchange's error body or a tuple into the exception message, e.g.
//
//	binance {"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}   (ccxt)
//	APIError(code=-1021): Timestamp for this request is outside of the recvWindow.   (python-binance)
//	ClientError: (401, -2015, 'Invalid API-key, IP, or permissions for action.', …)  (binance-connector)
//	kraken {"error":["EAPI:Invalid nonce"]}
func extractFromText(e *Entry, f *fields) {
	if e.Code != "" && e.HTTPStatus != 0 && e.Exchange != "" && e.Endpoint != "" {
		return
	}
	if !errorish(e, f) {
		// An info line: only the request it names is worth the scan.
		if e.Method == "" && e.Endpoint == "" && strings.IndexByte(e.Message, '/') >= 0 {
			findRequest([]byte(e.Message), e)
		}
		return
	}
	text := []byte(e.Message)
	if e.Code == "" {
		e.Code = findCode(text)
	}
	if e.HTTPStatus == 0 {
		e.HTTPStatus = findStatus(text)
	}
	if e.Exchange == "" {
		e.Exchange = findExchange(text)
	}
	if e.Method == "" && e.Endpoint == "" {
		findRequest(text, e)
	}
}

// codePrefix is a prefix only one exchange's error codes start with
// (exchange.Info.CodePrefixes).
type codePrefix struct {
	prefix   []byte
	exchange string
}

// The registry's names and code prefixes, read once: every line is scanned.
var (
	exchangeNames = registeredNames()
	codePrefixes  = registeredPrefixes()
)

func registeredNames() []string {
	var names []string
	for _, in := range exchange.All() {
		names = append(names, in.Name)
	}
	return names
}

func registeredPrefixes() []codePrefix {
	var ps []codePrefix
	for _, in := range exchange.All() {
		for _, p := range in.CodePrefixes {
			ps = append(ps, codePrefix{[]byte(p), in.Name})
		}
	}
	return ps
}

// findCode looks for an exchange code: one starting with a registered code
// prefix (a Kraken "E...:..." error), a "code"/"retCode" key followed by
// ':' or '=' and a number, or the second element of a "(401, -2015, …)"
// tuple.
func findCode(b []byte) string {
	for _, p := range codePrefixes {
		if i := bytes.Index(b, p.prefix); i >= 0 {
			j := i + len(p.prefix)
			for j < len(b) && b[j] != '"' && b[j] != '\'' && b[j] != ']' && b[j] != ',' && b[j] != ')' {
				j++
			}
			return string(bytes.TrimSpace(b[i:j]))
		}
	}
	for off := 0; off < len(b); {
		i := indexFold(b[off:], "code")
		if i < 0 {
			break
		}
		i += off
		off = i + 4
		j := i + 4
		for j < len(b) && (b[j] == '"' || b[j] == '\'' || b[j] == ' ') {
			j++
		}
		if j >= len(b) || (b[j] != ':' && b[j] != '=') {
			continue
		}
		j++
		for j < len(b) && (b[j] == '"' || b[j] == '\'' || b[j] == ' ') {
			j++
		}
		k := j
		if k < len(b) && b[k] == '-' {
			k++
		}
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if c := b[j:k]; len(c) > 0 && c[len(c)-1] != '-' && !successCode(c) {
			return string(c)
		}
	}
	if i := bytes.IndexByte(b, '('); i >= 0 {
		if st, code, ok := statusCodeTuple(b[i+1:]); ok && st != 0 {
			return code
		}
	}
	return ""
}

// statusCodeTuple reads "401, -2015," as (401, "-2015").
func statusCodeTuple(b []byte) (int, string, bool) {
	if len(b) < 6 {
		return 0, "", false
	}
	st, err := strconv.Atoi(string(b[:3]))
	if err != nil || st < 100 || st > 599 || b[3] != ',' {
		return 0, "", false
	}
	b = bytes.TrimLeft(b[4:], " ")
	k := 0
	if k < len(b) && b[k] == '-' {
		k++
	}
	for k < len(b) && b[k] >= '0' && b[k] <= '9' {
		k++
	}
	if k == 0 || b[k-1] == '-' {
		return st, "", true
	}
	return st, string(b[:k]), true
}

// findStatus looks for an HTTP status: "HTTP 429", "HTTP/1.1 429",
// "status 401", "status is 401" (hummingbot), "(401, …", or "429 Too Many
// Requests" style reason phrases.
func findStatus(b []byte) int {
	three := func(i int) int {
		if i+3 > len(b) || (i+3 < len(b) && b[i+3] >= '0' && b[i+3] <= '9') {
			return 0
		}
		n, err := strconv.Atoi(string(b[i : i+3]))
		if err != nil || n < 100 || n > 599 {
			return 0
		}
		return n
	}
	for _, p := range [...]string{"http ", "http/1.1 ", "http/2 ", "status ", "status: ", "status is ", "status code ", "status_code: "} {
		if i := indexFold(b, p); i >= 0 {
			if n := three(i + len(p)); n != 0 {
				return n
			}
		}
	}
	if i := bytes.IndexByte(b, '('); i >= 0 {
		if st, _, ok := statusCodeTuple(b[i+1:]); ok {
			return st
		}
	}
	for _, p := range [...]string{" Too Many Requests", " Unauthorized", " Forbidden", " I'm a teapot", " Service Unavailable", " Bad Gateway", " Internal Server Error", " Gateway Timeout"} {
		if i := bytes.Index(b, []byte(p)); i >= 3 {
			if n := three(i - 3); n != 0 {
				return n
			}
		}
	}
	return 0
}

// findExchange names the exchange the text mentions (ccxt prefixes its
// errors with the exchange id; URLs name the host), or whose code prefix it
// holds.
func findExchange(b []byte) string {
	for _, ex := range exchangeNames {
		if indexFold(b, ex) >= 0 {
			return ex
		}
	}
	for _, p := range codePrefixes {
		if bytes.Contains(b, p.prefix) {
			return p.exchange
		}
	}
	return ""
}

// findRequest reads "POST /api/v3/order" or "GET https://…" from the text.
func findRequest(b []byte, e *Entry) {
	for _, m := range [...]string{"GET ", "POST ", "DELETE ", "PUT ", "PATCH "} {
		i := bytes.Index(b, []byte(m))
		if i < 0 || (i > 0 && b[i-1] != ' ' && b[i-1] != '"' && b[i-1] != '\'' && b[i-1] != '(') {
			continue
		}
		rest := b[i+len(m):]
		if !bytes.HasPrefix(rest, []byte("/")) && !bytes.HasPrefix(rest, []byte("http")) {
			continue
		}
		end := bytes.IndexAny(rest, " \"',)")
		if end < 0 {
			end = len(rest)
		}
		e.Method = m[:len(m)-1]
		e.Endpoint = sanitize(rest[:end])
		return
	}
}

// indexFold is bytes.Index ignoring ASCII case; needle must be lower case.
func indexFold(s []byte, needle string) int {
	n := len(needle)
	if n == 0 {
		return 0
	}
	first := needle[0]
	upper := first
	if 'a' <= first && first <= 'z' {
		upper -= 'a' - 'A'
	}
	for i := 0; i+n <= len(s); {
		j := bytes.IndexByte(s[i:len(s)-n+1], first)
		if upper != first {
			if k := bytes.IndexByte(s[i:len(s)-n+1], upper); k >= 0 && (j < 0 || k < j) {
				j = k
			}
		}
		if j < 0 {
			return -1
		}
		i += j
		if equalFoldASCII(s[i+1:i+n], needle[1:]) {
			return i
		}
		i++
	}
	return -1
}

func equalFoldASCII(s []byte, lower string) bool {
	for k := 0; k < len(lower); k++ {
		c := s[k]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[k] {
			return false
		}
	}
	return true
}
