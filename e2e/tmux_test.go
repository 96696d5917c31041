package e2e

import (
	"os"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
)

// newTerm is a w × h terminal running sh with a clean environment: nothing
// of the developer's (no keyring bus, no KEYWARDEN_* variables) reaches the
// demo.
func newTerm(t *testing.T, w, h int) *testutil.Term {
	t.Helper()
	tm := testutil.NewTerm(t, testutil.WithCleanEnv("PATH="+os.Getenv("PATH"), "HOME="+t.TempDir(), "TERM=xterm-256color", "PS1=$ "))
	tm.Start(w, h, "sh")
	return tm
}
