package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

func rotateWorld(t *testing.T, oldValid bool) (*wizWorld, WizardOptions) {
	keys := []exchangetest.BybitKey{bybitKey(tradeOnly, wizEgress)}
	if oldValid {
		keys = append(keys, exchangetest.BybitKey{APIKey: wizOldKey, Secret: wizOldSecret, Permissions: tradeOnly, IPs: []string{wizEgress}})
	}
	ww := newWizWorld(t, keys...)
	p := config.Profile{Name: "bybit-grid", Exchange: "bybit", BaseURL: ww.bybit.URL(), Whitelist: []string{wizEgress}, Needs: []string{"read", "trade"}}
	ww.cfg.Profiles = append(ww.cfg.Profiles, p)
	old := keystore.Item{APIKey: keystore.NewSecret(wizOldKey), APISecret: keystore.NewSecret(wizOldSecret),
		CreatedAt: time.Now().Add(-40 * config.Day).UTC().Truncate(time.Second)}
	if err := ww.store.Set(context.Background(), p.Name, old); err != nil {
		t.Fatal(err)
	}
	o := ww.opts()
	o.Profile, o.Current = p, old
	return ww, o
}

func TestRotateOldKeyStillValidThenRevoked(t *testing.T) {
	ww, o := rotateWorld(t, true)
	d := drive(t, NewRotateWizard(o))
	d.want("Rotate the key of bybit-grid")
	d.want(keystore.Fingerprint(o.Current.APIKey))
	d.want("40 days ago")
	d.keys("enter")
	d.paste(wizOldKey)
	d.keys("enter")
	d.want("that is the key already stored")
	for range wizOldKey {
		d.send(tea.KeyPressMsg{Code: tea.KeyBackspace})
	}
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter")
	d.want("good to store")
	d.keys("enter")
	d.want("STILL WORKS: REVOKE IT NOW")
	d.want("https://www.bybit.com/app/user/api-management")
	d.wantFooter("r check again • enter done")
	it, _ := ww.store.Get(context.Background(), "bybit-grid")
	if it.APIKey.Reveal() != wizKey || time.Since(it.CreatedAt) > time.Hour {
		t.Fatalf("new key not stored with a new creation time (%v)", it.CreatedAt)
	}
	if d.w.old.APISecret.Empty() {
		t.Fatal("the old secret was dropped before the user could re-check")
	}

	ww.bybit.RemoveKey(wizOldKey) // the user revokes it
	d.keys("r")
	d.want("old key " + keystore.Fingerprint(o.Current.APIKey) + " revoked")
	d.wantFooter("enter done") // nothing left to check
	if !d.w.old.APISecret.Empty() {
		t.Fatal("the old secret is still held after the revocation was confirmed")
	}
	d.keys("enter")
	d.want("Done")
	if res := d.w.Result(); !res.Saved || res.OldKey.State != checks.OldKeyRevoked {
		t.Fatalf("result %+v", res)
	}
	d.noSecret()
}

func TestRotateOldKeyRevoked(t *testing.T) {
	_, o := rotateWorld(t, false)
	d := drive(t, NewRotateWizard(o))
	d.keys("enter")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter", "enter")
	d.want("revoked")
	if d.w.Result().OldKey.State != checks.OldKeyRevoked {
		t.Fatalf("old key %+v", d.w.Result().OldKey)
	}
	d.noSecret()
}

func TestRotateEscKeepsOldKey(t *testing.T) {
	ww, o := rotateWorld(t, true)
	d := drive(t, NewRotateWizard(o))
	d.keys("enter")
	d.paste(wizKey)
	d.keys("enter")
	d.paste(wizSecret)
	d.keys("enter") // verdict
	d.keys("esc")
	it, _ := ww.store.Get(context.Background(), "bybit-grid")
	if !d.w.Cancelled() || ww.saves != 0 || it.APIKey.Reveal() != wizOldKey {
		t.Fatal("esc in rotate changed the stored key")
	}
}

func TestCheckOldKey(t *testing.T) {
	bin := exchangetest.NewBinance(exchangetest.BinanceKey{APIKey: wizOldKey, Secret: wizOldSecret, Reading: true})
	defer bin.Close()
	byb := exchangetest.NewBybit(exchangetest.BybitKey{APIKey: wizOldKey, Secret: wizOldSecret, Permissions: tradeOnly})
	defer byb.Close()
	old := keystore.Item{APIKey: keystore.NewSecret(wizOldKey), APISecret: keystore.NewSecret(wizOldSecret)}
	binP := config.Profile{Name: "b", Exchange: "binance", BaseURL: bin.URL()}
	bybP := config.Profile{Name: "y", Exchange: "bybit", BaseURL: byb.URL()}
	ctx := context.Background()

	if r := checks.CheckOldKey(ctx, binP, old, nil); r.State != checks.OldKeyValid {
		t.Errorf("binance, key known: %v %v", r.State, r.Err)
	}
	if r := checks.CheckOldKey(ctx, bybP, old, nil); r.State != checks.OldKeyValid {
		t.Errorf("bybit, key known: %v %v", r.State, r.Err)
	}
	bin.RemoveKey(wizOldKey)
	byb.RemoveKey(wizOldKey)
	if r := checks.CheckOldKey(ctx, binP, old, nil); r.State != checks.OldKeyRejected {
		t.Errorf("binance -2015 after revocation: %v %v", r.State, r.Err)
	}
	if r := checks.CheckOldKey(ctx, bybP, old, nil); r.State != checks.OldKeyRevoked {
		t.Errorf("bybit 10003 after revocation: %v %v", r.State, r.Err)
	}
	bybP.BaseURL = "http://127.0.0.1:1" // nothing listens there
	r := checks.CheckOldKey(ctx, bybP, old, nil)
	if r.State != checks.OldKeyUnknown || r.Err == nil {
		t.Errorf("unreachable exchange: %v %v", r.State, r.Err)
	}
	if strings.Contains(r.Err.Error(), wizOldSecret) || strings.Contains(r.Err.Error(), wizOldKey) {
		t.Error("the error names a credential")
	}
}
