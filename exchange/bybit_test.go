package exchange

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Bybit publishes no usable signature vector (its example secret is not
// given), so this checks the string-to-sign against the docs' example
// strings byte for byte (shared/reference/exchanges.md §2.4).
func TestBybitPrehashMatchesDocs(t *testing.T) {
	if got, want := bybitPrehash("1658384314791", "XXXXXXXXXX", "5000", "category=option&symbol=BTC-29JUL22-25000-C"),
		"1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"; got != want {
		t.Errorf("GET prehash = %q, want %q", got, want)
	}
	if got, want := bybitPrehash("1658385579423", "XXXXXXXXXX", "5000", `{"category": "option"}`),
		`1658385579423XXXXXXXXXX5000{"category": "option"}`; got != want {
		t.Errorf("POST prehash = %q, want %q", got, want)
	}
	// Self-computed regression value (NOT official): HMAC-SHA256 hex,
	// checked with `openssl dgst -sha256 -hmac secret`.
	if got, want := bybitSign("secret", "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C"),
		"02e9182e346177050f199ce1e0703d738589e3763805ed71590ced65539a73a7"; got != want {
		t.Errorf("bybitSign = %s, want %s", got, want)
	}
}

func TestDecodeBybitTime(t *testing.T) {
	tests := []struct {
		result string
		want   time.Time
		ok     bool
	}{
		{`{"timeSecond":"1688639403","timeNano":"1688639403423213947"}`, time.Unix(0, 1688639403423213947), true},
		{`{"timeSecond":"1688639403"}`, time.Unix(1688639403, 0), true},
		{`{"timeSecond":1688639403}`, time.Time{}, false}, // documented as a string
		{`{}`, time.Time{}, false},
		{`[]`, time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := decodeBybitTime(json.RawMessage(tt.result))
		if (err == nil) != tt.ok || !got.Equal(tt.want) {
			t.Errorf("decodeBybitTime(%s) = %v, %v; want %v, ok=%v", tt.result, got, err, tt.want, tt.ok)
		}
	}
}

// Real-shaped /v5/user/query-api result objects.
var bybitKeyInfoPayloads = map[string]string{
	// Official docs example (2023): ips ["*"] = not bound, transfer only.
	"docs-2023": `{"id":"16651472","note":"testxxx","apiKey":"opjSlSOzqIeXROT5rq","readOnly":0,"secret":"","permissions":{"ContractTrade":[],"Spot":[],"Wallet":["AccountTransfer"],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[]},"ips":["*"],"type":1,"deadlineDay":88,"expiredAt":"2023-05-15T03:13:24Z","createdAt":"2023-02-15T03:13:24Z","unified":0,"uta":0,"userID":53888001,"inviterID":0,"vipLevel":"No VIP","mktMakerLevel":"0","affiliateID":0}`,
	// Current docs shape for an IP-bound key: expiredAt 1970 = no expiry.
	"ip-bound-withdraw": `{"id":"13770661","note":"bot","apiKey":"XXXXXX","readOnly":0,"secret":"","permissions":{"ContractTrade":["Order","Position"],"Spot":["SpotTrade"],"Wallet":["AccountTransfer","SubMemberTransfer","Withdraw"],"Options":["OptionsTrade"],"Derivatives":["DerivativesTrade"],"CopyTrading":[],"BlockTrade":[],"Exchange":["ExchangeHistory"],"NFT":[],"Affiliate":[],"Earn":["Earn"],"FiatP2P":[],"FiatBitPay":[],"FiatConvertBroker":[]},"ips":["203.0.113.7","198.51.100.0/24"],"type":1,"deadlineDay":-2,"expiredAt":"1970-01-01T00:00:00Z","createdAt":"2025-09-01T10:00:00Z","unified":0,"uta":1,"userID":24617703,"inviterID":0,"vipLevel":"No VIP","mktMakerLevel":"0","affiliateID":0,"rsaPublicKey":"","isMaster":true,"parentUid":"0","kycLevel":"LEVEL_DEFAULT","kycRegion":""}`,
	// The current docs example (docs/v5/user/apikey-info, 2025): every group,
	// readOnly 1.
	"docs-2025": `{"id":"2208369","note":"testnet","apiKey":"XXXXXXXX","readOnly":1,"secret":"","permissions":{"ContractTrade":["Order","Position"],"Spot":["SpotTrade"],"Wallet":["AccountTransfer","SubMemberTransfer"],"Options":[],"Derivatives":["DerivativesTrade"],"CopyTrading":[],"BlockTrade":[],"Exchange":["ExchangeHistory"],"NFT":[],"Affiliate":[],"Earn":["Earn"],"FiatP2P":["FiatP2POrder","Advertising"],"FiatConvertBroker":["FiatConvertBrokerOrder"],"FiatGlobalPay":[],"FiatBitPay":["FaitPayOrder"],"BitCard":["BitCard"],"ByXPost":["ByXPost"]},"ips":["18.181.170.164","13.212.45.47","13.212.45.48"],"type":1,"deadlineDay":-2,"expiredAt":"1970-01-01T00:00:00Z","createdAt":"2025-10-13T03:20:45Z","unified":0,"uta":1,"userID":1448939,"inviterID":0,"vipLevel":"PRO-1","mktMakerLevel":"0","affiliateID":0,"rsaPublicKey":"","isMaster":true,"parentUid":"0","kycLevel":"LEVEL_1","kycRegion":"MYS"}`,
	// The same key writable, with the docs site's FiatBybitPay spelling:
	// every documented name read as the docs describe it.
	"docs-2025-writable": `{"readOnly":0,"permissions":{"ContractTrade":[],"Spot":[],"Wallet":[],"Options":["OptionsTrade"],"Derivatives":[],"CopyTrading":[],"BlockTrade":["BlockTrade"],"Exchange":[],"NFT":[],"Affiliate":[],"Earn":[],"FiatP2P":["Advertising"],"FiatConvertBroker":["FiatConvertBrokerOrder"],"FiatGlobalPay":[],"FiatBybitPay":["FaitPayOrder"],"BitCard":["BitCard"],"ByXPost":["ByXPost"]},"ips":["18.181.170.164"]}`,
	// A name in FiatGlobalPay (shown in the example, never described).
	"global-pay-name":    `{"readOnly":0,"permissions":{"ContractTrade":[],"Spot":[],"Wallet":[],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"Earn":[],"FiatP2P":[],"FiatConvertBroker":[],"FiatBitPay":[],"FiatGlobalPay":["GlobalPayOrder"]},"ips":["203.0.113.7"]}`,
	"read-only":          `{"id":"1","note":"watch","apiKey":"XXXXXX","readOnly":1,"secret":"","permissions":{"ContractTrade":["Order","Position"],"Spot":["SpotTrade"],"Wallet":["AccountTransfer"],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[]},"ips":["203.0.113.7"],"type":1,"deadlineDay":-2,"expiredAt":"1970-01-01T00:00:00Z","createdAt":"2025-09-01T10:00:00Z"}`,
	"read-only-withdraw": `{"readOnly":1,"permissions":{"Wallet":["Withdraw"]},"ips":["*"],"expiredAt":"2026-12-01T00:00:00Z","createdAt":"2026-09-02T00:00:00Z"}`,
	// Unknown names: a Wallet entry nobody mapped, a new group naming withdrawal.
	"wallet-unknown-entry":   `{"readOnly":0,"permissions":{"ContractTrade":[],"Spot":[],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[],"Wallet":["AccountTransfer","CryptoPayout"]},"ips":["203.0.113.7"]}`,
	"unknown-group-withdraw": `{"readOnly":0,"permissions":{"ContractTrade":[],"Spot":[],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[],"Wallet":[],"FiatGateway":["FiatWithdrawOrder"]},"ips":["203.0.113.7"]}`,
	// A group left out says nothing: no Wallet, no verdict on withdrawal.
	"wallet-missing":    `{"readOnly":0,"permissions":{"ContractTrade":[],"Spot":[],"Options":[],"Derivatives":[],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[]},"ips":["203.0.113.7"]}`,
	"permissions-empty": `{"readOnly":0,"permissions":{},"ips":["*"]}`,
	"wallet-null":       `{"readOnly":0,"permissions":{"ContractTrade":[],"Spot":[],"Options":[],"Derivatives":[],"Wallet":null},"ips":["203.0.113.7"]}`,
	"readonly-missing":  `{"permissions":{"Spot":["SpotTrade"],"Wallet":[]},"ips":["203.0.113.7,203.0.113.8"]}`,
	"ips-empty":         `{"readOnly":0,"permissions":{"Spot":[]},"ips":[]}`,
	"case-trap":         `{"readOnly":0,"permissions":{"Wallet":["Withdraw"]},"Permissions":{"Wallet":[]},"IPS":["203.0.113.7"],"ips":["*"]}`,
}

func TestDecodeBybitKeyInfo(t *testing.T) {
	rfc := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	tests := []struct {
		payload string
		want    KeyInfo
	}{
		{"docs-2023", KeyInfo{
			// FiatConvertBroker, FiatP2P, FiatBitPay and Earn are not in this
			// older answer: what they decide is Unknown.
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: Yes, Withdraw: No,
				Convert: Unknown, BlockTrade: No, CopyTrading: No, P2P: Unknown, Pay: Unknown, Earn: Unknown},
			IPRestricted: No, Whitelist: []string{},
			CreatedAt: rfc("2023-02-15T03:13:24Z"), ExpiresAt: rfc("2023-05-15T03:13:24Z"),
			Raw: []string{"Wallet.AccountTransfer"},
		}},
		{"ip-bound-withdraw", KeyInfo{
			// Exchange.ExchangeHistory is convert; ContractTrade.Order may place
			// copy-trading orders (Unknown: is this a master trader?).
			Permissions: Permissions{Read: Yes, Trade: Yes, Margin: Yes, Futures: Yes, Options: Yes, Transfer: Yes, Withdraw: Yes,
				Convert: Yes, BlockTrade: No, CopyTrading: Unknown, P2P: No, Pay: No, Earn: Yes},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7", "198.51.100.0/24"},
			CreatedAt: rfc("2025-09-01T10:00:00Z"), // expiredAt 1970: no expiry
			Raw: []string{"ContractTrade.Order", "ContractTrade.Position", "Derivatives.DerivativesTrade", "Earn.Earn",
				"Exchange.ExchangeHistory", "Options.OptionsTrade", "Spot.SpotTrade",
				"Wallet.AccountTransfer", "Wallet.SubMemberTransfer", "Wallet.Withdraw"},
		}},
		{"docs-2025", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No,
				Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No},
			IPRestricted: Yes, Whitelist: []string{"18.181.170.164", "13.212.45.47", "13.212.45.48"},
			CreatedAt: rfc("2025-10-13T03:20:45Z"),
			Raw: []string{"BitCard.BitCard", "ByXPost.ByXPost", "ContractTrade.Order", "ContractTrade.Position",
				"Derivatives.DerivativesTrade", "Earn.Earn", "Exchange.ExchangeHistory", "FiatBitPay.FaitPayOrder",
				"FiatConvertBroker.FiatConvertBrokerOrder", "FiatP2P.FiatP2POrder", "FiatP2P.Advertising",
				"Spot.SpotTrade", "Wallet.AccountTransfer", "Wallet.SubMemberTransfer", "readOnly"},
		}},
		// Options is also USDC perpetual; FiatConvertBroker is convert; card
		// and community posts move nothing.
		{"docs-2025-writable", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: Yes, Options: Yes, Transfer: No, Withdraw: No,
				Convert: Yes, BlockTrade: Yes, CopyTrading: No, P2P: Yes, Pay: Yes, Earn: No},
			IPRestricted: Yes, Whitelist: []string{"18.181.170.164"},
			Raw: []string{"BitCard.BitCard", "BlockTrade.BlockTrade", "ByXPost.ByXPost", "FiatBybitPay.FaitPayOrder",
				"FiatConvertBroker.FiatConvertBrokerOrder", "FiatP2P.Advertising", "Options.OptionsTrade"},
		}},
		{"global-pay-name", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Unknown, Margin: No, Futures: No, Options: No, Transfer: Unknown, Withdraw: Unknown,
				Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: Unknown, Earn: No,
				Unrecognized: "FiatGlobalPay.GlobalPayOrder"},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"},
			Raw: []string{"FiatGlobalPay.GlobalPayOrder"},
		}},
		{"read-only", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No,
				Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"},
			CreatedAt: rfc("2025-09-01T10:00:00Z"),
			Raw:       []string{"ContractTrade.Order", "ContractTrade.Position", "Spot.SpotTrade", "Wallet.AccountTransfer", "readOnly"},
		}},
		// A contradictory answer never reads as "withdrawals off".
		{"read-only-withdraw", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: Yes,
				Convert: No, BlockTrade: No, CopyTrading: No, P2P: No, Pay: No, Earn: No},
			IPRestricted: No, Whitelist: []string{},
			CreatedAt: rfc("2026-09-02T00:00:00Z"), ExpiresAt: rfc("2026-12-01T00:00:00Z"),
			Raw: []string{"Wallet.Withdraw", "readOnly"},
		}},
		{"wallet-unknown-entry", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Unknown, Margin: No, Futures: No, Options: No, Transfer: Yes, Withdraw: Unknown,
				Convert: Unknown, BlockTrade: No, CopyTrading: No, P2P: Unknown, Pay: Unknown, Earn: Unknown,
				Unrecognized: "Wallet.CryptoPayout"},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"},
			Raw: []string{"Wallet.AccountTransfer", "Wallet.CryptoPayout"},
		}},
		{"unknown-group-withdraw", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Unknown, Margin: No, Futures: No, Options: No, Transfer: Unknown, Withdraw: Yes,
				Convert: Unknown, BlockTrade: No, CopyTrading: No, P2P: Unknown, Pay: Unknown, Earn: Unknown,
				Unrecognized: "FiatGateway.FiatWithdrawOrder"},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"},
			Raw: []string{"FiatGateway.FiatWithdrawOrder"},
		}},
		{"wallet-missing", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: No, Options: No, Transfer: Unknown, Withdraw: Unknown,
				Convert: Unknown, BlockTrade: No, CopyTrading: No, P2P: Unknown, Pay: Unknown, Earn: Unknown},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"},
		}},
		{"wallet-null", KeyInfo{
			// No CopyTrading group: a copy-trading (futures) grant is not ruled out.
			Permissions: Permissions{Read: Yes, Trade: No, Margin: No, Futures: Unknown, Options: No, Transfer: Unknown, Withdraw: Unknown,
				Convert: Unknown, BlockTrade: Unknown, CopyTrading: Unknown, P2P: Unknown, Pay: Unknown, Earn: Unknown},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7"},
		}},
		{"permissions-empty", KeyInfo{
			Permissions:  Permissions{Read: Yes},
			IPRestricted: No, Whitelist: []string{},
		}},
		// Groups left out: futures and options are not known to be off.
		{"readonly-missing", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Unknown, Margin: Unknown, Futures: Unknown, Options: Unknown, Transfer: No, Withdraw: No},
			IPRestricted: Yes, Whitelist: []string{"203.0.113.7", "203.0.113.8"},
			Raw: []string{"Spot.SpotTrade"},
		}},
		{"ips-empty", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: No, Margin: No, Futures: Unknown, Options: Unknown, Transfer: Unknown, Withdraw: Unknown},
			IPRestricted: No, Whitelist: []string{},
		}},
		// Field names are exact: "Permissions"/"IPS" are not Bybit's fields.
		{"case-trap", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Unknown, Margin: Unknown, Futures: Unknown, Options: Unknown, Transfer: No, Withdraw: Yes},
			IPRestricted: No, Whitelist: []string{},
			Raw: []string{"Wallet.Withdraw"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			got, err := decodeBybitKeyInfo(json.RawMessage(bybitKeyInfoPayloads[tt.payload]))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeBybitKeyInfoRejects(t *testing.T) {
	for _, body := range []string{`null`, `[]`, `"x"`, `{"permissions":{"Wallet":"Withdraw"}}`,
		`{"ips":"*"}`, `{"readOnly":"0"}`, `{"permissions":[]}`,
		// Neither permissions nor readOnly: not key info.
		`{}`, `{"apiKey":"XXXXXX","note":"x"}`, `{"permissions":null,"ips":["*"]}`,
		// An expiry that does not parse must not read as "no expiry".
		`{"readOnly":0,"permissions":{},"expiredAt":"2026-13-01"}`, `{"readOnly":0,"permissions":{},"createdAt":"yesterday"}`} {
		if ki, err := decodeBybitKeyInfo(json.RawMessage(body)); err == nil {
			t.Errorf("%s decoded to %+v, want an error", body, ki)
		}
	}
}

// FuzzBybitKeyInfo: never panics; Withdraw is No only when permissions.Wallet
// is present without "Withdraw" and every name is known; IPRestricted is Yes
// only when ips holds no "*".
func FuzzBybitKeyInfo(f *testing.F) {
	for _, p := range bybitKeyInfoPayloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ki, err := decodeBybitKeyInfo(body)
		if err != nil {
			return
		}
		var m struct {
			Permissions map[string]any `json:"permissions"`
			IPs         []any          `json:"ips"`
		}
		var raw map[string]json.RawMessage
		if json.Unmarshal(body, &raw) != nil {
			t.Fatalf("decoded %q that is not a JSON object", body)
		}
		_ = json.Unmarshal(raw["permissions"], &m.Permissions)
		_ = json.Unmarshal(raw["ips"], &m.IPs)
		wallet, walletOK := m.Permissions["Wallet"].([]any) // null is not ok
		namesWithdraw, allKnown := false, true
		for g, v := range m.Permissions {
			names, _ := v.([]any)
			for _, n := range names {
				s, _ := n.(string)
				namesWithdraw = namesWithdraw || strings.Contains(strings.ToLower(g+"."+s), "withdraw")
				_, known := bybitGrants[g+"."+s]
				allKnown = allKnown && known
			}
		}
		if ki.Permissions.Withdraw == No && (!walletOK || !allKnown || slices.Contains(wallet, any("Withdraw"))) {
			t.Errorf("Withdraw = No but Wallet is absent, holds Withdraw, or a name is unknown: %s", body)
		}
		if ki.Permissions.Withdraw == Yes && !namesWithdraw {
			t.Errorf("Withdraw = Yes but no permission names withdrawal: %s", body)
		}
		if ki.IPRestricted == Yes {
			for _, ip := range m.IPs {
				s, _ := ip.(string)
				for part := range strings.SplitSeq(s, ",") {
					if strings.TrimSpace(part) == "*" {
						t.Errorf("IPRestricted = Yes with ips %v", m.IPs)
					}
				}
			}
		}
		if ki.IPRestricted.Known() != (ki.Whitelist != nil) {
			t.Errorf("IPRestricted %v but Whitelist %#v", ki.IPRestricted, ki.Whitelist)
		}
	})
}
