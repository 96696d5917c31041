package exchange

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// OKX publishes no expected signature. This is a SELF-COMPUTED regression
// vector, not an official one: the docs' example secret and prehash, signed
// with `openssl dgst -sha256 -hmac ... -binary | base64`
// (shared/reference/exchanges.md §3.3).
func TestOKXSignSelfComputedRegressionVector(t *testing.T) {
	ts := okxTimestamp(time.Date(2020, 12, 8, 9, 8, 57, 715_000_000, time.UTC))
	if ts != "2020-12-08T09:08:57.715Z" {
		t.Fatalf("okxTimestamp = %q", ts)
	}
	pre := okxPrehash(ts, "get", "/api/v5/account/balance?ccy=BTC", "")
	if pre != "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC" {
		t.Fatalf("okxPrehash = %q", pre)
	}
	if got, want := okxSign("22582BD0CFF14C41EDBF1AB98506286D", pre), "HiZhvSfMtWJA3uUIVXV3a/bSXNPCWvYFXoGCVS8V4zY="; got != want {
		t.Errorf("okxSign = %s, want %s", got, want)
	}
}

func TestOKXTimestampIsUTCMillis(t *testing.T) {
	berlin := time.FixedZone("CET", 3600)
	if got := okxTimestamp(time.Date(2026, 11, 25, 17, 0, 0, 5_000_000, berlin)); got != "2026-11-25T16:00:00.005Z" {
		t.Errorf("okxTimestamp = %q", got)
	}
}

// Real-shaped /api/v5/account/config data arrays.
var okxKeyInfoPayloads = map[string]string{
	// Official docs example shape: perm comma list, ip comma list.
	"docs-all":          `[{"acctLv":"2","acctStpMode":"cancel_maker","autoLoan":false,"ctIsoMode":"automatic","enableSpotBorrow":false,"greeksType":"PA","ip":"117.37.203.58,117.37.203.57","type":"0","kycLv":"3","label":"v5 test","level":"Lv1","levelTmp":"","liquidationGear":"-1","mainUid":"44705892343619584","mgnIsoMode":"automatic","opAuth":"1","perm":"read_only,withdraw,trade","posMode":"long_short_mode","roleType":"0","spotBorrowAutoRepay":false,"spotOffsetType":"","spotRoleType":"0","spotTraderInsts":[],"traderInsts":[],"uid":"44705892343619584"}]`,
	"read-only-unbound": `[{"acctLv":"1","ip":"","label":"watch","mainUid":"1","perm":"read_only","posMode":"net_mode","uid":"1","type":"0"}]`,
	// Trap: trade includes funding transfer.
	"trade-unbound":   `[{"acctLv":"2","ip":"","label":"bot","mainUid":"1","perm":"read_only,trade","posMode":"net_mode","uid":"2","type":"1"}]`,
	"ip-missing":      `[{"acctLv":"2","uid":"1","perm":"read_only,trade"}]`,
	"unknown-perm":    `[{"perm":"read_only,payout","ip":"203.0.113.7"}]`,
	"unknown-perm-tr": `[{"perm":"read_only,transfer","ip":"203.0.113.7"}]`,
	"spaces":          `[{"perm":" read_only , trade ","ip":" 203.0.113.7 , 2001:db8::1 "}]`,
	"case-trap":       `[{"perm":"read_only,withdraw","Perm":"read_only","IP":"203.0.113.7","ip":""}]`,
}

