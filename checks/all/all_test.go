package all

import (
	"slices"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
)

// A profile with everything configured gets every check: each built check
// has a spec with its scope, and each spec has a check. Forgetting either
// half of a registration fails here.
func TestEverySpecHasACheckAndEveryCheckASpec(t *testing.T) {
	cfg := &config.Config{Profiles: []config.Profile{{
		Name: "bot", Exchange: "binance", Project: t.TempDir(), AuditLog: "/var/log/bot.log",
	}}}
	built := map[string]bool{}
	for _, c := range checks.Build(checks.Deps{Config: cfg, Extra: Extra(t.TempDir())}, checks.Options{}) {
		s, ok := checks.SpecFor(c.ID())
		if !ok {
			t.Errorf("check %q has no spec in checks/spec.go", c.ID())
			continue
		}
		if s.Host != (c.Profile() == "") {
			t.Errorf("check %q: spec says host=%v, built with profile %q", c.ID(), s.Host, c.Profile())
		}
		built[c.ID()] = true
	}
	for _, s := range checks.Specs() {
		if !built[s.ID] {
			t.Errorf("spec %q has no check: add its constructor to checks' tables or to Extra", s.ID)
		}
		if s.Every <= 0 {
			t.Errorf("spec %q has no cadence", s.ID)
		}
		if s.Host == (s.Label == "") {
			t.Errorf("spec %q: host-scope checks need a label, profile-scope ones must not have one", s.ID)
		}
		if s.Section < 0 || s.Section >= checks.NumSections {
			t.Errorf("spec %q: section %d out of range", s.ID, s.Section)
		}
	}
	var ids []string
	for _, s := range checks.Specs() {
		ids = append(ids, s.ID)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(ids)))) != len(ids) {
		t.Errorf("duplicate spec ids: %v", ids)
	}
}

// --offline leaves out exactly the checks whose spec says they need the
// network.
func TestOfflineFollowsTheSpecs(t *testing.T) {
	cfg := &config.Config{Profiles: []config.Profile{{
		Name: "bot", Exchange: "binance", Project: t.TempDir(), AuditLog: "/var/log/bot.log",
	}}}
	got := map[string]bool{}
	for _, c := range checks.Build(checks.Deps{Config: cfg, Extra: Extra(t.TempDir())}, checks.Options{Offline: true}) {
		got[c.ID()] = true
	}
	for _, s := range checks.Specs() {
		if got[s.ID] == s.Network {
			t.Errorf("offline: %q built=%v, spec network=%v", s.ID, got[s.ID], s.Network)
		}
	}
}
