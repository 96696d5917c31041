package exchange

import (
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

// Official vector, shared/reference/exchanges.md §6.3.
func TestKrakenSignVector(t *testing.T) {
	got, err := krakenSign("kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
		"/0/private/AddOrder", "1616492376594",
		"nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25")
	const want = "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ=="
	if err != nil || got != want {
		t.Errorf("krakenSign = %q, %v; want %q", got, err, want)
	}
}

func TestKrakenSignRejectsNonBase64Secret(t *testing.T) {
	const secret = "this is not base64!"
	_, err := krakenSign(secret, "/0/private/GetApiKeyInfo", "1", "nonce=1")
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("err = %v; want an error that does not quote the secret", err)
	}
}

// The nonce never repeats or goes down: not within one millisecond, not when
// the clock steps back, not across goroutines.
func TestKrakenNonceMonotonic(t *testing.T) {
	t0 := time.UnixMilli(1764086400000)
	clock := []time.Time{t0, t0, t0.Add(-10 * time.Second), t0.Add(-10 * time.Second), t0.Add(time.Hour)}
	i := 0
	n := &krakenNonce{now: func() time.Time { c := clock[i]; i++; return c }}
	var got []uint64
	for range clock {
		got = append(got, n.next())
	}
	want := []uint64{1764086400000, 1764086400001, 1764086400002, 1764086400003, 1764090000000}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("nonces = %v, want %v", got, want)
	}

	shared := &krakenNonce{now: func() time.Time { return t0 }} // a stuck clock
	const workers, each = 8, 500
	var mu sync.Mutex
	seen := map[uint64]bool{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			last := uint64(0)
			for range each {
				v := shared.next()
				if v <= last {
					t.Errorf("nonce went from %d to %d in one goroutine", last, v)
				}
				last = v
				mu.Lock()
				seen[v] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*each {
		t.Errorf("%d distinct nonces for %d requests", len(seen), workers*each)
	}
}

// krakenFixture is the GetApiKeyInfo result from gocryptotrader's test fixture.
const krakenFixture = `{"apiKeyName":"my-api-key","apiKey":"K4Wz...","nonce":"1772627060997","nonceWindow":0,"permissions":["query-funds"],"iban":"AA88 N84G WOAK NMOI","validUntil":"0","queryFrom":"0","queryTo":"0","createdTime":"1772542900","modifiedTime":"1772543095","ipAllowlist":[],"lastUsed":null}`

func TestDecodeKrakenKeyInfo(t *testing.T) {
	created := time.Unix(1772542900, 0).UTC()
	with := func(f func(p *Permissions)) Permissions {
		p := Permissions{Read: No, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No,
			Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No}
		f(&p)
		return p
	}
	payload := func(perms, allow, valid string) string {
		s := `{"apiKeyName":"bot","permissions":` + perms + `,"validUntil":` + valid + `,"createdTime":"1772542900"`
		if allow != "" {
			s += `,"ipAllowlist":` + allow
		}
		return s + "}"
	}
	cases := []struct {
		name, payload string
		want          KeyInfo
	}{
		{"fixture: query-funds, no allowlist, no expiry", krakenFixture, KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read = Yes }), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, ModifiedAt: time.Unix(1772543095, 0).UTC(), Raw: []string{"query-funds"},
		}},
		{"modified and last used as numbers", `{"permissions":["query-funds"],"createdTime":"1772542900","modifiedTime":1772543095,"lastUsed":1772543100}`, KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read = Yes }), CreatedAt: created,
			ModifiedAt: time.Unix(1772543095, 0).UTC(), LastUsedAt: time.Unix(1772543100, 0).UTC(), Raw: []string{"query-funds"},
		}},
		// Their names and format are third-party: one that is not unix
		// seconds is not reported, and fails nothing else.
		{"modified and last used unreadable", `{"permissions":["query-funds"],"createdTime":"1772542900","modifiedTime":"2026-03-03T13:04:55Z","lastUsed":{"at":1}}`, KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read = Yes }), CreatedAt: created, Raw: []string{"query-funds"},
		}},
		// A key that may send funds away may move them between its own wallets.
		{"withdraw-funds", payload(`["query-funds","withdraw-funds"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read, p.Withdraw, p.Transfer = Yes, Yes, Yes }), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"query-funds", "withdraw-funds"},
		}},
		{"trap: add-withdraw-address is withdrawal risk", payload(`["add-withdraw-address"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) { p.Withdraw = Yes }), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"add-withdraw-address"},
		}},
		{"trap: update-withdraw-address is withdrawal risk", payload(`["query-funds","update-withdraw-address"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read, p.Withdraw = Yes, Yes }), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"query-funds", "update-withdraw-address"},
		}},
		{"earn-funds is earn, not withdrawal", payload(`["query-funds","earn-funds"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read, p.Earn = Yes, Yes }), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"query-funds", "earn-funds"},
		}},
		{"modify-trades: trade, margin unknown", payload(`["query-funds","query-open-trades","modify-trades"]`, `["198.51.100.7","2001:db8::/64"]`, `"0"`), KeyInfo{
			Permissions:  with(func(p *Permissions) { p.Read, p.Trade, p.Margin = Yes, Yes, Unknown }),
			IPRestricted: Yes, Whitelist: []string{"198.51.100.7", "2001:db8::/64"},
			CreatedAt: created, Raw: []string{"query-funds", "query-open-trades", "modify-trades"},
		}},
		{"close-trades is trade; expiry as string", payload(`["close-trades"]`, `[]`, `"1780000000"`), KeyInfo{
			Permissions: with(func(p *Permissions) { p.Trade, p.Margin = Yes, Unknown }), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, ExpiresAt: time.Unix(1780000000, 0).UTC(), Raw: []string{"close-trades"},
		}},
		{"expiry as number; deposit and ws token move nothing", payload(`["add-funds","create-ws-token"]`, `[]`, `1780000000`), KeyInfo{
			Permissions: with(func(*Permissions) {}), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, ExpiresAt: time.Unix(1780000000, 0).UTC(), Raw: []string{"add-funds", "create-ws-token"},
		}},
		{"unknown permission naming withdrawal; upper case", payload(`["WITHDRAW-FUNDS-V2"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) {
				p.Withdraw, p.Transfer, p.Trade, p.Margin, p.Unrecognized = Yes, Unknown, Unknown, Unknown, "WITHDRAW-FUNDS-V2"
			}), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"WITHDRAW-FUNDS-V2"},
		}},
		{"absent ipAllowlist: the exchange did not say", payload(`["query-funds"]`, ``, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) { p.Read = Yes }), CreatedAt: created, Raw: []string{"query-funds"},
		}},
		// A name nobody mapped may move funds: withdrawal is not known to be off.
		// Trade unknown: so is margin, which rides on it.
		{"unknown permission: trade, transfer and withdraw unknown", payload(`["query-funds","crypto-payout"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) {
				p.Read, p.Trade, p.Margin, p.Transfer, p.Withdraw, p.Unrecognized = Yes, Unknown, Unknown, Unknown, Unknown, "crypto-payout"
			}), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"query-funds", "crypto-payout"},
		}},
		{"unknown permission naming transfer", payload(`["transfer-funds"]`, `[]`, `"0"`), KeyInfo{
			Permissions: with(func(p *Permissions) {
				p.Trade, p.Margin, p.Transfer, p.Withdraw, p.Unrecognized = Unknown, Unknown, Yes, Unknown, "transfer-funds"
			}), IPRestricted: No, Whitelist: []string{},
			CreatedAt: created, Raw: []string{"transfer-funds"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := decodeKrakenKeyInfo([]byte(c.payload))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	for _, bad := range []string{`nope`, `{"permissions":"query-funds"}`, `{}`, `{"permissions":null}`,
		`{"apiKeyName":"bot","ipAllowlist":[],"validUntil":"0"}`, `{"permissions":[],"validUntil":"soon"}`, `{"permissions":[],"createdTime":"1.5e9x"}`, `{"permissions":[],"ipAllowlist":"1.2.3.4"}`} {
		if _, err := decodeKrakenKeyInfo([]byte(bad)); err == nil {
			t.Errorf("decode(%s) accepted", bad)
		}
	}
}

func FuzzKrakenKeyInfo(f *testing.F) {
	f.Add([]byte(krakenFixture))
	f.Add([]byte(`{"apiKeyName":"bot","permissions":["query-funds","withdraw-funds","add-withdraw-address"],"validUntil":"1780000000","createdTime":"1772542900","ipAllowlist":["198.51.100.7"],"lastUsed":"1772543000"}`))
	f.Add([]byte(`{"permissions":null,"ipAllowlist":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ki, err := decodeKrakenKeyInfo(data)
		if err != nil {
			return
		}
		for _, name := range ki.Raw {
			lower := strings.ToLower(strings.TrimSpace(name))
			if strings.Contains(lower, "withdraw") && ki.Permissions.Withdraw != Yes {
				t.Fatalf("%q listed but Withdraw = %v", name, ki.Permissions.Withdraw)
			}
			if _, known := krakenPermissions[lower]; !known && ki.Permissions.Withdraw == No {
				t.Fatalf("unknown %q listed but Withdraw = No", name)
			}
		}
		if ki.Whitelist != nil && ki.IPRestricted != TriOf(len(ki.Whitelist) > 0) {
			t.Fatalf("whitelist %q vs restricted %v", ki.Whitelist, ki.IPRestricted)
		}
		if ki.Whitelist == nil && ki.IPRestricted != Unknown {
			t.Fatalf("no whitelist reported but restricted = %v", ki.IPRestricted)
		}
	})
}

func BenchmarkKrakenSign(b *testing.B) {
	const secret = "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg=="
	for b.Loop() {
		if _, err := krakenSign(secret, "/0/private/GetApiKeyInfo", "1616492376594", "nonce=1616492376594"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeKrakenKeyInfo(b *testing.B) {
	for b.Loop() {
		if _, err := decodeKrakenKeyInfo([]byte(krakenFixture)); err != nil {
			b.Fatal(err)
		}
	}
}
