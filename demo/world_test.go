package demo

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/checks/all"
)

func TestWorldReport(t *testing.T) {
	ctx := context.Background()
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	w, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := w.Dir
	deps := checks.Deps{Config: w.Config, Store: w.Store, Timeout: 5 * time.Second,
		Extra: all.Extra(w.scanCache())}
	env := checks.NewEnv(deps)
	rep := checks.Run(ctx, env, checks.Build(deps, checks.Options{}))
	var buf bytes.Buffer
	if err := checks.WriteText(&buf, rep, false); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + buf.String())
	// kucoin-spot is the healthy profile: every result of its own is ok.
	n := 0
	for _, r := range rep.Checks {
		if r.Profile == "kucoin-spot" {
			n++
			if r.Status != checks.OK {
				t.Errorf("%s kucoin-spot: %s %q, want ok", r.ID, r.Status, r.Summary)
			}
		}
	}
	if n == 0 {
		t.Error("no result for kucoin-spot")
	}
	// The history scan Start began is joined, not lost: the key is found.
	found := false
	for _, r := range rep.Checks {
		if r.ID == "hygiene.history" && r.Profile == "binance-main" {
			found = r.Status == checks.Crit
			t.Logf("hygiene.history: %s %s", r.Status, r.Summary)
		}
	}
	if !found {
		t.Error("hygiene.history binance-main is not crit: the secret in the project's history was missed")
	}
	w.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("world dir %s left behind", dir)
	}
	for _, s := range w.Secrets {
		if strings.Contains(buf.String(), s.Reveal()) {
			t.Fatal("a demo secret appears in the report")
		}
	}
}
