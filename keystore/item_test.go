package keystore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

const (
	testKey    = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
	testSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
	testPass   = "Ab12345678)(*&^%$#@"
)

func testItem() Item {
	t0 := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	return Item{
		APIKey: NewSecret(testKey), APISecret: NewSecret(testSecret), Passphrase: NewSecret(testPass),
		CreatedAt: t0, StoredAt: t0.Add(time.Hour),
	}
}

func TestMarshalItemSpecJSON(t *testing.T) {
	data, err := MarshalItem(testItem())
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"api_key": testKey, "api_secret": testSecret, "passphrase": testPass,
		"created_at": "2026-10-01T12:00:00Z", "stored_at": "2026-10-01T13:00:00Z",
	}
	if len(m) != len(want) {
		t.Errorf("fields %v, want exactly %v", keys(m), want)
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("field %s differs", k)
		}
	}
	back, err := UnmarshalItem(data)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Equal(testItem()) {
		t.Error("round trip changed the item")
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestUnmarshalItemErrorsNeverQuoteInput(t *testing.T) {
	for _, in := range []string{
		`{"api_key":"` + testKey + `","api_secret":` + testSecret + `}`, // invalid JSON after the key
		`{"api_key":"` + testKey + `"}`,                                 // no secret
		testSecret,
	} {
		_, err := UnmarshalItem([]byte(in))
		if err == nil {
			t.Fatalf("accepted bad item")
		}
		if strings.Contains(err.Error(), testKey) || strings.Contains(err.Error(), testSecret) {
			t.Fatal("error message contains a secret")
		}
	}
}

func TestItemNeverPrintsSecrets(t *testing.T) {
	it := testItem()
	e := Entry{Profile: "p", Item: it}
	j, _ := json.Marshal(e)
	for _, s := range []string{fmt.Sprint(it), fmt.Sprintf("%+v %#v %s %q %x", it, it, it, it, it), fmt.Sprintf("%v %#v", e, e), string(j)} {
		for _, secret := range []string{testKey, testSecret, testPass} {
			if strings.Contains(s, secret) {
				t.Fatalf("formatted item contains a secret")
			}
		}
	}
}

func TestMemoryAndSecrets(t *testing.T) {
	ctx := context.Background()
	s := NewMemory()
	if s.Backend() != BackendMemory {
		t.Errorf("backend %q", s.Backend())
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get missing: %v", err)
	}
	if err := s.Delete(ctx, "a"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete missing: %v", err)
	}
	other := testItem()
	other.APIKey = NewSecret("other-key-000000")
	other.Passphrase = Secret{}
	for name, it := range map[string]Item{"okx-arb": testItem(), "binance-main": other} {
		if err := s.Set(ctx, name, it); err != nil {
			t.Fatal(err)
		}
	}
	names, _ := s.List(ctx)
	if strings.Join(names, ",") != "binance-main,okx-arb" {
		t.Errorf("List = %v", names)
	}
	all, err := Secrets(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Profile != "binance-main" || !all[1].Item.Equal(testItem()) {
		t.Fatalf("Secrets = %d entries", len(all))
	}
	if v := all[0].Values(); len(v) != 2 || v[0].Name != "key" || v[1].Name != "secret" {
		t.Errorf("Values without passphrase = %d fields", len(v))
	}
	if v := all[1].Values(); len(v) != 3 || v[2].Name != "passphrase" || v[2].Value.Reveal() != testPass {
		t.Errorf("Values with passphrase = %d fields", len(v))
	}
	if err := s.Delete(ctx, "okx-arb"); err != nil {
		t.Fatal(err)
	}
	if names, _ := s.List(ctx); len(names) != 1 {
		t.Errorf("after delete: %v", names)
	}
}

// A rotation keeps the replaced key as retired, and the retired keys (with
// their revocation dates) survive the stored JSON form.
func TestReplaceKeepsRetiredThroughJSON(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	old := Item{APIKey: NewSecret("kwOLDkey-Aa1Bb2"), APISecret: NewSecret("kwOLDsecret-Cc3Dd4"), Passphrase: NewSecret("kwOLDpass-Ee5")}
	mid := Item{APIKey: NewSecret("kwMIDkey-Ff6Gg7"), APISecret: NewSecret("kwMIDsecret-Hh8Ii9")}
	cur := old.Replace(mid, now)
	if len(cur.Retired) != 1 || !cur.Retired[0].APISecret.Equal(old.APISecret) || !cur.Retired[0].RetiredAt.Equal(now) {
		t.Fatalf("retired %+v", cur.Retired)
	}
	cur.Retired[0].RevokedAt = now.Add(time.Hour)
	next := cur.Replace(Item{APIKey: NewSecret("kwNEWkey-Jj0Kk1"), APISecret: NewSecret("kwNEWsecret-Ll2Mm3")}, now.Add(2*time.Hour))
	if len(next.Retired) != 2 || !next.Retired[1].APIKey.Equal(mid.APIKey) {
		t.Fatalf("second rotation: %+v", next.Retired)
	}
	if same := next.Replace(Item{APIKey: next.APIKey, APISecret: NewSecret("kwNEWsecret-2")}, now); len(same.Retired) != 2 {
		t.Errorf("re-storing the same key retired it: %d", len(same.Retired))
	}
	data, err := MarshalItem(next)
	if err != nil {
		t.Fatal(err)
	}
	back, err := UnmarshalItem(data)
	if err != nil || !back.Equal(next) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back.Retired, next.Retired)
	}
	secrets := map[string]bool{}
	for _, s := range back.Secrets() {
		secrets[s.Reveal()] = true
	}
	for _, v := range []string{"kwOLDsecret-Cc3Dd4", "kwOLDpass-Ee5", "kwMIDkey-Ff6Gg7", "kwNEWsecret-Ll2Mm3"} {
		if !secrets[v] {
			t.Errorf("Secrets() lacks %s", v)
		}
	}
	var retiredFields int
	for _, f := range (Entry{Profile: "p", Item: back}).Values() {
		if f.Retired {
			retiredFields++
		}
	}
	if retiredFields != 5 { // old key, secret, passphrase; mid key, secret
		t.Errorf("%d retired fields, want 5", retiredFields)
	}
}
