package exchange

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Official HMAC test vectors from binance-spot-api-docs rest-api.md
// (shared/reference/exchanges.md §1.5), byte for byte.
const (
	binanceVectorSecret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
)

func TestBinanceSignOfficialVectors(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		want    string
	}{
		{"V1 ascii", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"},
		{"V2 non-ascii percent-encoded", "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3"},
		// V3: query string and body concatenated with no separator.
		{"V3 query+body", "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC" + "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
			"0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := binanceSign(binanceVectorSecret, tt.payload); got != tt.want {
				t.Errorf("binanceSign = %s, want %s", got, tt.want)
			}
		})
	}
}

// The V2 payload must come out of binanceQuery from the raw, unencoded
// symbol: Binance signs the percent-encoded form.
func TestBinanceQueryEncodesBeforeSigning(t *testing.T) {
	got := binanceQuery("symbol", "１２３４５６", "side", "BUY", "type", "LIMIT", "timeInForce", "GTC",
		"quantity", "1", "price", "0.1", "recvWindow", "5000", "timestamp", "1499827319559")
	want := "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
	if got != want {
		t.Fatalf("binanceQuery = %s\nwant           %s", got, want)
	}
	if sig := binanceSign(binanceVectorSecret, got); sig != "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3" {
		t.Errorf("signature of built query = %s", sig)
	}
}

// Real-shaped apiRestrictions payloads.
var binanceKeyInfoPayloads = map[string]string{
	// Current official docs example.
	"docs-current": `{"ipRestrict":false,"createTime":1698645219000,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":true,"enableSpotAndMarginTrading":false,"enablePortfolioMarginTrading":true}`,
	// Older docs/OpenAPI shape with tradingAuthorityExpirationTime and no FIX fields.
	"docs-older":              `{"ipRestrict":false,"createTime":1623840271000,"enableWithdrawals":false,"enableInternalTransfer":true,"permitsUniversalTransfer":true,"enableVanillaOptions":false,"enableReading":true,"enableFutures":false,"enableMargin":false,"enableSpotAndMarginTrading":false,"tradingAuthorityExpirationTime":1628985600000}`,
	"withdraw-ip-restricted":  `{"ipRestrict":true,"createTime":1700000000000,"enableReading":true,"enableWithdrawals":true,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":true,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":true,"enablePortfolioMarginTrading":false}`,
	"fields-missing":          `{"ipRestrict":true,"enableReading":true,"enableSpotAndMarginTrading":true}`,
	"nulls":                   `{"ipRestrict":null,"createTime":null,"enableReading":true,"enableWithdrawals":null,"tradingAuthorityExpirationTime":null}`,
	"fix-trade-only":          `{"ipRestrict":true,"createTime":1700000000000,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":true,"enableFixReadOnly":false,"enableSpotAndMarginTrading":false,"enablePortfolioMarginTrading":false}`,
	"universal-transfer-only": `{"ipRestrict":true,"enableReading":true,"permitsUniversalTransfer":true}`,
	"withdraw-as-string":      `{"ipRestrict":true,"enableReading":true,"enableWithdrawals":"false"}`,
	// An ordinary trading key: read and spot trading, nothing else.
	"trading-key":  `{"ipRestrict":true,"createTime":1700000000000,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":true,"enablePortfolioMarginTrading":false}`,
	"margin-loans": `{"ipRestrict":true,"createTime":1700000000000,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":true,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":true,"enablePortfolioMarginTrading":false}`,
	// Every documented flag false plus flags nobody documented: one true
	// (what it grants is unknown), one false (grants nothing).
	"new-flags": `{"ipRestrict":true,"enableReading":true,"enableWithdrawals":false,"enableInternalTransfer":false,"enableMargin":false,"enableFutures":false,"permitsUniversalTransfer":false,"enableVanillaOptions":false,"enableFixApiTrade":false,"enableFixReadOnly":false,"enableSpotAndMarginTrading":false,"enablePortfolioMarginTrading":false,"enableCryptoPayout":true,"enableCopyTrading":false}`,
	// universal transfer off, internal transfer not reported: not a "No".
	"transfer-half-reported": `{"ipRestrict":true,"enableReading":true,"enableWithdrawals":false,"permitsUniversalTransfer":false}`,
}

