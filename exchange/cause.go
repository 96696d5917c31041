package exchange

import "strings"

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

// codeCauses maps exchange error codes (as strings, as they appear in bodies
// and logs) to causes, per exchange. Source: shared/reference/exchanges.md.
var codeCauses = map[string]map[string]Cause{
	"binance": {
		"-1021": CauseClock, "-1022": CauseSignature, "-2014": CauseKey,
		"-2015": CauseAmbiguousAuth, "-1002": CauseAmbiguousAuth, "-1003": CauseRateLimit,
	},
	"bybit": {
		"10002": CauseClock, "10010": CauseIP, "10005": CausePermission, "10004": CauseSignature,
		"10003": CauseKey, "10007": CauseKey, "33004": CauseKey, "10006": CauseRateLimit,
	},
	"okx": {
		"50102": CauseClock, "50112": CauseClock, "50110": CauseIP, "50121": CauseIP, "50035": CauseIP,
		"50120": CausePermission, "50030": CausePermission, "50113": CauseSignature,
		"50111": CauseKey, "50119": CauseKey, "50101": CauseKey, "50105": CauseKey,
		"50011": CauseRateLimit, "50061": CauseRateLimit, "50013": CauseRateLimit,
	},
	"kucoin": {
		"400002": CauseClock, "400006": CauseIP, "400007": CausePermission, "400005": CauseSignature,
		"400003": CauseKey, "400004": CauseKey, "400001": CauseKey, "411100": CauseKey,
		"429000": CauseRateLimit, "200002": CauseRateLimit,
	},
	// Coinbase Advanced returns gRPC-style error names (unverified against
	// the live API; its 401 is ambiguous-auth in coinbase.go).
	"coinbase": {
		"PERMISSION_DENIED": CausePermission, "UNAUTHENTICATED": CauseAmbiguousAuth,
		"RATE_LIMIT_EXCEEDED": CauseRateLimit,
	},
	"kraken": {
		"EAPI:Invalid nonce": CauseClock, "EGeneral:Permission denied": CausePermission,
		"EAPI:Invalid signature": CauseSignature, "EAPI:Invalid key": CauseKey,
		"EGeneral:Temporary lockout": CauseKey, "EAPI:Rate limit exceeded": CauseRateLimit,
		"EOrder:Rate limit exceeded": CauseRateLimit, "EGeneral:Too many requests": CauseRateLimit,
		"EService:Unavailable": CauseServer, "EService:Busy": CauseServer,
	},
}

// ClassifyCode returns the cause of an exchange error code. exchange may be
// "" when unknown (a log line that does not say): then a code is classified
// only if it means the same on every exchange that uses it.
func ClassifyCode(exchange, code string) Cause {
	code = strings.TrimSpace(code)
	if code == "" {
		return CauseNone
	}
	if exchange != "" {
		if c, ok := codeCauses[exchange][code]; ok {
			return c
		}
		return CauseNone
	}
	var found Cause
	for _, m := range codeCauses {
		if c, ok := m[code]; ok {
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
	out := make(map[string]Cause, len(codeCauses[exchange]))
	for k, v := range codeCauses[exchange] {
		out[k] = v
	}
	return out
}
