package auditlog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// CheckID is the stable id of the audit-log check.
const CheckID = "auditlog"

// SecretsFunc returns the stored secrets of a profile (API key, secret,
// passphrase) for leak detection.
type SecretsFunc func(ctx context.Context) ([]keystore.Secret, error)

// RunCheck runs the `auditlog` check for a profile: it scans the last hour
// of the profile's audit log, redacting and counting stored secrets, and
// classifies errors. secrets may be nil (no leak detection: the result is
// then unknown at best, since a leak could not be ruled out).
func RunCheck(ctx context.Context, p config.Profile, secrets SecretsFunc, now time.Time) checks.Result {
	start := time.Now()
	res := runCheck(ctx, p, secrets, now)
	res.Duration = time.Since(start)
	return res
}

func runCheck(ctx context.Context, p config.Profile, secrets SecretsFunc, now time.Time) checks.Result {
	if p.AuditLog == "" {
		return checks.Result{ID: CheckID, Profile: p.Name, Status: checks.OK,
			Summary: "no audit log configured",
			Hint:    "set audit_log in the profile to the bot's log file to watch its errors",
			Details: map[string]any{"path": nil}}
	}
	parser := &Parser{Exchange: p.Exchange}
	var secretErr error
	if secrets == nil {
		secretErr = errors.New("no keystore")
	} else if ss, err := secrets(ctx); err != nil {
		secretErr = err
	} else {
		parser.Redactor = NewRedactor(ss)
	}
	scan, err := Scan(ctx, p.AuditLog, parser, now)
	return CheckResult(p.Name, p.AuditLog, scan, err, secretErr)
}

// CheckResult builds the `auditlog` result from a Scan of path. scanErr is
// Scan's error; secretsErr, when set, means stored secrets could not be
// read, so leaks were not looked for.
//
// Status: a stored secret in the log is crit; auth failures (clock, ip,
// permission, signature, key, ambiguous-auth) or rate limits in the last hour
// warn, naming the causes; a log that cannot be read is unknown.
func CheckResult(profile, path string, scan ScanResult, scanErr, secretsErr error) checks.Result {
	r := checks.Result{ID: CheckID, Profile: profile, Details: map[string]any{"path": path}}
	if scanErr != nil {
		r.Status = checks.Unknown
		if errors.Is(scanErr, os.ErrNotExist) {
			r.Summary = "audit log not found"
			r.Hint = fmt.Sprintf("check audit_log (%s) or start the bot; keywarden reads the file the bot writes", path)
		} else {
			r.Summary = "audit log unreadable"
			r.Hint = fmt.Sprintf("%v", scanErr)
		}
		return r
	}
	causes := map[string]int{}
	for c, n := range scan.CausesHour {
		causes[string(c)] = n
	}
	var last any
	if !scan.LastEntryAt.IsZero() {
		last = scan.LastEntryAt.UTC().Format(time.RFC3339)
	}
	r.Details["last_entry_at"] = last
	r.Details["entries_last_hour"] = scan.EntriesHour
	r.Details["errors_last_hour"] = scan.ErrorsHour
	r.Details["causes"] = causes
	r.Details["scanned_bytes"] = scan.ScannedBytes
	if secretsErr != nil {
		r.Details["secret_leaks"] = nil
	} else {
		r.Details["secret_leaks"] = scan.LeakLines
	}

	auth, authN := scan.AuthFailuresHour()
	rate := scan.CausesHour[exchange.CauseRateLimit]
	switch {
	case scan.LeakLines > 0 && secretsErr == nil:
		r.Status = checks.Crit
		r.Summary = fmt.Sprintf("stored secret found in the audit log (%d %s)", scan.LeakLines, plural(scan.LeakLines, "line", "lines"))
		r.Hint = fmt.Sprintf("rotate the key (keywarden rotate %s), stop the bot logging it, then scrub or delete the log", profile)
	case authN > 0:
		r.Status = checks.Warn
		r.Summary = fmt.Sprintf("%d %s in the last hour: %s", authN, plural(authN, "auth failure", "auth failures"), causeList(auth))
		r.Hint = CauseHint(topCause(auth))
	case rate > 0:
		r.Status = checks.Warn
		r.Summary = fmt.Sprintf("%d %s in the last hour", rate, plural(rate, "rate-limit error", "rate-limit errors"))
		r.Hint = CauseHint(exchange.CauseRateLimit)
	case scan.EntriesHour == 0:
		r.Status = checks.OK
		r.Summary = "no entries in the last hour"
	default:
		r.Status = checks.OK
		r.Summary = fmt.Sprintf("%d %s, %d %s in the last hour, no auth failures", scan.EntriesHour, plural(scan.EntriesHour, "entry", "entries"),
			scan.ErrorsHour, plural(scan.ErrorsHour, "error", "errors"))
	}
	if secretsErr != nil {
		r.Status = checks.Worst(r.Status, checks.Unknown)
		r.Summary += "; secret-leak scan skipped"
		if r.Hint == "" {
			r.Hint = fmt.Sprintf("stored secrets unavailable (%v): fix the keystore to scan for leaks", secretsErr)
		}
	}
	return r
}

