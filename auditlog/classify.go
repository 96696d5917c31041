package auditlog

import (
	"bytes"

	"github.com/keywarden/keywarden/exchange"
)

// messagePattern maps a phrase an exchange (or its client library) puts in
// an error message to a cause, for lines that carry no code. Phrases are
// lower case; the first match wins, so the more specific come first.
type messagePattern struct {
	phrase string
	cause  exchange.Cause
}

// messagePatterns are the exchanges' documented error messages (see
// shared/reference/exchanges.md) and the transport errors of common HTTP
// clients. Codes themselves are classified by exchange.ClassifyCode.
var messagePatterns = []messagePattern{
	// Binance -2015 names three causes at once (older clients quote it
	// without the comma), and -1099 as many.
	{"invalid api-key, ip, or permissions", exchange.CauseAmbiguousAuth},
	{"ip or permissions for action", exchange.CauseAmbiguousAuth},
	{"not found, unauthenticated, or unauthorized", exchange.CauseAmbiguousAuth},
	// clock
	{"outside of the recvwindow", exchange.CauseClock},
	{"ahead of the server's time", exchange.CauseClock},
	{"check your server timestamp", exchange.CauseClock},
	{"recv_window", exchange.CauseClock},
	{"request time exceeds the time window", exchange.CauseClock},
	{"timestamp request expired", exchange.CauseClock},
	{"invalid ok-access-timestamp", exchange.CauseClock},
	{"invalid kc-api-timestamp", exchange.CauseClock},
	{"kc-api-timestamp invalid", exchange.CauseClock},
	{"invalid nonce", exchange.CauseClock},
	{"request timestamp expired", exchange.CauseClock},
	// ip
	{"unmatched ip", exchange.CauseIP},
	{"ip whitelist", exchange.CauseIP},
	{"not in the api whitelist", exchange.CauseIP},
	{"through the ip address", exchange.CauseIP},
	{"must be bound to ip", exchange.CauseIP},
	// KuCoin 400006
	{"invalid request ip", exchange.CauseIP},
	// other exchanges' and libraries' ways of saying the same
	{"ip not allowed", exchange.CauseIP},
	{"ip is not allowed", exchange.CauseIP},
	{"ip address is not allowed", exchange.CauseIP},
	// always with "ip": freqtrade's pair whitelist is no IP matter
	{"ip not whitelisted", exchange.CauseIP},
	{"ip is not whitelisted", exchange.CauseIP},
	{"ip address not whitelisted", exchange.CauseIP},
	{"ip not in whitelist", exchange.CauseIP},
	{"ip not in the whitelist", exchange.CauseIP},
	{"ip is not in the whitelist", exchange.CauseIP},
	{"ip not in white list", exchange.CauseIP},
	{"ip not bound", exchange.CauseIP},
	{"not bound to this ip", exchange.CauseIP},
	{"ip mismatch", exchange.CauseIP},
	{"ip constraint", exchange.CauseIP},
	{"ip restricted", exchange.CauseIP},
	{"access from this ip", exchange.CauseIP},
	{"ip_blocked", exchange.CauseIP},
	// permission
	{"permission denied", exchange.CausePermission},
	{"doesn't have permission", exchange.CausePermission},
	{"does not have permission", exchange.CausePermission},
	{"check your api key permissions", exchange.CausePermission},
	{"access denied", exchange.CausePermission},
	{"forbidden for this api key", exchange.CausePermission},
	// Binance -1002: a key without the margin, withdrawal or convert permission
	{"not authorized to execute this request", exchange.CausePermission},
	// signature
	{"signature for this request is not valid", exchange.CauseSignature},
	{"invalid signature", exchange.CauseSignature},
	{"error sign", exchange.CauseSignature},
	{"invalid kc-api-sign", exchange.CauseSignature},
	{"signature error", exchange.CauseSignature},
	{"signature verification failed", exchange.CauseSignature},
	// OKX 50113 and its v3 predecessor 30013: "Invalid Sign"
	{"invalid sign", exchange.CauseSignature},
	// key
	{"api-key format invalid", exchange.CauseKey},
	{"api key is invalid", exchange.CauseKey},
	{"invalid ok-access-key", exchange.CauseKey},
	{"kc-api-key not exists", exchange.CauseKey},
	{"kc-api-passphrase error", exchange.CauseKey},
	{"ok-access-passphrase\" incorrect", exchange.CauseKey},
	{"api key doesn't exist", exchange.CauseKey},
	{"apikey does not match", exchange.CauseKey},
	{"api key has expired", exchange.CauseKey},
	{"invalid api key", exchange.CauseKey},
	{"invalid api-key id", exchange.CauseKey},
	{"invalid api_key", exchange.CauseKey},
	{"apikey does not exist", exchange.CauseKey},
	{"api key does not exist", exchange.CauseKey},
	{"invalid_apikey", exchange.CauseKey},
	{"api key disabled", exchange.CauseKey},
	{"api key is disabled", exchange.CauseKey},
	// ccxt without a configured credential: okx requires "password"
	// credential (older: requires `apiKey`)
	{"\" credential", exchange.CauseKey},
	{"requires `apikey`", exchange.CauseKey},
	{"requires `secret`", exchange.CauseKey},
	{"requires `password`", exchange.CauseKey},
	{"invalid key", exchange.CauseKey},
	{"user authentication failed", exchange.CauseKey},
	{"temporary lockout", exchange.CauseKey},
	// rate limit
	{"too many requests", exchange.CauseRateLimit},
	{"too many visits", exchange.CauseRateLimit},
	{"too much request weight", exchange.CauseRateLimit},
	{"rate limit", exchange.CauseRateLimit},
	{"ratelimit", exchange.CauseRateLimit},
	{"ip banned until", exchange.CauseRateLimit},
	{"systems are busy", exchange.CauseRateLimit},
	{"too many new orders", exchange.CauseRateLimit},
	{"server is currently overloaded", exchange.CauseServer},
	// ccxt's exception class names (ccxt/base/errors), for a line that
	// carries no more specific phrase: freqtrade prints "... due to
	// AuthenticationError. Message: ...".
	{"authenticationerror", exchange.CauseAmbiguousAuth},
	{"permissiondenied", exchange.CausePermission},
	{"accountsuspended", exchange.CauseKey},
	{"invalidnonce", exchange.CauseClock},
	{"ratelimitexceeded", exchange.CauseRateLimit},
	{"ddosprotection", exchange.CauseRateLimit},
	{"requesttimeout", exchange.CauseTimeout},
	{"exchangenotavailable", exchange.CauseServer},
	{"onmaintenance", exchange.CauseServer},
	{"networkerror", exchange.CauseNetwork},
	// an unexplained 401 (Coinbase answers every auth failure this way)
	{"unauthorized", exchange.CauseAmbiguousAuth},
	// transport
	{"timed out", exchange.CauseTimeout},
	{"timeout", exchange.CauseTimeout},
	{"deadline exceeded", exchange.CauseTimeout},
	{"connection refused", exchange.CauseNetwork},
	{"connection reset", exchange.CauseNetwork},
	{"connection aborted", exchange.CauseNetwork},
	{"no such host", exchange.CauseNetwork},
	{"name resolution", exchange.CauseNetwork},
	{"network is unreachable", exchange.CauseNetwork},
	{"tls handshake", exchange.CauseNetwork},
	{"ssl", exchange.CauseNetwork},
	{"service unavailable", exchange.CauseServer},
	{"internal server error", exchange.CauseServer},
	{"bad gateway", exchange.CauseServer},
	{"eservice:", exchange.CauseServer},
}

