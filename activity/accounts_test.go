package activity

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/exchange/exchangetest"
	"github.com/keywarden/keywarden/keystore"
)

// account is one exchange's fake as the activity tests drive it.
type account interface {
	// own puts an order the bot places on the exchange and in its log.
	own(w *world, n int)
	// foreign puts an order nobody logged on the exchange; its id.
	foreign() string
	withdraw(id, to string)
	deposit(id string)
	// changeKey grants the key withdrawals.
	changeKey()
	// page is the adapter's page size: own orders beyond it need paging.
	page() int
}

var accounts = map[string]func(t *testing.T) (*world, account){
	"binance": func(t *testing.T) (*world, account) {
		w, f := binanceWorld(t, true)
		return w, binanceAccount{f}
	},
	"bybit": func(t *testing.T) (*world, account) {
		f := exchangetest.NewBybit(bybitTradingKey)
		t.Cleanup(f.Close)
		w := newWorld(t, "bybit", f.URL(),
			keystore.Item{APIKey: keystore.NewSecret(bybitTradingKey.APIKey), APISecret: keystore.NewSecret(bybitTradingKey.Secret)}, true)
		return w, bybitAccount{f}
	},
	"okx": func(t *testing.T) (*world, account) {
		f := exchangetest.NewOKX(okxTradingKey)
		t.Cleanup(f.Close)
		w := newWorld(t, "okx", f.URL(), keystore.Item{APIKey: keystore.NewSecret(okxTradingKey.APIKey),
			APISecret: keystore.NewSecret(okxTradingKey.Secret), Passphrase: keystore.NewSecret(okxTradingKey.Passphrase)}, true)
		return w, okxAccount{f}
	},
	"kucoin": func(t *testing.T) (*world, account) {
		f := exchangetest.NewKuCoin(kucoinTradingKey)
		t.Cleanup(f.Close)
		f.SetCallerIP(netip.MustParseAddr("203.0.113.154"))
		w := newWorld(t, "kucoin", f.URL(), keystore.Item{APIKey: keystore.NewSecret(kucoinTradingKey.Key),
			APISecret: keystore.NewSecret(kucoinTradingKey.Secret), Passphrase: keystore.NewSecret(kucoinTradingKey.Passphrase)}, true)
		return w, kucoinAccount{f}
	},
	// The same KuCoin account trading on its high-frequency (HF) account.
	"kucoin-hf": func(t *testing.T) (*world, account) {
		w, f := kucoinWorld(t, kucoinTradingKey)
		return w, kucoinHFAccount{kucoinAccount{f}}
	},
	"coinbase": func(t *testing.T) (*world, account) {
		secret, err := exchangetest.GenerateCoinbaseKey("ES256")
		if err != nil {
			t.Fatal(err)
		}
		k := coinbaseTradingKey
		k.Secret = secret
		f := exchangetest.NewCoinbase(k)
		t.Cleanup(f.Close)
		w := newWorld(t, "coinbase", f.URL(), keystore.Item{APIKey: keystore.NewSecret(k.Name), APISecret: keystore.NewSecret(secret)}, true)
		return w, coinbaseAccount{f, k}
	},
	"kraken": func(t *testing.T) (*world, account) {
		f := exchangetest.NewKraken(krakenTradingKey)
		t.Cleanup(f.Close)
		w := newWorld(t, "kraken", f.URL(), keystore.Item{APIKey: keystore.NewSecret(krakenTradingKey.Key),
			APISecret: keystore.NewSecret(krakenTradingKey.Secret)}, true)
		return w, krakenAccount{f}
	},
}

type binanceAccount struct{ f *exchangetest.Binance }

func (a binanceAccount) own(w *world, n int) {
	id := a.f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", ClientOrderID: fmt.Sprintf("bot-%d", n), Side: "BUY", Qty: "0.01", Time: ago()})
	w.logOrder("BTCUSDT", strconv.FormatInt(id, 10), "")
}

func (a binanceAccount) foreign() string {
	return strconv.FormatInt(a.f.AddOrder(exchangetest.BinanceOrder{Symbol: "BTCUSDT", Side: "SELL", Qty: "7", Time: ago()}), 10)
}

