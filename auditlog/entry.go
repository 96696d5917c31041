// Package auditlog reads a trading bot's own log: it finds the last lines of
// a file without reading all of it, follows appends across every common kind
// of log rotation, parses each line (JSON lines, logfmt, the Python logging
// layout, plain text), classifies exchange errors into causes, counts them
// over time windows, and redacts stored secrets before a line is shown.
//
// The package never imports the UI. Secrets are only ever compared against
// log bytes inside Redactor; nothing here prints them.
package auditlog

import (
	"time"

	"github.com/keywarden/keywarden/exchange"
)

// Level is a log line's severity, normalised: "debug", "info", "warn",
// "error", "fatal", or "" when the line does not say and none can be guessed.
type Level string

// Levels.
const (
	LevelNone  Level = ""
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warn"
	LevelError Level = "error"
	LevelFatal Level = "fatal"
)

// Format names the layout a line was parsed as (Entry.Source).
type Format string

// Formats.
const (
	FormatJSON   Format = "json"
	FormatLogfmt Format = "logfmt"
	FormatPython Format = "python"
	FormatPlain  Format = "plain"
)

// Entry is one parsed log line. Fields the line does not carry are zero.
// Message and Raw are safe to print: they hold no stored secret when the line
// went through a Redactor (Redacted is then true if one was removed), valid
// UTF-8 and no terminal control characters.
type Entry struct {
	Time       time.Time     // zero when the line has no recognisable time
	Level      Level         // normalised severity
	Message    string        // the human message (for JSON: msg/message/event)
	Op         string        // the bot's operation, e.g. "place_order" (JSON "event"/"op", Python "API CALL: x")
	Method     string        // HTTP method, upper case
	Endpoint   string        // path or URL called
	HTTPStatus int           // 0 when absent
	Code       string        // exchange error code ("-1021", "50102", "EAPI:Invalid nonce")
	Exchange   string        // exchange named by the line, or the one the parser was given
	Duration   time.Duration // call latency, 0 when absent
	// OrderID and ClientOrderID identify an order the bot placed, as the
	// exchange and the bot name it (orderId, ordId, clientOrderId, clOrdId,
	// orderLinkId, clientOid…): what activity matching compares with the
	// exchange's own order history.
	OrderID       string
	ClientOrderID string
	Cause         exchange.Cause
	Redacted      bool   // a stored secret was removed from the line
	Source        Format // the layout the line was parsed as
	Raw           string // the whole line, sanitised (and redacted when a Redactor was used)
}

// IsError reports whether the entry is an error: level error or fatal, an
// HTTP status of 400 or more, or any classified cause.
func (e Entry) IsError() bool {
	return e.Level == LevelError || e.Level == LevelFatal || e.HTTPStatus >= 400 || e.Cause != exchange.CauseNone
}

// IsCall reports whether the entry looks like an exchange API call: it names
// an operation, endpoint, HTTP method or status, an exchange code, or a cause.
func (e Entry) IsCall() bool {
	return e.Op != "" || e.Endpoint != "" || e.Method != "" || e.HTTPStatus != 0 || e.Code != "" || e.Cause != exchange.CauseNone
}

// AuthCauses are the causes that mean the exchange refused the key itself
// (as opposed to rate limits or transport failures).
var AuthCauses = []exchange.Cause{
	exchange.CauseClock, exchange.CauseIP, exchange.CausePermission,
	exchange.CauseSignature, exchange.CauseKey, exchange.CauseAmbiguousAuth,
}

// IsAuthCause reports whether c is one of AuthCauses.
func IsAuthCause(c exchange.Cause) bool {
	for _, a := range AuthCauses {
		if a == c {
			return true
		}
	}
	return false
}
