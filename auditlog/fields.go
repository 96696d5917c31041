package auditlog

import (
	"encoding/binary"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// fields collects what a format parser found beyond Entry's own fields.
type fields struct {
	event   string // JSON "event": the message when there is no msg, else the op
	errText string // error/reason/retMsg/nested msg: scanned for codes and causes
}

func (f *fields) finish(e *Entry) {
	if f.event != "" {
		if e.Message == "" {
			e.Message = f.event
		} else if e.Op == "" {
			e.Op = f.event
		}
	}
	if f.errText != "" && !strings.Contains(e.Message, f.errText) {
		if e.Message == "" {
			e.Message = f.errText
		} else {
			e.Message += ": " + f.errText
		}
	}
}

// setField stores one key/value pair found in a JSON object or logfmt line.
// nested (JSON objects inside the line, key=value pairs found inside a
// message) only fills fields still empty. Unknown keys are ignored.
func setField(e *Entry, f *fields, key, val []byte, nested bool) {
	if len(key) == 0 || len(key) > 20 || len(val) == 0 {
		return
	}
	var kb [20]byte
	for i, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		kb[i] = c
	}
	switch string(kb[:len(key)]) {
	case "ts", "time", "timestamp", "@timestamp", "asctime", "datetime", "t":
		if e.Time.IsZero() {
			e.Time = parseTimeValue(val)
		}
	case "level", "lvl", "levelname", "severity", "loglevel", "log.level":
		if e.Level == LevelNone {
			e.Level = levelOf(val)
			if e.Level == LevelNone {
				e.Level = numericLevel(val)
			}
		}
	case "msg", "message":
		if nested || e.Message != "" {
			if f.errText == "" {
				f.errText = sanitize(val)
			}
			return
		}
		e.Message = sanitize(val)
	case "event":
		if f.event == "" {
			f.event = sanitize(val)
		}
	case "op", "action", "operation", "call", "func", "funcname":
		if e.Op == "" {
			e.Op = sanitize(val)
		}
	case "method", "http_method", "verb":
		if e.Method == "" && len(val) <= 7 {
			e.Method = strings.ToUpper(sanitize(val))
		}
	case "endpoint", "path", "url", "uri", "route":
		if e.Endpoint == "" {
			e.Endpoint = sanitize(val)
		}
	case "status", "http_status", "status_code", "statuscode", "http_code", "httpstatus":
		if e.HTTPStatus == 0 {
			if n, err := strconv.Atoi(string(val)); err == nil && n >= 100 && n <= 599 {
				e.HTTPStatus = n
			}
		}
	case "code", "retcode", "ret_code", "error_code", "err_code", "errcode", "errorcode":
		if e.Code == "" && !successCode(val) && len(val) <= 40 {
			e.Code = sanitize(val)
		}
	case "error", "err", "errors", "exception", "exc_info", "reason", "retmsg", "ret_msg", "error_msg", "errmsg":
		if f.errText == "" && !successText(val) {
			f.errText = sanitize(val)
		}
	case "exchange", "exchange_id", "venue":
		if e.Exchange == "" {
			e.Exchange = exchangeName(val)
		}
	case "duration_ms", "latency_ms", "elapsed_ms", "took_ms", "rtt_ms", "ms":
		if e.Duration == 0 {
			if v, err := strconv.ParseFloat(string(val), 64); err == nil && v >= 0 {
				e.Duration = time.Duration(v * float64(time.Millisecond))
			}
		}
	case "order_id", "orderid", "ordid", "exchange_order_id", "ordertxid", "order_txid":
		if e.OrderID == "" && len(val) <= maxIDLen {
			e.OrderID = sanitize(val)
		}
	case "client_order_id", "clientorderid", "clordid", "cl_ord_id", "orderlinkid", "clientoid", "client_oid",
		"newclientorderid", "origclientorderid":
		if e.ClientOrderID == "" && len(val) <= maxIDLen {
			e.ClientOrderID = sanitize(val)
		}
	case "duration", "latency", "elapsed", "took", "rtt":
		if e.Duration == 0 {
			e.Duration = parseDurationValue(val)
		}
	}
}

// maxIDLen bounds an order id: exchange ids and client ids are short (OKX
// clOrdId ≤ 32, Binance ≤ 36); a longer value is not an id.
const maxIDLen = 64

// numericLevel reads pino's numeric levels (Node.js bots): 10 trace,
// 20 debug, 30 info, 40 warn, 50 error, 60 fatal.
func numericLevel(v []byte) Level {
	switch string(v) {
	case "10", "20":
		return LevelDebug
	case "30":
		return LevelInfo
	case "40":
		return LevelWarn
	case "50":
		return LevelError
	case "60":
		return LevelFatal
	}
	return LevelNone
}

func successCode(v []byte) bool {
	switch string(v) {
	case "0", "200000", "00000", "200", "null", "":
		return true
	}
	return false
}

func successText(v []byte) bool {
	switch string(v) {
	case "null", "[]", "{}", "", "OK", "ok", "success", "None", "false":
		return true
	}
	return false
}

