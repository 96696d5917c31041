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
	if gap := readGap(w.profile.Exchange, id); w.now == nil && gap > 0 {
		// A check whose reads are spaced on this exchange reads on every
		// run here: its last read is moved a gap back, as if watch's
		// ticks had passed in between.
		w.age(id, gap)
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

// age moves check id's last read (the state's cursor) d back.
func (w *world) age(id string, d time.Duration) {
	w.t.Helper()
	path := filepath.Join(w.state, profileName, strings.TrimPrefix(id, "activity.")+".json")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return // the first run: nothing read yet
	}
	if err != nil {
		w.t.Fatal(err)
	}
	var st map[string]json.RawMessage
	if err := json.Unmarshal(b, &st); err != nil {
		w.t.Fatalf("%s: %v", path, err)
	}
	var at time.Time
	if err := json.Unmarshal(st["cursor"], &at); err != nil {
		w.t.Fatalf("%s: cursor: %v", path, err)
	}
	if st["cursor"], err = json.Marshal(at.Add(-d)); err != nil {
		w.t.Fatal(err)
	}
	if b, err = json.Marshal(st); err != nil {
		w.t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		w.t.Fatal(err)
	}
}