// causeList renders {"clock":3,"ip":1} as "clock (3), ip (1)", most first.
func causeList(m map[exchange.Cause]int) string {
	type kv struct {
		c exchange.Cause
		n int
	}
	var l []kv
	for c, n := range m {
		l = append(l, kv{c, n})
	}
	sort.Slice(l, func(i, j int) bool {
		if l[i].n != l[j].n {
			return l[i].n > l[j].n
		}
		return l[i].c < l[j].c
	})
	parts := make([]string, len(l))
	for i, x := range l {
		parts[i] = fmt.Sprintf("%s (%d)", x.c, x.n)
	}
	return strings.Join(parts, ", ")
}

func topCause(m map[exchange.Cause]int) exchange.Cause {
	var best exchange.Cause
	bn := -1
	for c, n := range m {
		if n > bn || n == bn && c < best {
			best, bn = c, n
		}
	}
	return best
}

// CauseHint says what to do about a cause, in one line.
func CauseHint(c exchange.Cause) string {
	switch c {
	case exchange.CauseClock:
		return "the host clock is off for the exchange: check chrony/NTP (Clock pane, keywarden check)"
	case exchange.CauseIP:
		return "this host's egress IP is not on the key's whitelist: add it on the exchange"
	case exchange.CausePermission:
		return "the key lacks a permission the bot uses: grant it on the exchange or fix the bot's calls"
	case exchange.CauseSignature:
		return "signatures are rejected: the stored secret or the bot's signing code is wrong; re-import the key"
	case exchange.CauseKey:
		return "the exchange does not accept the key (wrong, expired or deleted): rotate it with keywarden rotate"
	case exchange.CauseAmbiguousAuth:
		return "the exchange refused the key without saying why (key, IP or permission): run keywarden check"
	case exchange.CauseRateLimit:
		return "the bot exceeds the exchange's rate limit: slow it down; repeated 429s end in an IP ban (418)"
	case exchange.CauseNetwork, exchange.CauseTimeout:
		return "the exchange is unreachable from this host: check DNS, routes and the exchange's status page"
	case exchange.CauseServer:
		return "the exchange reports server errors: check its status page"
	}
	return ""
}

// NewCheck returns the `auditlog` check for a profile, for checks.Deps.Extra,
// or nil when the profile has no audit_log. It looks for every stored value
// of every item, current and retired, not only the profile's: a bot may log
// another bot's key, and logs are shared. Items are read through the shared
// Env (one keystore read per item per run).
func NewCheck(p config.Profile) checks.Check {
	if p.AuditLog == "" {
		return nil
	}
	return checks.Func{CheckID: CheckID, ProfileName: p.Name, Fn: func(ctx context.Context, env *checks.Env) checks.Result {
		secrets := func(ctx context.Context) ([]keystore.Secret, error) { return everyStored(ctx, env) }
		return RunCheck(ctx, p, secrets, env.Now())
	}}
}

// everyStored returns the values of every item in env's store. An item that
// cannot be read is an error: a leak of it could not be ruled out.
func everyStored(ctx context.Context, env *checks.Env) ([]keystore.Secret, error) {
	st, err := env.Store()
	if err != nil {
		return nil, err
	}
	names, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []keystore.Secret
	for _, n := range names {
		it, err := env.Item(ctx, n)
		if errors.Is(err, keystore.ErrNotFound) {
			continue // deleted between List and Get
		}
		if err != nil {
			return nil, fmt.Errorf("reading stored key for %s: %w", n, err)
		}
		out = append(out, it.Secrets()...)
	}
	return out, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