// classify sets e.Cause: from the exchange code first (exchange.ClassifyCode,
// with the line's or the profile's exchange), then from the message's
// phrases, then from the HTTP status alone. Only lines that look like errors
// are scanned for phrases, so an info line mentioning "rate limit" stays
// unclassified.
func classify(e *Entry, f *fields) {
	if e.Code != "" {
		if c := exchange.ClassifyCode(e.Exchange, e.Code); c != exchange.CauseNone {
			e.Cause = c
			return
		}
		if e.Exchange != "" {
			// A profile's exchange may be wrong for a line quoting another.
			if c := exchange.ClassifyCode("", e.Code); c != exchange.CauseNone {
				e.Cause = c
				return
			}
		}
	}
	if errorish(e, f) {
		if c := matchMessage(e.Message); c != exchange.CauseNone {
			e.Cause = c
			return
		}
	}
	if c := exchange.ClassifyHTTP(e.HTTPStatus); c != exchange.CauseNone {
		e.Cause = c
		return
	}
	switch {
	case e.HTTPStatus == 401:
		e.Cause = exchange.CauseAmbiguousAuth
	case e.Code != "" && (e.Level == LevelError || e.Level == LevelFatal || e.HTTPStatus >= 400):
		e.Cause = exchange.CauseOther
	}
}

// matchMessage returns the cause of the first phrase found in msg.
func matchMessage(msg string) exchange.Cause {
	if msg == "" {
		return exchange.CauseNone
	}
	var stack [512]byte
	var low []byte
	if len(msg) <= len(stack) {
		low = stack[:len(msg)]
	} else {
		low = make([]byte, len(msg))
	}
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	for _, p := range messagePatterns {
		if bytes.Contains(low, []byte(p.phrase)) {
			return p.cause
		}
	}
	return exchange.CauseNone
}