func (a binanceAccount) withdraw(id, to string) {
	a.f.AddWithdrawal(exchangetest.BinanceWithdrawal{ID: id, Coin: "USDT", Amount: "100", Address: to, Time: ago()})
}

func (a binanceAccount) deposit(id string) {
	a.f.AddDeposit(exchangetest.BinanceDeposit{ID: id, Coin: "USDT", Amount: "5", Address: "0xDEP", Time: ago()})
}

func (a binanceAccount) changeKey() {
	k := binanceTradingKey
	k.Withdrawals = true
	a.f.SetKey(k)
}

func (binanceAccount) page() int { return 1000 }

var bybitTradingKey = exchangetest.BybitKey{APIKey: "kwBybitKey0123456789", Secret: "kwBybitSecret0123456789abcdefghij",
	Permissions: map[string][]string{"Spot": {"SpotTrade"}}, IPs: []string{"127.0.0.1"}}

type bybitAccount struct{ f *exchangetest.Bybit }

func (a bybitAccount) own(w *world, n int) {
	link := fmt.Sprintf("bot-%d", n)
	a.f.AddOrder(exchangetest.BybitOrder{Category: "linear", OrderLinkID: link, Symbol: "BTCUSDT", Side: "Buy", Qty: "0.01", Time: ago()})
	w.logOrder("BTCUSDT", "", link)
}

func (a bybitAccount) foreign() string {
	return a.f.AddOrder(exchangetest.BybitOrder{Category: "spot", Symbol: "PEPEUSDT", Side: "Buy", Qty: "100000", Time: ago()})
}

func (a bybitAccount) withdraw(id, to string) {
	a.f.AddWithdrawal(exchangetest.BybitWithdrawal{ID: id, Coin: "USDT", Amount: "100", ToAddress: to, Time: ago()})
}

func (a bybitAccount) deposit(id string) {
	a.f.AddDeposit(exchangetest.BybitDeposit{ID: id, Coin: "USDT", Amount: "5", ToAddress: "0xDEP", Time: ago()})
}

func (a bybitAccount) changeKey() {
	k := bybitTradingKey
	k.Permissions = map[string][]string{"Spot": {"SpotTrade"}, "Wallet": {"Withdraw"}}
	a.f.SetKey(k)
}

func (bybitAccount) page() int { return 50 }

// TestAccounts runs the same story on every covered exchange's fake.
func TestAccounts(t *testing.T) {
	for name, open := range accounts {
		t.Run(name, func(t *testing.T) {
			w, a := open(t)
			w.profile.Activity.Addresses = []string{"0xCOLD"}
			w.logOrder("BTCUSDT", "", "")
			for _, id := range []string{OrdersID, FundsID, KeyID} {
				if r := w.want(id, checks.OK); !strings.Contains(r.Summary, "baseline") {
					t.Fatalf("%s first run: %q", id, r.Summary)
				}
			}

			// The bot's own orders, more than a page of them: ok.
			n := 2*a.page() + 5
			for i := range n {
				a.own(w, i)
			}
			if r := w.want(OrdersID, checks.OK); r.Details["matched"] != n {
				t.Fatalf("matched %v of %d: %s", r.Details["matched"], n, r.Summary)
			}

			// A foreign order: crit with its id, once, until acknowledged.
			fid := a.foreign()
			r := w.want(OrdersID, checks.Crit)
			if !strings.Contains(r.Summary, fid) || !slices.Equal(foreignIDs(r), []string{fid}) {
				t.Fatalf("foreign %v, summary %q, want %s", foreignIDs(r), r.Summary, fid)
			}
			if got := foreignIDs(w.want(OrdersID, checks.Crit)); len(got) != 1 {
				t.Fatalf("second poll: foreign %v", got)
			}
			w.ack(fid)
			w.want(OrdersID, checks.OK)

			// Funds: a deposit and an allowed address are ok; another address is crit.
			a.deposit("dep-1")
			a.withdraw("wd-ok", "0xCOLD")
			w.want(FundsID, checks.OK)
			a.withdraw("wd-evil", "0xEVIL")
			if got := alarmIDs(w.want(FundsID, checks.Crit)); !slices.Equal(got, []string{"wd-evil"}) {
				t.Fatalf("alarms %v", got)
			}
			if got := alarmIDs(w.want(FundsID, checks.Crit)); len(got) != 1 {
				t.Fatalf("second poll: alarms %v", got)
			}
			w.ack("wd-evil")
			w.want(FundsID, checks.OK)

			// The key gains withdrawals: crit with the difference, until acknowledged.
			a.changeKey()
			if c := changes(w.want(KeyID, checks.Crit)); !strings.Contains(c, "permission withdraw no→yes") {
				t.Fatalf("changes %q", c)
			}
			w.want(KeyID, checks.Crit)
			w.ack(KeyAck)
			w.want(KeyID, checks.OK)
		})
	}
}

