package checks

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange"
	"github.com/keywarden/keywarden/keystore"
)

// This file is the verdict on a candidate key, for the add wizard, `rotate`
// and `rotate --from`: the same checks and judge as the dashboard, run
// against a memory keystore that holds only the candidate.

// wizardCheckIDs are the checks a candidate key is judged by, in the order
// the wizard shows them: the same checks, code and rendering the dashboard
// uses for the profile.
var wizardCheckIDs = []string{"clock.exchange", "ip.whitelist", "key.permissions"}

// Risk is a property of a key that the wizard refuses unless the user
// accepts it on a second screen.
type Risk string

// Risks.
const (
	RiskWithdraw          Risk = "withdraw"           // withdrawals enabled
	RiskNoIPLimit         Risk = "no-ip-limit"        // can move value from any IP
	RiskIPUnknown         Risk = "ip-limit-unknown"   // can move value; restriction unreadable
	RiskUnknownPermission Risk = "unknown-permission" // a permission name keywarden does not know
)

// Name is the risk in a few words ("no IP restriction").
func (r Risk) Name() string {
	switch r {
	case RiskWithdraw:
		return "withdrawals enabled"
	case RiskNoIPLimit:
		return "no IP restriction"
	case RiskIPUnknown:
		return "IP restriction unknown"
	case RiskUnknownPermission:
		return "unrecognised permission"
	}
	return string(r)
}

// Explain says what the risk means to the user.
func (r Risk) Explain() string {
	switch r {
	case RiskWithdraw:
		return "Withdrawals are enabled: anyone who gets this key and secret can send your funds off the exchange. A trading bot never needs this."
	case RiskNoIPLimit:
		return "The key has no effective IP restriction and can move value: a leaked key works from anywhere in the world, not only from this server."
	case RiskIPUnknown:
		return "The exchange's answer does not show whether the key is IP-restricted, and it can move value: if it is not, a leaked key works from anywhere."
	case RiskUnknownPermission:
		return "The key has a permission keywarden does not know: what it allows (perhaps moving funds) cannot be checked."
	}
	return string(r)
}

// Verdict is the live validation of a candidate key.
type Verdict struct {
	Results []Result // clock.exchange, ip.whitelist, key.permissions
	// Failed is set when the exchange did not accept the key or could not
	// be asked; Cause is the classified reason.
	Failed bool
	Cause  exchange.Cause
	// Missing lists permissions in needs that the key lacks.
	Missing []string
	Risks   []Risk
	// Created and Expires are the key's dates as the exchange reports
	// them; zero when it does not.
	Created, Expires time.Time
}

// Acceptable reports whether the key may be stored without the risk screen.
func (v Verdict) Acceptable() bool { return !v.Failed && len(v.Missing) == 0 && len(v.Risks) == 0 }

// Validate judges the key in it for profile p live against the exchange,
// running the checks engine's clock.exchange, ip.whitelist and
// key.permissions checks with an in-memory keystore that holds only the
// candidate key. cfg supplies the IP sources; hc nil is the default client.
func Validate(ctx context.Context, cfg *config.Config, p config.Profile, it keystore.Item, hc *http.Client) Verdict {
	mem := keystore.NewMemory()
	_ = mem.Set(ctx, p.Name, it) // the memory store fails only on a done ctx; the checks then say so
	c := config.Config{}
	if cfg != nil {
		c = *cfg
	}
	c.Profiles = []config.Profile{p}
	deps := Deps{Config: &c, Store: mem, HTTP: hc}
	var cs []Check
	for _, ch := range Build(deps, Options{Profiles: []string{p.Name}}) {
		if ch.Profile() == p.Name && slices.Contains(wizardCheckIDs, ch.ID()) {
			cs = append(cs, ch)
		}
	}
	rep := Run(ctx, NewEnv(deps), cs)
	return judgeVerdict(rep.Checks)
}

