package sixworld

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// Each fake's key: a trading key without withdrawals, whitelisted to
// Egress. The values are the fakes' own, never a real exchange's.
var (
	binanceKey = exchangetest.BinanceKey{APIKey: "kwSIXbinanceKEYvmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco",
		Secret:  "kwSIXbinanceSECRETNhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65X",
		Reading: true, SpotAndMarginTrading: true, Whitelist: []string{Egress.String() + "/32"}}
	bybitKey = exchangetest.BybitKey{APIKey: "kwSIXbybitKEY0123456", Secret: "kwSIXbybitSECRET0123456789abcdefghij",
		Permissions: map[string][]string{"Spot": {"SpotTrade"}, "ContractTrade": {"Order", "Position"}}, IPs: []string{Egress.String()}}
	okxKey = exchangetest.OKXKey{APIKey: "kwSIXokxKEY-0123-4567-89ab", Secret: "kwSIXokxSECRET0123456789ABCDEF", Passphrase: "kwSIXokxPASS-01",
		Perm: []string{"read_only", "trade"}, IPs: []string{Egress.String()}}
	krakenKey = exchangetest.KrakenKey{Key: "kwSIXkrakenKEY/2ZwNMnBcCTestKeyForKeywardenFakeOnlyAAAAAAAAAAAA",
		Secret: "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
		Info: exchangetest.KrakenKeyInfo{APIKeyName: "grid-bot",
			Permissions: []string{"query-funds", "query-open-trades", "query-closed-trades", "modify-trades"},
			ValidUntil:  "0", IPAllowlist: []string{Egress.String()}}}
	kucoinKey = exchangetest.KuCoinKey{Key: "6705f5c311545b000157d3ee", Secret: "kwSIXkucoinSECRET-5c39-4aaa-9b20", Passphrase: "kwSIXkucoinPASS-1",
		Info: exchangetest.KuCoinKeyInfo{Remark: "bot", APIVersion: 3, UID: 165111215, IsMaster: true,
			Permission: "General,Spot", IPWhitelist: "203.**.154"}}
	coinbaseKey = exchangetest.CoinbaseKey{Name: "organizations/0b2e5a0c-1111-4444-8888-0123456789ab/apiKeys/5e7f0e1d-3333-5555-7777-ba9876543210",
		AllowedIPs: []string{Egress.String()},
		Permissions: exchangetest.CoinbaseKeyPermissions{CanView: true, CanTrade: true,
			PortfolioUUID: "8bfc20d7-f7c6-4422-bf07-8243ca4169fe", PortfolioType: "DEFAULT"}}
)