var okxTradingKey = exchangetest.OKXKey{APIKey: "kwOKXKey-0123-4567", Secret: "kwOKXSecret0123456789", Passphrase: "kwOKXPass-01",
	Perm: []string{"read_only", "trade"}, IPs: []string{"127.0.0.1"}}

type okxAccount struct{ f *exchangetest.OKX }

func (a okxAccount) own(w *world, n int) {
	id := a.f.AddOrder(exchangetest.OKXOrder{InstType: "SWAP", InstID: "BTC-USDT-SWAP", Side: "buy", Sz: "1", Time: ago()})
	w.logOrder("BTC-USDT-SWAP", id, "")
}

func (a okxAccount) foreign() string {
	return a.f.AddOrder(exchangetest.OKXOrder{InstType: "SPOT", InstID: "PEPE-USDT", ClOrdID: "web1", Side: "buy", Sz: "100000", Time: ago()})
}

func (a okxAccount) withdraw(id, to string) {
	a.f.AddWithdrawal(exchangetest.OKXWithdrawal{WdID: id, Ccy: "USDT", Amt: "100", To: to, Time: ago()})
}

func (a okxAccount) deposit(id string) {
	a.f.AddDeposit(exchangetest.OKXDeposit{DepID: id, Ccy: "USDT", Amt: "5", To: "0xDEP", Time: ago()})
}

func (a okxAccount) changeKey() {
	k := okxTradingKey
	k.Perm = []string{"read_only", "trade", "withdraw"}
	a.f.SetKey(k)
}

func (okxAccount) page() int { return 100 }

var krakenTradingKey = exchangetest.KrakenKey{Key: "K4WzA0/2ZwNMnBcCTestKeyForKeywardenFakeOnlyAAAAAAAAAAAAAA",
	Secret: "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==",
	Info: exchangetest.KrakenKeyInfo{APIKeyName: "grid-bot",
		Permissions: []string{"query-funds", "query-open-trades", "query-closed-trades", "modify-trades"},
		ValidUntil:  "1780000000", CreatedTime: "1772542900", ModifiedTime: "1772543095", IPAllowlist: []string{"127.0.0.1"}}}

type krakenAccount struct{ f *exchangetest.Kraken }

func (a krakenAccount) own(w *world, n int) {
	id := a.f.AddOrder(exchangetest.KrakenOrder{UserRef: int64(1000 + n), Pair: "XBTUSD", Type: "buy", Vol: "0.01", Time: ago()})
	w.logOrder("XBTUSD", id, "")
}

func (a krakenAccount) foreign() string {
	return a.f.AddOrder(exchangetest.KrakenOrder{Pair: "DOGEUSD", Type: "buy", Vol: "100000", Open: true, Time: ago()})
}

func (a krakenAccount) withdraw(id, to string) {
	a.f.AddMovement(exchangetest.KrakenMovement{RefID: id, Asset: "USDT", Amount: "100", Info: to, Time: ago()})
}

func (a krakenAccount) deposit(id string) {
	a.f.AddMovement(exchangetest.KrakenMovement{RefID: id, Asset: "USDT", Amount: "5", Info: "0xDEP", Deposit: true, Time: ago()})
}

func (a krakenAccount) changeKey() {
	k := krakenTradingKey
	k.Info.Permissions = append(slices.Clone(k.Info.Permissions), "withdraw-funds")
	a.f.SetKey(k)
}

func (krakenAccount) page() int { return 50 }

var kucoinTradingKey = exchangetest.KuCoinKey{Key: "6705f5c311545b000157d3eb", Secret: "f03a5284-5c39-4aaa-9b20-dea10bdcf8e3", Passphrase: "kwKuCoinPass-1",
	Info: exchangetest.KuCoinKeyInfo{Remark: "bot", APIVersion: 3, UID: 165111215, IsMaster: true,
		Permission: "General,Spot", IPWhitelist: "203.**.154", CreatedAt: 1728443843000}}

