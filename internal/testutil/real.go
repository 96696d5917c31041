// Package testutil holds helpers shared by tests across packages.
package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireRealEnv is the variable CI sets so that tests needing a real part
// (Secret Service, chronyd, faketime, git, tmux) fail instead of skipping.
const RequireRealEnv = "KEYWARDEN_REQUIRE_REAL"

// Required reports whether real parts are mandatory in this run.
func Required() bool { return os.Getenv(RequireRealEnv) != "" }

// MissingReal skips the test with a clear message locally, and fails it when
// KEYWARDEN_REQUIRE_REAL is set (CI).
func MissingReal(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("real part missing (required because "+RequireRealEnv+" is set): "+format, args...)
	}
	t.Skipf("skipping, real part missing (run scripts/test.sh to install it): "+format, args...)
}

// LookPath returns the path of a program the test needs, or skips/fails via
// MissingReal.
func LookPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		MissingReal(t, "%s not on PATH", name)
	}
	return p
}
