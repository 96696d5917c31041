package e2e

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// TestRedteamFindsNothing runs scripts/redteam.sh, the canary hunt of
// issue 14: canary secrets stored in both keystores, every command run,
// and nothing they output or leave (files, child environments, webhook
// deliveries, a core of a SIGQUIT'ed watch) may hold one.
func TestRedteamFindsNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("the canary hunt takes about a minute")
	}
	for _, p := range []string{"bash", "git", "python3", "curl", "timeout"} {
		testutil.LookPath(t, p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "../scripts/redteam.sh")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("redteam.sh: %v", err)
	}
	if !strings.Contains(string(out), "found: nothing") {
		t.Fatal("redteam.sh did not say it found nothing")
	}
}