type kucoinAccount struct{ f *exchangetest.KuCoin }

func (a kucoinAccount) own(w *world, n int) {
	oid := fmt.Sprintf("bot-%d", n)
	a.f.AddOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "0.01", ClientOid: oid, Time: ago()})
	w.logOrder("BTC-USDT", "", oid)
}

func (a kucoinAccount) foreign() string {
	return a.f.AddOrder(exchangetest.KuCoinOrder{Symbol: "PEPE-USDT", Side: "buy", Size: "100000", Channel: "IOS", Active: true, Time: ago()})
}

func (a kucoinAccount) withdraw(id, to string) {
	a.f.AddMovement(exchangetest.KuCoinMovement{ID: id, Currency: "USDT", Amount: "100", Address: to, Time: ago()})
}

func (a kucoinAccount) deposit(id string) {
	a.f.AddMovement(exchangetest.KuCoinMovement{ID: id, Currency: "USDT", Amount: "5", Address: "0xDEP", Deposit: true, Time: ago()})
}

func (a kucoinAccount) changeKey() {
	k := kucoinTradingKey
	k.Info.Permission = "General,Spot,Transfer"
	a.f.SetKey(k)
}

func (kucoinAccount) page() int { return 500 }

type kucoinHFAccount struct{ kucoinAccount }

func (a kucoinHFAccount) own(w *world, n int) {
	oid := fmt.Sprintf("hf-bot-%d", n)
	a.f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "BTC-USDT", Side: "buy", Size: "0.01", ClientOid: oid, Time: ago()})
	w.logOrder("BTC-USDT", "", oid)
}

// foreign is an open HF order on a symbol the bot never logged.
func (a kucoinHFAccount) foreign() string {
	return a.f.AddHFOrder(exchangetest.KuCoinOrder{Symbol: "PEPE-USDT", Side: "buy", Size: "100000", Channel: "IOS", Active: true, Time: ago()})
}

func (kucoinHFAccount) page() int { return 100 }

var coinbaseTradingKey = exchangetest.CoinbaseKey{Name: "organizations/0b2e5a0c-1111-4444-8888-0123456789ab/apiKeys/9f0e1d2c-3333-5555-7777-ba9876543210",
	Permissions: exchangetest.CoinbaseKeyPermissions{CanView: true, CanTrade: true,
		PortfolioUUID: "8bfc20d7-f7c6-4422-bf07-8243ca4169fe", PortfolioType: "DEFAULT"}}

type coinbaseAccount struct {
	f *exchangetest.Coinbase
	k exchangetest.CoinbaseKey
}

func (a coinbaseAccount) own(w *world, n int) {
	cid := fmt.Sprintf("bot-%d", n)
	a.f.AddOrder(exchangetest.CoinbaseOrder{ClientOrderID: cid, ProductID: "BTC-USD", Side: "BUY", BaseSize: "0.001", Time: ago()})
	w.logOrder("BTC-USD", "", cid)
}

// foreign is an app "simple buy": listed only when asked for RETAIL_SIMPLE.
func (a coinbaseAccount) foreign() string {
	return a.f.AddOrder(exchangetest.CoinbaseOrder{ProductID: "ETH-USD", Side: "BUY", BaseSize: "3", Placement: "RETAIL_SIMPLE", Time: ago()})
}

func (a coinbaseAccount) withdraw(id, to string) {
	a.f.AddTransaction(exchangetest.CoinbaseTransaction{ID: id, Type: "send", Amount: "-100.00", Currency: "USDC", To: to, Time: ago()})
}

func (a coinbaseAccount) deposit(id string) {
	a.f.AddTransaction(exchangetest.CoinbaseTransaction{ID: id, Type: "receive", Amount: "5.00", Currency: "USDC", Time: ago()})
}

func (a coinbaseAccount) changeKey() {
	k := a.k
	k.Permissions.CanTransfer = true
	if err := a.f.SetKey(k); err != nil {
		panic(err)
	}
}

func (coinbaseAccount) page() int { return 250 }
