package checks

import (
	"slices"
	"testing"

	"github.com/keywarden/keywarden/exchange"
)

// The verdict reads key.permissions' typed judgement: every risk the check
// reports keeps a key from being stored without the risk screen.
func TestJudgeVerdict(t *testing.T) {
	Y, N, U := exchange.Yes, exchange.No, exchange.Unknown
	perm := func(p exchange.Permissions, ipr exchange.Tri, needs ...string) []Result {
		r := judgePermissions(exchange.KeyInfo{Permissions: settled(p), IPRestricted: ipr}, needs, "binance")
		r.ID = "key.permissions"
		return []Result{r}
	}
	failed := unknownFromExchange("cannot read the key's permissions",
		&exchange.Error{Exchange: "binance", Op: "key info", Code: "-2015", Cause: exchange.CauseAmbiguousAuth, Message: "Invalid API-key, IP, or permissions for action."})
	failed.ID = "key.permissions"
	for _, c := range []struct {
		name    string
		rs      []Result
		risks   []Risk
		missing int
		failed  bool
	}{
		{"trade restricted", perm(exchange.Permissions{Read: Y, Trade: Y}, Y), nil, 0, false},
		{"withdraw restricted", perm(exchange.Permissions{Read: Y, Trade: Y, Withdraw: Y}, Y), []Risk{RiskWithdraw}, 0, false},
		{"trade open", perm(exchange.Permissions{Read: Y, Trade: Y}, N), []Risk{RiskNoIPLimit}, 0, false},
		{"futures only open", perm(exchange.Permissions{Read: Y, Futures: Y}, N, "read", "futures"), []Risk{RiskNoIPLimit}, 0, false},
		{"read-only open", perm(exchange.Permissions{Read: Y}, N, "read"), nil, 0, false},
		{"trade unknown restriction", perm(exchange.Permissions{Read: Y, Trade: Y}, U), []Risk{RiskIPUnknown}, 0, false},
		{"both", perm(exchange.Permissions{Read: Y, Trade: Y, Withdraw: Y}, N), []Risk{RiskWithdraw, RiskNoIPLimit}, 0, false},
		{"unrecognised name", perm(exchange.Permissions{Read: Y, Trade: Y, Unrecognized: "SuperPower"}, Y), []Risk{RiskUnknownPermission}, 0, false},
		{"missing", perm(exchange.Permissions{Read: Y}, Y), nil, 1, false},
		{"ambiguous rejection", []Result{failed}, nil, 0, true},
	} {
		v := judgeVerdict(c.rs)
		if !slices.Equal(v.Risks, c.risks) || len(v.Missing) != c.missing || v.Failed != c.failed {
			t.Errorf("%s: risks %v missing %v failed %v", c.name, v.Risks, v.Missing, v.Failed)
		}
		if v.Acceptable() != (len(c.risks) == 0 && c.missing == 0 && !c.failed) {
			t.Errorf("%s: acceptable %v", c.name, v.Acceptable())
		}
		for _, r := range v.Risks {
			if r.Name() == string(r) || r.Explain() == string(r) {
				t.Errorf("%s: risk %q has no words", c.name, r)
			}
		}
	}
	if c := failed.Details["cause"]; c != string(exchange.CauseAmbiguousAuth) {
		t.Errorf("cause %v", c)
	}
}
