// Package all lists the checks built outside package checks, so that
// `check`, the exec gate, the dashboard, watch and the demo all run the same
// set. A check's facts (section, cadence, scope, network) are its spec in
// package checks; its constructor is listed here or in checks' own tables.
package all

import (
	"github.com/keywarden/keywarden/activity"
	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/leaks/leakcheck"
)

// Extra returns the per-profile constructors for checks.Deps.Extra.
// cacheDir is the git-history scan cache ("" for the default).
func Extra(cacheDir string) []func(config.Profile) checks.Check {
	return append([]func(config.Profile) checks.Check{auditlog.NewCheck, leakcheck.History(cacheDir)}, activity.Checks("")...)
}
