package activity

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

const profileName = "bot"

// world is one profile against one fake exchange, with the bot's audit
// log and a state directory that outlives each run (a restart is a new
// set of checks over the same directory).
type world struct {
	t       *testing.T
	profile config.Profile
	store   keystore.Store
	state   string
	// now, when set, is every run's clock.
	now func() time.Time
	// fundsAt is the clock of the funds runs on an exchange whose history
	// is read at most every fundsEvery: each run is that much after the
	// last, so each reads. It starts an hour behind the real clock, since
	// the fakes stamp records with the real time and an adapter asks for
	// nothing after its own now.
	fundsAt time.Time
}

func newWorld(t *testing.T, exchangeName, baseURL string, item keystore.Item, withLog bool) *world {
	t.Helper()
	dir := t.TempDir()
	p := config.Profile{Name: profileName, Exchange: exchangeName, BaseURL: baseURL}
	if withLog {
		p.AuditLog = filepath.Join(dir, "bot.log")
		if err := os.WriteFile(p.AuditLog, nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	st := keystore.NewMemory()
	if err := st.Set(context.Background(), profileName, item); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, profile: p, store: st, state: filepath.Join(dir, "state")}
}

// logOrder appends the bot's JSON line for an order it placed.
func (w *world) logOrder(symbol, orderID, clientID string) {
	w.t.Helper()
	line := map[string]any{"ts": time.Now().UTC().Format(time.RFC3339Nano), "level": "info", "event": "place_order",
		"method": "POST", "endpoint": "/api/v3/order", "status": 200, "symbol": symbol}
	if orderID != "" {
		line["order_id"] = orderID
	}
	if clientID != "" {
		line["client_order_id"] = clientID
	}
	b, _ := json.Marshal(line)
	f, err := os.OpenFile(w.profile.AuditLog, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	fmt.Fprintln(f, string(b))
}

// run is one poll of check id with a fresh Env, as watch's next tick.
func (w *world) run(id string) checks.Result {
	w.t.Helper()
	cfg := &config.Config{Profiles: []config.Profile{w.profile}}
	deps := checks.Deps{Config: cfg, Store: w.store, Timeout: 5 * time.Second, Now: w.now}
	if every := fundsEvery(w.profile.Exchange); w.now == nil && id == FundsID && every > 0 {
		if w.fundsAt.IsZero() {
			w.fundsAt = time.Now().Add(-time.Hour)
		}
		w.fundsAt = w.fundsAt.Add(every)
		at := w.fundsAt
		deps.Now = func() time.Time { return at }
	}
	for _, mk := range Checks(w.state) {
		c := mk(w.profile)
		if c == nil || c.ID() != id {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.Run(ctx, checks.NewEnv(deps))
	}
	w.t.Fatalf("no %s check for %s", id, w.profile.Exchange)
	return checks.Result{}
}

// want runs check id and fails unless its status is st.
func (w *world) want(id string, st checks.Status) checks.Result {
	w.t.Helper()
	r := w.run(id)
	if r.Status != st {
		w.t.Fatalf("%s: %s %q (hint %q), want %s", id, r.Status, r.Summary, r.Hint, st)
	}
	return r
}

func (w *world) ack(ids ...string) {
	w.t.Helper()
	if err := Ack(context.Background(), w.state, profileName, ids, time.Now()); err != nil {
		w.t.Fatal(err)
	}
}

func foreignIDs(r checks.Result) []string {
	fs, _ := r.Details["foreign"].([]Foreign)
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.OrderID)
	}
	return ids
}

func alarmIDs(r checks.Result) []string {
	ms, _ := r.Details["movements"].([]MovementView)
	var ids []string
	for _, m := range ms {
		if !m.Allowed {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func changes(r checks.Result) string {
	cs, _ := r.Details["changes"].([]Change)
	var out []string
	for _, c := range cs {
		out = append(out, c.Field+" "+c.Before+"→"+c.After)
	}
	return strings.Join(out, "; ")
}
