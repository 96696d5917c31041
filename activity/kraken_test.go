package activity

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// TestKrakenKeyModifiedAndLastUsed: an edit of the key (its modifiedTime)
// is a change even when nothing else moved; its last use, which every poll
// of ours moves, is shown but never a change.
func TestKrakenKeyModifiedAndLastUsed(t *testing.T) {
	f := exchangetest.NewKraken(krakenTradingKey)
	t.Cleanup(f.Close)
	w := newWorld(t, "kraken", f.URL(), keystore.Item{APIKey: keystore.NewSecret(krakenTradingKey.Key),
		APISecret: keystore.NewSecret(krakenTradingKey.Secret)}, false)

	r := w.want(KeyID, checks.OK)
	first, _ := r.Details["last_used"].(string)
	if first == "" {
		t.Fatalf("details last_used %v, want the time Kraken reports", r.Details["last_used"])
	}
	// Kraken's clock an hour on: lastUsed moves, nothing is a change.
	f.SetSkew(time.Hour)
	r = w.want(KeyID, checks.OK)
	if last, _ := r.Details["last_used"].(string); last == first || last == "" {
		t.Errorf("last_used %q after an hour, was %q", last, first)
	}
	if c := changes(r); c != "" {
		t.Errorf("changes %q on a poll that only moved lastUsed", c)
	}

	edited := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	f.SetModifiedTime(krakenTradingKey.Key, edited)
	r = w.want(KeyID, checks.Crit)
	if c := changes(r); c != "modified 2026-03-03T13:04:55Z→2026-03-04T09:30:00Z" {
		t.Fatalf("changes %q, want only modified", c)
	}
	if !strings.Contains(r.Summary, "modified 2026-03-03T13:04:55Z → 2026-03-04T09:30:00Z") {
		t.Errorf("summary %q", r.Summary)
	}
	w.want(KeyID, checks.Crit) // until acknowledged
	w.ack(KeyAck)
	w.want(KeyID, checks.OK)
}

func TestDiffModified(t *testing.T) {
	const at, later = "2026-03-03T13:04:55Z", "2026-03-04T09:30:00Z"
	for _, c := range []struct {
		name, old, cur, want string
	}{
		{"unchanged", at, at, ""},
		{"edited", at, later, "modified " + at + "→" + later},
		{"no longer reported", at, "", "modified " + at + "→none"},
		// A snapshot from before keywarden read it, or another exchange.
		{"first reported", "", at, ""},
		{"never reported", "", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			for _, ch := range Diff(KeySnapshot{ModifiedAt: c.old}, KeySnapshot{ModifiedAt: c.cur}) {
				got = append(got, ch.Field+" "+ch.Before+"→"+ch.After)
			}
			if strings.Join(got, "; ") != c.want {
				t.Errorf("diff %q, want %q", got, c.want)
			}
		})
	}
}

// TestKrakenKeyWithoutModifiedTimeSaysSo: an answer whose modifiedTime is
// not unix seconds leaves an edit visible only by what it changed, and the
// blind spots say so.
func TestKrakenKeyWithoutModifiedTimeSaysSo(t *testing.T) {
	k := krakenTradingKey
	k.Info.ModifiedTime = "yesterday"
	f := exchangetest.NewKraken(k)
	t.Cleanup(f.Close)
	w := newWorld(t, "kraken", f.URL(), keystore.Item{APIKey: keystore.NewSecret(k.Key), APISecret: keystore.NewSecret(k.Secret)}, false)
	r := w.want(KeyID, checks.OK)
	blind, _ := r.Details["blind_spots"].([]string)
	if !slices.ContainsFunc(blind, func(s string) bool { return strings.Contains(s, "modifiedTime") }) {
		t.Errorf("blind spots %q do not say modifiedTime is missing", blind)
	}
}

// TestKrakenReadsAreSpacedByItsRateLimit: every private call counts on the
// key's own counter (about 20 a minute at Kraken's Starter tier), so
// orders and funds are read at most every 150 s and the key's snapshot
// every 210 s; between reads no private call is made and the result says
// when the next read is due, and the next read finds what happened.
func TestKrakenReadsAreSpacedByItsRateLimit(t *testing.T) {
	w, a := accounts["kraken"](t)
	f := a.(krakenAccount).f
	t0 := time.Now().Truncate(time.Second)
	at := t0
	w.now = func() time.Time { return at }
	poll := func(d time.Duration, want map[string]checks.Status) map[string]checks.Result {
		t.Helper()
		at = t0.Add(d)
		out := map[string]checks.Result{}
		for _, id := range []string{OrdersID, FundsID, KeyID} {
			out[id] = w.want(id, want[id])
		}
		return out
	}
	w.logOrder("XBTUSD", "", "")
	ok := map[string]checks.Status{OrdersID: checks.OK, FundsID: checks.OK, KeyID: checks.OK}
	poll(0, ok)

	fid := a.foreign()
	a.withdraw("wd-evil", "0xEVIL")
	a.changeKey()
	before := f.Requests()
	rs := poll(time.Minute, ok)
	if n := f.Requests() - before; n > 9 { // the three checks' server-time samples only
		t.Errorf("%d requests between reads", n)
	}
	for id, r := range rs {
		if !strings.Contains(r.Summary, "next read due") || r.Details["read_at"] != t0.UTC().Format(time.RFC3339) {
			t.Errorf("%s between reads: summary %q, read_at %v", id, r.Summary, r.Details["read_at"])
		}
	}
	// A tick a little early still reads on the third minute.
	rs = poll(3*time.Minute-time.Second, map[string]checks.Status{OrdersID: checks.Crit, FundsID: checks.Crit, KeyID: checks.OK})
	if got := foreignIDs(rs[OrdersID]); !slices.Equal(got, []string{fid}) {
		t.Errorf("foreign %v, want %s", got, fid)
	}
	if got := alarmIDs(rs[FundsID]); !slices.Equal(got, []string{"wd-evil"}) {
		t.Errorf("alarms %v", got)
	}
	rs = poll(4*time.Minute-time.Second, map[string]checks.Status{OrdersID: checks.Crit, FundsID: checks.Crit, KeyID: checks.Crit})
	if c := changes(rs[KeyID]); !strings.Contains(c, "permission withdraw no→yes") {
		t.Errorf("key changes %q", c)
	}
	// An ack needs no read.
	if err := Ack(context.Background(), w.state, profileName, []string{fid, "wd-evil", KeyAck}, at); err != nil {
		t.Fatal(err)
	}
	poll(4*time.Minute, ok)
}