// judgeVerdict reads the verdict out of the checks' results: the risks
// from key.permissions' typed judgement, the same one the check, the
// dashboard and the exec gate use.
func judgeVerdict(rs []Result) Verdict {
	v := Verdict{Results: rs}
	for _, r := range rs {
		if r.ID != "key.permissions" {
			continue
		}
		j := r.key
		if j == nil {
			// The exchange did not answer (or the check could not run).
			v.Failed = true
			if c, _ := r.Details["cause"].(string); c != "" {
				v.Cause = exchange.Cause(c)
			}
			continue
		}
		if j.Granted.Withdraw == exchange.Yes {
			v.Risks = append(v.Risks, RiskWithdraw)
		}
		if j.Exposed() {
			switch j.Restriction.State {
			case exchange.No:
				v.Risks = append(v.Risks, RiskNoIPLimit)
			case exchange.Unknown:
				v.Risks = append(v.Risks, RiskIPUnknown)
			}
		}
		if len(j.Unrecognized) > 0 {
			v.Risks = append(v.Risks, RiskUnknownPermission)
		}
		v.Missing = j.Missing
		v.Created, v.Expires = j.Created, j.Expires
	}
	return v
}

// CauseText explains a classified cause of a rejected key in the user's
// terms.
func CauseText(c exchange.Cause) string {
	switch c {
	case exchange.CauseSignature:
		return "bad signature: the secret does not belong to this key (check for a missing character when pasting)"
	case exchange.CauseKey:
		return "the exchange does not know this key: it was mistyped, deleted, or is for another host (testnet vs production)"
	case exchange.CauseAmbiguousAuth:
		return "the exchange rejected the key, this IP or the permission without saying which: check the key and its IP whitelist"
	case exchange.CauseIP:
		return "the exchange rejected this server's IP: add it to the key's whitelist on the exchange"
	case exchange.CauseClock:
		return "the exchange rejected the timestamp: fix this host's clock"
	case exchange.CausePermission:
		return "the key may not read its own permissions: enable read access"
	case exchange.CauseRateLimit:
		return "rate limited by the exchange: wait a minute and try again"
	case exchange.CauseNetwork, exchange.CauseTimeout, exchange.CauseServer, exchange.CauseMalformed:
		return "the exchange did not answer properly (" + string(c) + "): check the network or the base URL"
	case exchange.CauseNone:
		return "the key could not be checked"
	}
	return "the exchange rejected the key (" + string(c) + ")"
}

// OldKey is what the exchange said about the replaced key after a rotation.
type OldKey int

// OldKey states.
const (
	OldKeyUnknown  OldKey = iota // could not be tested (network, server)
	OldKeyValid                  // still accepted: revoke it now
	OldKeyRevoked                // rejected as unknown
	OldKeyRejected               // rejected without saying why (Binance -2015): most likely revoked
)

// OldKeyResult is the outcome of testing the replaced key.
type OldKeyResult struct {
	State OldKey
	Err   error // the exchange's error (never holds a secret)
}

// CheckOldKey asks the exchange about the replaced key: a key it still
// accepts must be revoked by hand. The request is signed with the server's
// clock so a skewed host does not mistake a valid key for a revoked one.
func CheckOldKey(ctx context.Context, p config.Profile, old keystore.Item, hc *http.Client) OldKeyResult {
	c, err := exchange.New(p.Exchange, p.BaseURL, hc)
	if err != nil {
		return OldKeyResult{State: OldKeyUnknown, Err: err}
	}
	var off time.Duration
	if s, err := c.ServerTime(ctx); err == nil {
		off = s.Offset()
	}
	_, err = c.KeyInfo(ctx, old, off)
	switch cause := exchange.CauseOf(err); {
	case err == nil:
		return OldKeyResult{State: OldKeyValid}
	case cause == exchange.CauseKey:
		return OldKeyResult{State: OldKeyRevoked, Err: err}
	case cause == exchange.CauseAmbiguousAuth:
		return OldKeyResult{State: OldKeyRejected, Err: err}
	default:
		var xe *exchange.Error
		if !errors.As(err, &xe) {
			err = fmt.Errorf("testing the old key: %w", err)
		}
		return OldKeyResult{State: OldKeyUnknown, Err: err}
	}
}
