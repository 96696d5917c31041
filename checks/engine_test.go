package checks

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

func TestRunnerSurvivesPanicAndHang(t *testing.T) {
	env := NewEnv(Deps{Timeout: 300 * time.Millisecond, Hostname: "h"})
	release := make(chan struct{})
	defer close(release)
	cs := []Check{
		Func{CheckID: "test.ok", Fn: func(context.Context, *Env) Result { return Result{Status: OK, Summary: "fine"} }},
		Func{CheckID: "test.panic", ProfileName: "p", Fn: func(context.Context, *Env) Result { panic("boom") }},
		// Ignores its context entirely.
		Func{CheckID: "test.hang", Fn: func(context.Context, *Env) Result { <-release; return Result{Status: OK} }},
	}
	rep := Run(context.Background(), env, cs)
	if len(rep.Checks) != 3 {
		t.Fatalf("%d results", len(rep.Checks))
	}
	ok, pan, hang := rep.Checks[0], rep.Checks[1], rep.Checks[2]
	if ok.Status != OK || ok.ID != "test.ok" || ok.Details == nil {
		t.Errorf("ok check: %+v", ok)
	}
	if pan.Status != Unknown || pan.ID != "test.panic" || pan.Profile != "p" || !strings.Contains(pan.Summary, "boom") {
		t.Errorf("panicking check: %+v", pan)
	}
	if hang.Status != Unknown || !strings.Contains(hang.Summary, "no answer within 300ms") {
		t.Errorf("hanging check: %+v", hang)
	}
	if rep.Status != Unknown || rep.Overall(true) != Crit || rep.Version != 1 || rep.Host != "h" {
		t.Errorf("report: status %v strict %v version %d host %q", rep.Status, rep.Overall(true), rep.Version, rep.Host)
	}
}

func TestOverallAndExitCodes(t *testing.T) {
	for _, tt := range []struct {
		ss     []Status
		strict bool
		want   Status
		code   int
	}{
		{nil, false, OK, 0},
		{[]Status{OK, Warn}, false, Warn, 1},
		{[]Status{Warn, Unknown}, false, Unknown, 3},
		{[]Status{Warn, Unknown}, true, Crit, 2},
		{[]Status{Unknown, Crit, OK}, false, Crit, 2},
	} {
		var r Report
		for _, s := range tt.ss {
			r.Checks = append(r.Checks, Result{Status: s})
		}
		got := r.Overall(tt.strict)
		if got != tt.want || ExitCode(got) != tt.code {
			t.Errorf("%v strict=%v: %v (exit %d), want %v (exit %d)", tt.ss, tt.strict, got, ExitCode(got), tt.want, tt.code)
		}
	}
}

func TestBuildSelectsProfilesOfflineAndExtras(t *testing.T) {
	cfg := &config.Config{Profiles: []config.Profile{
		{Name: "a", Exchange: "binance", Project: "/tmp"},
		{Name: "b", Exchange: "okx"},
	}}
	ids := func(cs []Check) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID()+"/"+c.Profile())
		}
		return out
	}
	extra := func(p config.Profile) Check {
		if p.Name != "a" {
			return nil
		}
		return Func{CheckID: "auditlog", ProfileName: p.Name, Fn: func(context.Context, *Env) Result { return Result{} }}
	}
	all := ids(Build(Deps{Config: cfg, Extra: []func(config.Profile) Check{extra}}, Options{}))
	want := "clock.sync/ clock.ntp/ ip.public/ keystore/ clock.exchange/a ip.whitelist/a key.age/a key.permissions/a key.retired/a hygiene.files/a auditlog/a clock.exchange/b ip.whitelist/b key.age/b key.permissions/b key.retired/b"
	if strings.Join(all, " ") != want {
		t.Errorf("all checks:\n%s\nwant\n%s", strings.Join(all, " "), want)
	}
	off := ids(Build(Deps{Config: cfg}, Options{Offline: true, Profiles: []string{"b"}}))
	if strings.Join(off, " ") != "clock.sync/ keystore/ key.age/b" {
		t.Errorf("offline, profile b: %v", off)
	}
	if bad := UnknownProfiles(cfg, []string{"a", "zz"}); len(bad) != 1 || bad[0] != "zz" {
		t.Errorf("UnknownProfiles %v", bad)
	}
}