func TestDecodeBinanceKeyInfo(t *testing.T) {
	ms := func(v int64) time.Time { return time.UnixMilli(v).UTC() }
	tests := []struct {
		payload string
		want    KeyInfo
	}{
		{"docs-current", KeyInfo{
			// Portfolio margin trades margin and futures; FIX read-only reads.
			// No flag governs convert, block trade, copy trading, P2P, Pay or
			// earn: Unknown whatever the flags say.
			Permissions: Permissions{Read: Yes, Trade: No, Margin: Yes, Futures: Yes, Options: No, Transfer: No, Withdraw: No,
				Convert: Unknown, BlockTrade: Unknown, CopyTrading: Unknown, P2P: Unknown, Pay: Unknown, Earn: Unknown},
			IPRestricted: No, CreatedAt: ms(1698645219000),
			Raw: []string{"enableFixReadOnly", "enablePortfolioMarginTrading", "enableReading"},
		}},
		// No FIX or portfolio-margin fields: trade, margin and futures may be
		// granted by them, so they are Unknown, not No.
		{"docs-older", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Unknown, Margin: Unknown, Futures: Unknown, Options: No, Transfer: Yes, Withdraw: No},
			IPRestricted: No, CreatedAt: ms(1623840271000), ExpiresAt: ms(1628985600000), ExpiresWhat: "trading permission",
			Raw: []string{"enableInternalTransfer", "enableReading", "permitsUniversalTransfer"},
		}},
		// Margin follows enableMargin: spot trading is not margin.
		{"withdraw-ip-restricted", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Yes, Margin: No, Futures: Yes, Options: No, Transfer: No, Withdraw: Yes},
			IPRestricted: Yes, CreatedAt: ms(1700000000000),
			Raw: []string{"enableFutures", "enableReading", "enableSpotAndMarginTrading", "enableWithdrawals"},
		}},
		// Trap: a missing field is Unknown, never false.
		{"fields-missing", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Yes, Margin: Unknown, Futures: Unknown, Options: Unknown, Transfer: Unknown, Withdraw: Unknown},
			IPRestricted: Yes,
			Raw:          []string{"enableReading", "enableSpotAndMarginTrading"},
		}},
		{"trading-key", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Yes, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No},
			IPRestricted: Yes, CreatedAt: ms(1700000000000),
			Raw: []string{"enableReading", "enableSpotAndMarginTrading"},
		}},
		{"margin-loans", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Yes, Margin: Yes, Futures: No, Options: No, Transfer: No, Withdraw: No},
			IPRestricted: Yes, CreatedAt: ms(1700000000000),
			Raw: []string{"enableMargin", "enableReading", "enableSpotAndMarginTrading"},
		}},
		{"new-flags", KeyInfo{
			Permissions: Permissions{Read: Yes, Trade: Unknown, Margin: No, Futures: No, Options: No, Transfer: Unknown, Withdraw: Unknown,
				Unrecognized: "enableCryptoPayout"},
			IPRestricted: Yes,
			Raw:          []string{"enableCryptoPayout", "enableReading"},
		}},
		{"transfer-half-reported", KeyInfo{
			Permissions:  Permissions{Read: Yes, Withdraw: No},
			IPRestricted: Yes,
			Raw:          []string{"enableReading"},
		}},
		{"nulls", KeyInfo{
			Permissions: Permissions{Read: Yes},
			Raw:         []string{"enableReading"},
		}},
		{"fix-trade-only", KeyInfo{
			Permissions:  Permissions{Read: Yes, Trade: Yes, Margin: No, Futures: No, Options: No, Transfer: No, Withdraw: No},
			IPRestricted: Yes, CreatedAt: ms(1700000000000),
			Raw: []string{"enableFixApiTrade", "enableReading"},
		}},
		{"universal-transfer-only", KeyInfo{
			Permissions:  Permissions{Read: Yes, Transfer: Yes},
			IPRestricted: Yes,
			Raw:          []string{"enableReading", "permitsUniversalTransfer"},
		}},
		// A wrongly typed flag is not a known false.
		{"withdraw-as-string", KeyInfo{
			Permissions:  Permissions{Read: Yes, Withdraw: Unknown},
			IPRestricted: Yes,
			Raw:          []string{"enableReading"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.payload, func(t *testing.T) {
			got, err := decodeBinanceKeyInfo([]byte(binanceKeyInfoPayloads[tt.payload]))
			if err != nil {
				t.Fatal(err)
			}
			if got.Whitelist != nil {
				t.Errorf("Whitelist = %v, want nil: Binance reports no IP list", got.Whitelist)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeBinanceKeyInfoRejects(t *testing.T) {
	for _, body := range []string{
		`{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}`,
		`<html>502</html>`, `[]`, `null`, `"x"`, ``,
		`{"createTime":"yesterday","enableReading":true}`,
		`{"tradingAuthorityExpirationTime":1.5e300}`,
		// No permission field at all is not key info.
		`{}`, `{"ipRestrict":true,"createTime":1700000000000}`, `{"enableReading":"true"}`,
	} {
		if ki, err := decodeBinanceKeyInfo([]byte(body)); err == nil {
			t.Errorf("%q decoded to %+v, want an error", body, ki)
		}
	}
}

// FuzzBinanceKeyInfo: the decoder never panics, and never reads a
// permission as No unless every field granting it is literally false; a
// true flag nobody documented leaves trade, transfer and withdraw Unknown.
func FuzzBinanceKeyInfo(f *testing.F) {
	for _, p := range binanceKeyInfoPayloads {
		f.Add([]byte(p))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		ki, err := decodeBinanceKeyInfo(body)
		if err != nil {
			return
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil {
			t.Fatalf("decoded %q that is not a JSON object", body)
		}
		bp := binancePermissions
		documented := slices.Concat(binanceOtherFields, bp.read.fields(), bp.trade.fields(), bp.margin.fields(),
			bp.futures.fields(), bp.options.fields(), bp.transfer.fields(), bp.withdraw.fields())
		// An undocumented true flag: what it grants is unknown, except that
		// one naming withdrawal or transfer grants it (permnames.go's rule:
		// never read safer than the name says).
		undocumentedTrue := false
		named := map[string]bool{}
		for k, v := range m {
			if b, ok := v.(bool); ok && b && !slices.Contains(documented, k) {
				undocumentedTrue = true
				for _, n := range []string{"withdraw", "transfer"} {
					if strings.Contains(strings.ToLower(k), n) {
						named[n] = true
					}
				}
			}
		}
		check := func(name string, got Tri, p binancePermission) {
			want := No
			for _, f := range p.fields() {
				v, ok := m[f].(bool)
				if ok && v {
					want = Yes
					break
				}
				if !ok {
					want = Unknown
				}
			}
			if want == No && undocumentedTrue && (name == "trade" || name == "transfer" || name == "withdraw") {
				want = Unknown
			}
			if named[name] {
				want = Yes
			}
			if got != want {
				t.Errorf("%s = %v, want %v for %s", name, got, want, body)
			}
		}
		check("withdraw", ki.Permissions.Withdraw, binancePermissions.withdraw)
		check("trade", ki.Permissions.Trade, binancePermissions.trade)
		check("transfer", ki.Permissions.Transfer, binancePermissions.transfer)
		check("read", ki.Permissions.Read, binancePermissions.read)
		check("margin", ki.Permissions.Margin, binancePermissions.margin)
		check("futures", ki.Permissions.Futures, binancePermissions.futures)
		check("options", ki.Permissions.Options, binancePermissions.options)
		if ki.Whitelist != nil {
			t.Errorf("Whitelist = %v, want nil", ki.Whitelist)
		}
	})
}

func BenchmarkDecodeKeyInfo(b *testing.B) {
	for _, c := range []struct {
		name   string
		decode func([]byte) (KeyInfo, error)
		body   string
	}{
		{"binance", decodeBinanceKeyInfo, binanceKeyInfoPayloads["docs-current"]},
		{"bybit", func(p []byte) (KeyInfo, error) { return decodeBybitKeyInfo(p) }, bybitKeyInfoPayloads["ip-bound-withdraw"]},
		{"okx", func(p []byte) (KeyInfo, error) { return decodeOKXKeyInfo(p) }, okxKeyInfoPayloads["docs-all"]},
	} {
		b.Run(c.name, func(b *testing.B) {
			body := []byte(c.body)
			for b.Loop() {
				if _, err := c.decode(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