// newVenue starts exchange ex's fake with its key and says how to act on
// it, and returns the key's secret values.
func newVenue(t testing.TB, ex string) (venue, []string) {
	t.Helper()
	// Set, not left to the fake's "now": a key change keeps its creation
	// time, so the change shows only what the intruder changed.
	created := time.Now().Add(-30 * 24 * time.Hour).Truncate(time.Second)
	switch ex {
	case "binance":
		k := binanceKey
		k.CreatedAt = created
		f := exchangetest.NewBinance(k)
		return venue{fake: f, symbol: "BTCUSDT",
			dotenv: "BINANCE_API_KEY=" + k.APIKey + "\nBINANCE_API_SECRET=" + k.Secret + "\n",
			own: func(n int, at time.Time) (string, string, string) {
				id := f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: fmt.Sprintf("bot-%d", n), Side: "BUY", Qty: "0.01", Time: at})
				return "BTCUSDT", strconv.FormatInt(id, 10), ""
			},
			// On a market the bot trades: Binance lists orders per symbol.
			foreign: func(at time.Time) string {
				return strconv.FormatInt(f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: "web_intruder", Side: "SELL", Qty: "2.5", Time: at}), 10)
			},
			withdraw: func(id, to string, at time.Time) {
				f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: id, Coin: "USDT", Amount: "4200", Address: to, Time: at})
			},
			grantWithdrawals: func() {
				g := k
				g.Withdrawals = true
				f.SetKey(g)
			},
		}, []string{k.APIKey, k.Secret}
	case "bybit":
		k := bybitKey
		k.CreatedAt = created
		f := exchangetest.NewBybit(k)
		return venue{fake: f, symbol: "BTCUSDT",
			dotenv: "BYBIT_API_KEY=" + k.APIKey + "\nBYBIT_API_SECRET=" + k.Secret + "\n",
			own: func(n int, at time.Time) (string, string, string) {
				link := fmt.Sprintf("bot-%d", n)
				f.AddOrder(exchangetest.BybitOrder{Category: "linear", OrderLinkID: link, Symbol: "BTCUSDT", Side: "Buy", Qty: "0.01", Time: at})
				return "BTCUSDT", "", link
			},
			foreign: func(at time.Time) string {
				return f.AddOrder(exchangetest.BybitOrder{Category: "spot", Symbol: "PEPEUSDT", Side: "Buy", Qty: "100000", Time: at})
			},
			withdraw: func(id, to string, at time.Time) {
				f.AddWithdrawal(exchangetest.BybitWithdrawal{ID: id, Coin: "USDT", Amount: "4200", ToAddress: to, Time: at})
			},
			grantWithdrawals: func() {
				g := k
				g.Permissions = map[string][]string{"Spot": {"SpotTrade"}, "ContractTrade": {"Order", "Position"}, "Wallet": {"Withdraw"}}
				f.SetKey(g)
			},
		}, []string{k.APIKey, k.Secret}
	case "okx":
		k := okxKey
		f := exchangetest.NewOKX(k)
		return venue{fake: f, symbol: "BTC-USDT-SWAP",
			dotenv: "OKX_API_KEY=" + k.APIKey + "\nOKX_API_SECRET=" + k.Secret + "\nOKX_API_PASSPHRASE=" + k.Passphrase + "\n",
			own: func(_ int, at time.Time) (string, string, string) {
				id := f.AddOrder(exchangetest.OKXOrder{InstType: "SWAP", InstID: "BTC-USDT-SWAP", Side: "buy", Sz: "1", Time: at})
				return "BTC-USDT-SWAP", id, ""
			},
			foreign: func(at time.Time) string {
				return f.AddOrder(exchangetest.OKXOrder{InstType: "SPOT", InstID: "PEPE-USDT", ClOrdID: "web1", Side: "buy", Sz: "100000", Time: at})
			},
			withdraw: func(id, to string, at time.Time) {
				f.AddWithdrawal(exchangetest.OKXWithdrawal{WdID: id, Ccy: "USDT", Amt: "4200", To: to, Time: at})
			},
			grantWithdrawals: func() {
				g := k
				g.Perm = []string{"read_only", "trade", "withdraw"}
				f.SetKey(g)
			},
		}, []string{k.APIKey, k.Secret, k.Passphrase}
	case "kraken":
		k := krakenKey
		k.Info.CreatedTime = strconv.FormatInt(created.Unix(), 10)
		k.Info.ModifiedTime = k.Info.CreatedTime
		f := exchangetest.NewKraken(k)
		return venue{fake: f, symbol: "XBTUSD",
			dotenv: "KRAKEN_API_KEY=" + k.Key + "\nKRAKEN_API_SECRET=" + k.Secret + "\n",
			own: func(n int, at time.Time) (string, string, string) {
				id := f.AddOrder(exchangetest.KrakenOrder{UserRef: int64(1000 + n), Pair: "XBTUSD", Type: "buy", Vol: "0.01", Time: at})
				return "XBTUSD", id, ""
			},
			foreign: func(at time.Time) string {
				return f.AddOrder(exchangetest.KrakenOrder{Pair: "DOGEUSD", Type: "buy", Vol: "100000", Open: true, Time: at})
			},
			withdraw: func(id, to string, at time.Time) {
				f.AddMovement(exchangetest.KrakenMovement{RefID: id, Asset: "USDT", Amount: "4200", Info: to, Time: at})
			},
			// Kraken reports the edit's time too.
			grantWithdrawals: func() {
				g := k
				g.Info.Permissions = append(slices.Clone(k.Info.Permissions), "withdraw-funds")
				g.Info.ModifiedTime = strconv.FormatInt(time.Now().Unix(), 10)
				f.SetKey(g)
			},
		}, []string{k.Key, k.Secret}
	case "kucoin":
		k := kucoinKey
		k.Info.CreatedAt = created.UnixMilli()
		f := exchangetest.NewKuCoin(k)
		return venue{fake: f, symbol: "BTC-USDT",
			dotenv: "KUCOIN_API_KEY=" + k.Key + "\nKUCOIN_API_SECRET=" + k.Secret + "\nKUCOIN_API_PASSPHRASE=" + k.Passphrase + "\n",
			own: func(n int, at time.Time) (string, string, string) {
				oid := fmt.Sprintf("bot-%d", n)
				f.AddOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "0.01", ClientOid: oid, Time: at})
				return "BTC-USDT", "", oid
			},
			foreign: func(at time.Time) string {
				return f.AddOrder(exchangetest.KuCoinOrder{Symbol: "PEPE-USDT", Side: "buy", Size: "100000", Channel: "IOS", Active: true, Time: at})
			},
			withdraw: func(id, to string, at time.Time) {
				f.AddMovement(exchangetest.KuCoinMovement{ID: id, Currency: "USDT", Amount: "4200", Address: to, Time: at})
			},
			grantWithdrawals: func() {
				g := k
				g.Info.Permission = "General,Spot,Transfer"
				f.SetKey(g)
			},
		}, []string{k.Key, k.Secret, k.Passphrase}
	case "coinbase":
		secret, err := exchangetest.GenerateCoinbaseKey("ES256")
		if err != nil {
			t.Fatal(err)
		}
		k := coinbaseKey
		k.Secret = secret
		f := exchangetest.NewCoinbase(k)
		return venue{fake: f, symbol: "BTC-USD",
			// The PEM key in double quotes with \n escapes, as CDP's
			// download is usually pasted into a .env.
			dotenv: "COINBASE_API_KEY=" + k.Name + "\nCOINBASE_API_SECRET=\"" + strings.ReplaceAll(secret, "\n", `\n`) + "\"\n",
			// Coinbase enforces a key's IP allowlist but does not report
			// it, so import cannot tell a trading key is restricted.
			importArgs: []string{"--accept-risk"},
			own: func(n int, at time.Time) (string, string, string) {
				cid := fmt.Sprintf("bot-%d", n)
				f.AddOrder(exchangetest.CoinbaseOrder{ClientOrderID: cid, ProductID: "BTC-USD", Side: "BUY", BaseSize: "0.001", Time: at})
				return "BTC-USD", "", cid
			},
			// An app "simple buy": listed only when asked for RETAIL_SIMPLE.
			foreign: func(at time.Time) string {
				return f.AddOrder(exchangetest.CoinbaseOrder{ProductID: "ETH-USD", Side: "BUY", BaseSize: "3", Placement: "RETAIL_SIMPLE", Time: at})
			},
			withdraw: func(id, to string, at time.Time) {
				f.AddTransaction(exchangetest.CoinbaseTransaction{ID: id, Type: "send", Amount: "-4200.00", Currency: "USDC", To: to, Time: at})
			},
			grantWithdrawals: func() {
				g := k
				g.Permissions.CanTransfer = true
				if err := f.SetKey(g); err != nil {
					t.Errorf("coinbase fake: %v", err)
				}
			},
		}, []string{k.Name, secret}
	}
	t.Fatalf("sixworld: no fake for %s", ex)
	return venue{}, nil
}