func TestMemoSharesInFlightWorkAndExpires(t *testing.T) {
	// The memo reads the injected clock: the test moves it past MaxAge.
	var clock atomic.Int64
	clock.Store(time.Date(2026, 11, 25, 16, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	env := NewEnv(Deps{MaxAge: 50 * time.Millisecond, Now: now})
	calls := 0
	m := cell[int](env, "x")
	f := func(context.Context) (int, error) { calls++; return calls, nil }
	a, _ := m.get(context.Background(), env, f)
	b, _ := m.get(context.Background(), env, f)
	if a != 1 || b != 1 {
		t.Fatalf("second call within MaxAge redid the work: %d %d", a, b)
	}
	clock.Add(int64(50 * time.Millisecond))
	if c, _ := m.get(context.Background(), env, f); c != 1 {
		t.Errorf("at exactly MaxAge got %d, want the memo", c)
	}
	clock.Add(int64(time.Millisecond))
	if c, _ := m.get(context.Background(), env, f); c != 2 {
		t.Errorf("after MaxAge got %d, want fresh work", c)
	}
	// A caller whose context ends early gives up; the work is not failed for
	// the next caller.
	slow := cell[int](env, "slow")
	done := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := slow.get(ctx, env, func(context.Context) (int, error) { <-done; return 7, nil }); err == nil {
		t.Error("cancelled caller got no error")
	}
	close(done)
	if v, err := slow.get(context.Background(), env, nil); v != 7 || err != nil {
		t.Errorf("next caller: %d %v, want the shared answer", v, err)
	}
}

func TestKeystoreCheck(t *testing.T) {
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pf := filepath.Join(dir, "pass")
	if err := os.WriteFile(pf, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := keystore.Open(ctx, keystore.Options{Backend: keystore.BackendFile, VaultPath: vault, PassphraseFile: pf, ScryptWorkFactor: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(ctx, "p", keystore.Item{APIKey: secret("k"), APISecret: secret("s")}); err != nil {
		t.Fatal(err)
	}
	run := func() Result {
		return RunOne(ctx, NewEnv(Deps{Store: st}), Func{CheckID: "keystore", Fn: runKeystore})
	}
	r := run()
	if r.Status != OK || r.Details["backend"] != "file" || r.Details["path"] != vault || r.Details["mode"] != "0600" {
		t.Errorf("0600 vault: %v %v", r.Status, r.Details)
	}
	if err := os.Chmod(vault, 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(); r.Status != Warn || r.Details["mode"] != "0644" {
		t.Errorf("0644 vault: %v %v", r.Status, r.Details)
	}
	if err := os.Chmod(vault, 0o666); err != nil {
		t.Fatal(err)
	}
	if r := run(); r.Status != Crit {
		t.Errorf("0666 vault: %v", r.Status)
	}
	r = RunOne(ctx, NewEnv(Deps{StoreErr: errTest("keyring not answering after 5s")}), Func{CheckID: "keystore", Fn: runKeystore})
	if r.Status != Unknown || !strings.Contains(r.Summary, "keyring not answering") {
		t.Errorf("no store: %v %q", r.Status, r.Summary)
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

// A check without a spec, or built with the wrong scope, is a wiring
// mistake: it reports unknown and says so instead of running unseen.
func TestUnregisteredCheckReportsUnknown(t *testing.T) {
	cfg := &config.Config{Profiles: []config.Profile{{Name: "a", Exchange: "binance"}}}
	ok := func(context.Context, *Env) Result { return Result{Status: OK, Summary: "fine"} }
	extra := []func(config.Profile) Check{
		func(p config.Profile) Check { return Func{CheckID: "made.up", ProfileName: p.Name, Fn: ok} },
		func(p config.Profile) Check { return Func{CheckID: "clock.sync", ProfileName: p.Name, Fn: ok} },
	}
	deps := Deps{Config: cfg, Extra: extra, Timeout: time.Second}
	rep := Run(context.Background(), NewEnv(deps), Build(deps, Options{Offline: true}))
	seen := 0
	for _, r := range rep.Checks {
		if r.Profile == "a" && (r.ID == "made.up" || r.ID == "clock.sync") {
			seen++
			if r.Status != Unknown || !strings.Contains(r.Summary, "not registered") {
				t.Errorf("%s/%s: %s %q, want unknown 'not registered'", r.ID, r.Profile, r.Status, r.Summary)
			}
		}
	}
	if seen != 2 {
		t.Errorf("saw %d of the 2 miswired checks in %+v", seen, rep.Checks)
	}
}
