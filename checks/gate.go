package checks

import "fmt"

// GatePolicy is how `exec`'s pre-launch gate judges a report.
type GatePolicy struct {
	// Strict refuses while any check is unknown (exec --strict, config
	// gate.unknown = "refuse").
	Strict bool
}

// GateFinding is one result that refuses the start, and why in a line.
type GateFinding struct {
	Result Result
	Why    string
}

// GateVerdict is the gate's judgement of a report for the bot's profile.
type GateVerdict struct {
	Refuse []GateFinding // empty: the bot may start
	Notes  []string      // findings that would refuse but do not, and why
}

// JudgeGate decides whether the bot for profile may start on rep:
//
//   - a crit refuses, except clock.ntp while the profile's exchange vouches
//     for the host's clock (its own server time agrees within its signature
//     window: clock.exchange ok or warn, for an exchange with a timestamp
//     window): signed requests are accepted, so NTP's disagreement is a
//     warning;
//   - key.permissions unknown for the profile refuses: the bot would run
//     with permissions and IP restriction nobody verified (an exchange that
//     did not answer in time, an ambiguous rejection);
//   - with Strict, any unknown check refuses.
//
// --force is the caller's: it starts the bot whatever the verdict.
func JudgeGate(rep Report, profile string, pol GatePolicy) GateVerdict {
	var v GateVerdict
	vouch, vouched := exchangeVouches(rep, profile)
	for _, r := range rep.Checks {
		switch {
		case r.Status == Crit && r.ID == "clock.ntp" && vouched:
			v.Notes = append(v.Notes, fmt.Sprintf("clock.ntp is critical, but %s: a warning, not a refusal", vouch))
		case r.Status == Crit:
			v.Refuse = append(v.Refuse, GateFinding{r, r.Summary})
		case r.Status == Unknown && r.ID == "key.permissions" && r.Profile == profile:
			v.Refuse = append(v.Refuse, GateFinding{r, "permissions not verified: " + r.Summary})
		case r.Status == Unknown && pol.Strict:
			v.Refuse = append(v.Refuse, GateFinding{r, "unknown (strict): " + r.Summary})
		}
	}
	return v
}

// exchangeVouches reports whether the profile's clock.exchange result says
// a request signed now is accepted with room to spare, and says so in words.
func exchangeVouches(rep Report, profile string) (string, bool) {
	for _, r := range rep.Checks {
		if r.ID != "clock.exchange" || r.Profile != profile || (r.Status != OK && r.Status != Warn) {
			continue
		}
		if r.Details["window_ms"] == nil { // nonce exchanges say nothing about the clock
			return "", false
		}
		off, _ := r.Details["offset_ms"].(float64)
		return fmt.Sprintf("the exchange's own clock agrees with this host (offset %s, within its window)",
			fmtSignedMS(off)), true
	}
	return "", false
}