// exchangeName normalises an exchange name ("Binance", "binanceusdm",
// "okx5") to a registered one, or returns it lower-cased.
func exchangeName(v []byte) string {
	s := strings.ToLower(sanitize(v))
	for _, ex := range exchangeNames {
		if strings.HasPrefix(s, ex) {
			return ex
		}
	}
	return s
}

// parseDurationValue reads "120ms", "1.5s" (Go syntax) or a bare number of
// seconds (Python's time deltas).
func parseDurationValue(v []byte) time.Duration {
	s := string(v)
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 0 && f < 1e6 {
		return time.Duration(f * float64(time.Second))
	}
	return 0
}

// parseTimeValue reads a timestamp field: RFC 3339 or the Python layout, or
// a Unix epoch in seconds, milliseconds, microseconds or nanoseconds.
func parseTimeValue(v []byte) time.Time {
	if t, _, ok := parseTimePrefix(v); ok {
		return t
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f <= 0 {
		return time.Time{}
	}
	switch {
	case f < 1e11: // seconds
		sec := int64(f)
		return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
	case f < 1e14:
		return time.UnixMilli(int64(f)).UTC()
	case f < 1e17:
		return time.UnixMicro(int64(f)).UTC()
	}
	return time.Unix(0, int64(f)).UTC()
}

// parseTimePrefix reads "YYYY-MM-DD[T ]HH:MM:SS" with optional fraction
// (after '.' or ','), and optional zone ("Z", "±HH:MM", "±HHMM"). A time
// without zone is local time, as Python's logging writes it. It returns the
// number of bytes consumed.
func parseTimePrefix(b []byte) (time.Time, int, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, 0, false
	}
	num := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	year, ok1 := num(0, 4)
	month, ok2 := num(5, 2)
	day, ok3 := num(8, 2)
	hour, ok4 := num(11, 2)
	minute, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, 0, false
	}
	n := 19
	nsec := 0
	if n < len(b) && (b[n] == '.' || b[n] == ',') && n+1 < len(b) && b[n+1] >= '0' && b[n+1] <= '9' {
		n++
		digits := 0
		for n < len(b) && b[n] >= '0' && b[n] <= '9' {
			if digits < 9 {
				nsec = nsec*10 + int(b[n]-'0')
				digits++
			}
			n++
		}
		for ; digits < 9; digits++ {
			nsec *= 10
		}
	}
	loc := time.Local
	switch {
	case n < len(b) && (b[n] == 'Z' || b[n] == 'z'):
		loc = time.UTC
		n++
	case n+5 <= len(b) && (b[n] == '+' || b[n] == '-'):
		sign := 1
		if b[n] == '-' {
			sign = -1
		}
		h, okh := num(n+1, 2)
		var m int
		var okm bool
		adv := 0
		if n+6 <= len(b) && b[n+3] == ':' {
			m, okm = num(n+4, 2)
			adv = 6
		} else {
			m, okm = num(n+3, 2)
			adv = 5
		}
		if okh && okm && h < 24 && m < 60 {
			off := sign * (h*3600 + m*60)
			if off == 0 {
				loc = time.UTC
			} else {
				loc = time.FixedZone("", off)
			}
			n += adv
		}
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc), n, true
}

// sanitize returns b as a string that is safe to print on a terminal: valid
// UTF-8 (invalid bytes become U+FFFD) and no control characters (shown as
// \xNN) except tab. Plain printable ASCII is returned as is.
func sanitize(b []byte) string {
	if printableASCII(b) {
		return string(b)
	}
	var sb strings.Builder
	sb.Grow(len(b) + 8)
	const hexdigits = "0123456789abcdef"
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		switch {
		case r == utf8.RuneError && size <= 1:
			sb.WriteRune(utf8.RuneError)
		case r < 0x20 && r != '\t' || r == 0x7f:
			sb.WriteString(`\x`)
			sb.WriteByte(hexdigits[r>>4])
			sb.WriteByte(hexdigits[r&0xf])
		case r >= 0x80 && r < 0xa0: // C1 controls (8-bit CSI and friends)
			sb.WriteString(`\u00`)
			sb.WriteByte(hexdigits[r>>4])
			sb.WriteByte(hexdigits[r&0xf])
		default:
			sb.Write(b[:size])
		}
		b = b[size:]
	}
	return sb.String()
}

// printableASCII reports whether b is only bytes 0x20..0x7e and tabs. It
// tests eight bytes at a time: this runs on every line shown or counted.
func printableASCII(b []byte) bool {
	const (
		ones = 0x0101010101010101
		high = 0x8080808080808080
	)
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		// any byte >= 0x80, any byte < 0x20, any byte == 0x7f
		if w&high != 0 || (w-0x20*ones)&^w&high != 0 || ((w^0x7f*ones)-ones)&^(w^0x7f*ones)&high != 0 {
			return printableSlow(b)
		}
		b = b[8:]
	}
	return printableSlow(b)
}

func printableSlow(b []byte) bool {
	for _, c := range b {
		if c < 0x20 && c != '\t' || c >= 0x7f {
			return false
		}
	}
	return true
}