func TestDecodeOKXKeyInfo(t *testing.T) {
	// OKX docs, "API key permissions": Read; Trade ("place and cancel orders,
	// funding transfer, make settings which need write permission": so
	// convert, block trading, copy trading and earn too); Withdraw. There is
	// no P2P or pay API.
	readOnly := Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No,
		Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No}
	trade := Permissions{Read: Yes, Trade: Yes, Margin: Yes, Futures: Yes, Options: Yes, Transfer: Yes, Withdraw: No,
		Convert: Yes, BlockTrade: Yes, CopyTrading: Yes, P2P: No, Pay: No, Earn: Yes}
	with := func(p Permissions, f func(*Permissions)) Permissions { f(&p); return p }
	tests := []struct {
		payload string
		want    KeyInfo
	}{
		{"docs-all", KeyInfo{
			Permissions:  with(trade, func(p *Permissions) { p.Withdraw = Yes }),
			IPRestricted: Yes, Whitelist: []string{"117.37.203.58", "117.37.203.57"},
			Raw: []string{"read_only", "withdraw", "trade"},
		}},
		{"read-only-unbound", KeyInfo{
			Permissions:  readOnly,
			IPRestricted: No, Whitelist: []string{},
			Raw: []string{"read_only"},
		}},
		{"trade-unbound", KeyInfo{
			Permissions:  trade,
			IPRestricted: No, Whitelist: []string{},
			Raw: []string{"read_only", "trade"},
		}},
		// No ip field: the exchange did not say whether the key is bound.
		{"ip-missing", KeyInfo{
			Permissions: trade,
			Raw:         []string{"read_only", "trade"},
		}},
		// A name nobody mapped may move funds: neither trading nor withdrawal
		// is known to be off, and the report can name it.
		{"unknown-perm", KeyInfo{
			Permissions: with(readOnly, func(p *Permissions) {
				p.Trade, p.Transfer, p.Withdraw, p.Unrecognized = Unknown, Unknown, Unknown, "payout"
			}),
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"}, Raw: []string{"read_only", "payout"},
		}},
		{"unknown-perm-tr", KeyInfo{
			Permissions: with(readOnly, func(p *Permissions) {
				p.Trade, p.Transfer, p.Withdraw, p.Unrecognized = Unknown, Yes, Unknown, "transfer"
			}),
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"}, Raw: []string{"read_only", "transfer"},
		}},
		{"spaces", KeyInfo{
			Permissions:  trade,
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7", "2001:db8::1"},
			Raw: []string{"read_only", "trade"},
		}},
		{"case-trap", KeyInfo{
			Permissions:  with(readOnly, func(p *Permissions) { p.Withdraw = Yes }),
			IPRestricted: No, Whitelist: []string{},
			Raw: []string{"read_only", "withdraw"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			got, err := decodeOKXKeyInfo(json.RawMessage(okxKeyInfoPayloads[tt.payload]))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeOKXKeyInfoRejects(t *testing.T) {
	// data is an array: an object, an empty array or null is malformed.
	for _, body := range []string{`{"perm":"read_only","ip":""}`, `[]`, `null`, `[null]`,
		`[{"perm":["trade"]}]`, `[{"ip":0}]`,
		// No perm, or an empty one: not key info (every OKX key can read).
		`[{"acctLv":"2","uid":"1"}]`, `[{"perm":null,"ip":null}]`, `[{"perm":"","ip":""}]`, `[{"perm":" , ","ip":""}]`, `[{}]`} {
		if ki, err := decodeOKXKeyInfo(json.RawMessage(body)); err == nil {
			t.Errorf("%s decoded to %+v, want an error", body, ki)
		}
	}
}

func TestOKXCode(t *testing.T) {
	for raw, want := range map[string]string{`"0"`: "0", `"50113"`: "50113", `50011`: "50011", `" 0 "`: "0"} {
		if got, ok := okxCode(json.RawMessage(raw)); !ok || got != want {
			t.Errorf("okxCode(%s) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range []string{``, `null`, `{}`, `true`} {
		if got, ok := okxCode(json.RawMessage(raw)); ok {
			t.Errorf("okxCode(%s) = %q, want not ok", raw, got)
		}
	}
}

// FuzzOKXKeyInfo: never panics; Withdraw/Transfer are No only when perm,
// split on commas, holds no "withdraw"/"trade" and no unknown name;
// IPRestricted No only when ip holds no address.
func FuzzOKXKeyInfo(f *testing.F) {
	for _, p := range okxKeyInfoPayloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ki, err := decodeOKXKeyInfo(body)
		if err != nil {
			return
		}
		var data []map[string]json.RawMessage
		if json.Unmarshal(body, &data) != nil || len(data) == 0 {
			t.Fatalf("decoded %q that is not a non-empty array", body)
		}
		var perm, ip string
		permOK := string(data[0]["perm"]) != "null" && json.Unmarshal(data[0]["perm"], &perm) == nil
		ipOK := json.Unmarshal(data[0]["ip"], &ip) == nil
		var perms []string
		for p := range strings.SplitSeq(perm, ",") {
			perms = append(perms, strings.ToLower(strings.TrimSpace(p)))
		}
		if !permOK {
			t.Fatalf("decoded without a perm string: %s", body)
		}
		known := !slices.ContainsFunc(perms, func(p string) bool {
			_, ok := okxPermissions[p]
			return p != "" && !ok
		})
		if w := ki.Permissions.Withdraw; w == No && (!known || slices.Contains(perms, "withdraw")) {
			t.Errorf("Withdraw = No for %s", body)
		}
		if tr := ki.Permissions.Transfer; tr == No && (!known || slices.Contains(perms, "trade")) {
			t.Errorf("Transfer = No for %s", body)
		}
		if known && ki.Permissions.Withdraw != TriOf(slices.Contains(perms, "withdraw")) {
			t.Errorf("Withdraw = %v for %s", ki.Permissions.Withdraw, body)
		}
		if ipOK && ki.IPRestricted == No && strings.Trim(ip, " ,") != "" {
			t.Errorf("IPRestricted = No with ip %q", ip)
		}
	})
}
