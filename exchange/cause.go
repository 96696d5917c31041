package exchange

import (
	"maps"
	"slices"
	"strings"
)

// Cause is why an exchange call failed, in the user's terms. The first seven
// are the spec's audit-log causes; the rest describe transport failures.
type Cause string

// Causes.
const (
	CauseNone          Cause = ""
	CauseClock         Cause = "clock"
	CauseIP            Cause = "ip"
	CausePermission    Cause = "permission"
	CauseSignature     Cause = "signature"
	CauseKey           Cause = "key"
	CauseAmbiguousAuth Cause = "ambiguous-auth" // key, IP or permission (Binance -2015, Coinbase 401)
	CauseRateLimit     Cause = "rate-limit"
	CauseNetwork       Cause = "network"   // connection refused/reset, DNS, TLS
	CauseTimeout       Cause = "timeout"   // deadline exceeded, hang
	CauseServer        Cause = "server"    // 5xx, maintenance
	CauseMalformed     Cause = "malformed" // unparsable, truncated or oversized body
	CauseOther         Cause = "other"     // an exchange error of no class above
)

// ClassifyCode returns the cause of an exchange error code. exchange may be
// "" when unknown (a log line that does not say): then a code is classified
// only if it means the same on every exchange that uses it.
func ClassifyCode(exchange, code string) Cause {
	code = strings.TrimSpace(code)
	if code == "" {
		return CauseNone
	}
	if exchange != "" {
		if in := lookup(exchange); in != nil {
			return in.codes[code]
		}
		return CauseNone
	}
	var found Cause
	for _, in := range all {
		if c, ok := in.codes[code]; ok {
			if found != CauseNone && found != c {
				return CauseNone
			}
			found = c
		}
	}
	return found
}

// ClassifyHTTP returns the cause implied by an HTTP status alone.
func ClassifyHTTP(status int) Cause {
	switch {
	case status == 429 || status == 418:
		return CauseRateLimit
	case status >= 500:
		return CauseServer
	}
	return CauseNone
}

// KnownCodes returns the codes ClassifyCode knows for an exchange (for tests
// and for the audit-log classifier's message scan).
func KnownCodes(exchange string) map[string]Cause {
	in := lookup(exchange)
	if in == nil {
		return map[string]Cause{}
	}
	return maps.Clone(in.codes)
}

// BundledWithTrade reports whether, on exchange, perm (named as in config
// needs) cannot be granted or revoked apart from trade (Info.BundledWithTrade).
func BundledWithTrade(exchange, perm string) bool {
	in := lookup(exchange)
	return in != nil && slices.Contains(in.BundledWithTrade, perm)
}
