package exchange

import (
	"encoding/json"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// Property tests over generated key-info answers, one per exchange: random
// subsets of documented and unknown permission names, fields missing, null
// or wrongly typed. Each generator knows, from the exchange's docs and not
// from the decoder's tables, what every documented name grants; the
// properties, for every answer the decoder accepts:
//   - withdraw reads No only from an explicit documented "no";
//   - an unknown name never yields Trade=No or Withdraw=No, and is named;
//   - ValueMoving never reports as No a capability a granted name grants.
// The seed is fixed: a failure reproduces.

// propAnswer is one generated answer and what the docs say about it.
type propAnswer struct {
	body []byte
	// grants are the capabilities the granted documented names give.
	grants []string
	// unknown is set when the answer holds a permission nobody documented.
	unknown bool
	// withdrawNo is set when the answer explicitly says "no withdrawal" in
	// the documented way.
	withdrawNo bool
}

const propRuns = 3000

func checkPermProperties(t *testing.T, decode func([]byte) (KeyInfo, error), gen func(*rand.Rand) propAnswer) {
	t.Helper()
	r := rand.New(rand.NewPCG(13, 5))
	decoded := 0
	for range propRuns {
		a := gen(r)
		ki, err := decode(a.body)
		if err != nil {
			continue
		}
		decoded++
		p := ki.Permissions
		if p.Withdraw == No && !a.withdrawNo {
			t.Errorf("withdraw No without an explicit documented no: %s", a.body)
		}
		if a.unknown {
			if p.Trade == No || p.Withdraw == No {
				t.Errorf("unknown name but trade %v, withdraw %v: %s", p.Trade, p.Withdraw, a.body)
			}
			if p.Unrecognized == "" {
				t.Errorf("unknown name not named in Unrecognized: %s", a.body)
			}
		}
		yes, unk := p.ValueMoving()
		for _, g := range a.grants {
			if slices.Contains(ValueMovingNames, g) && !slices.Contains(yes, g) && !slices.Contains(unk, g) {
				t.Errorf("%s is granted but ValueMoving says no (%+v): %s", g, p, a.body)
			}
			if p.Get(g) == No {
				t.Errorf("%s is granted but reads No: %s", g, a.body)
			}
		}
	}
	// The generator must mostly produce answers the decoder takes, or the
	// properties are vacuous.
	if decoded < propRuns/4 {
		t.Errorf("only %d of %d generated answers decoded", decoded, propRuns)
	}
}

// pick returns a random subset of names, in random order.
func pick(r *rand.Rand, names []string) []string {
	var out []string
	for _, n := range names {
		if r.IntN(3) == 0 {
			out = append(out, n)
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// propUnknownNames are names no exchange documents; some say what they do.
var propUnknownNames = []string{"CryptoPayout", "fiat-withdraw-v2", "FlexTransferPro", "GiftCard", "margin_loan2"}

// wrongTyped is a JSON value of the wrong type for a string or list field.
func wrongTyped(r *rand.Rand) any {
	return []any{7, map[string]any{"a": 1}, []any{1}, true}[r.IntN(4)]
}

// wrongBool is a JSON value of the wrong type for a boolean field.
func wrongBool(r *rand.Rand) any {
	return []any{7, "true", "false", map[string]any{"a": 1}, []any{true}, 0}[r.IntN(6)]
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// permPropExchanges are the exchanges under the property tests, each with
// its decoder and a generator of answers in the shape of its key info.
var permPropExchanges = []struct {
	name   string
	decode func([]byte) (KeyInfo, error)
	gen    func(*rand.Rand) propAnswer
}{
	{"binance", decodeBinanceKeyInfo, flagShape{
		docs: binanceDocs, order: slices.Sorted(maps.Keys(binanceDocs)),
		withdraw: "enableWithdrawals", unknown: "enableCryptoPayout",
		base: func(r *rand.Rand) map[string]any {
			return map[string]any{"ipRestrict": r.IntN(2) == 0, "createTime": 1698645219000}
		},
	}.gen},
	{"coinbase", decodeCoinbaseKeyInfo, flagShape{
		docs: coinbaseDocs, order: []string{"can_view", "can_trade", "can_transfer"},
		withdraw: "can_transfer", unknown: "can_payout",
		base: func(r *rand.Rand) map[string]any {
			return map[string]any{"portfolio_uuid": "x", "portfolio_type": []string{"DEFAULT", "CONSUMER", "INTX", ""}[r.IntN(4)]}
		},
	}.gen},
	{"okx", func(b []byte) (KeyInfo, error) { return decodeOKXKeyInfo(b) }, listShape{
		docs: okxDocs, field: "perm",
		encode: func(r *rand.Rand, names []string) any {
			return strings.Join(names, []string{",", " , ", ","}[r.IntN(3)])
		},
		base:    map[string]any{},
		ipField: "ip", ips: []any{"", "203.0.113.7", "*", nil, 5},
		inList: true,
	}.gen},
	{"kucoin", decodeKuCoinKeyInfo, listShape{
		docs: kucoinDocs, field: "permission",
		encode:  func(_ *rand.Rand, names []string) any { return strings.Join(names, ",") },
		base:    map[string]any{"createdAt": 1728443843000},
		ipField: "ipWhitelist", ips: []any{"", "203.**.154", nil, 5},
	}.gen},
	{"kraken", decodeKrakenKeyInfo, listShape{
		docs: krakenDocs, field: "permissions",
		encode: func(_ *rand.Rand, names []string) any {
			list := make([]any, len(names))
			for i, n := range names {
				list[i] = n
			}
			return list
		},
		base:    map[string]any{"validUntil": "0", "createdTime": "1772542900"},
		ipField: "ipAllowlist", ips: []any{[]any{}, []any{"203.0.113.7"}, nil, "x"},
	}.gen},
	{"bybit", func(b []byte) (KeyInfo, error) { return decodeBybitKeyInfo(b) }, bybitAnswer},
}

func TestPermissionProperties(t *testing.T) {
	for _, x := range permPropExchanges {
		t.Run(x.name, func(t *testing.T) { checkPermProperties(t, x.decode, x.gen) })
	}
}

// flagShape is a key-info answer of one boolean per documented name
// (Binance, Coinbase).
type flagShape struct {
	docs map[string][]string
	// order is the order the flags are generated in.
	order []string
	// withdraw is the flag whose false is the documented "no withdrawal".
	withdraw string
	// unknown is a flag nobody documented, named as if it moved funds.
	unknown string
	// base is the rest of the answer.
	base func(*rand.Rand) map[string]any
}

func (s flagShape) gen(r *rand.Rand) propAnswer {
	var a propAnswer
	obj := s.base(r)
	for _, f := range s.order {
		switch r.IntN(6) {
		case 0: // left out
		case 1:
			obj[f] = nil
		case 2:
			obj[f] = wrongBool(r)
		case 3:
			obj[f] = true
			a.grants = append(a.grants, s.docs[f]...)
		default:
			obj[f] = false
			a.withdrawNo = a.withdrawNo || f == s.withdraw
		}
	}
	if r.IntN(4) == 0 {
		obj[s.unknown] = true
		a.unknown, a.withdrawNo = true, false
	}
	a.body = mustJSON(obj)
	return a
}

// listShape is a key-info answer of one field listing the granted names
// (OKX, KuCoin, Kraken), and sometimes an IP restriction.
type listShape struct {
	docs  map[string][]string
	field string
	// encode writes the names the way the exchange lists them.
	encode func(*rand.Rand, []string) any
	// base is the rest of the answer; each answer starts from a copy.
	base    map[string]any
	ipField string
	ips     []any
	// inList is set when the exchange answers a list of one object.
	inList bool
}

func (s listShape) gen(r *rand.Rand) propAnswer {
	names, a := listAnswer(r, s.docs)
	obj := maps.Clone(s.base)
	// Left out, null or wrongly typed, the field says nothing about
	// withdrawal.
	switch r.IntN(8) {
	case 0:
		a.withdrawNo = false
	case 1:
		obj[s.field] = nil
		a.withdrawNo = false
	case 2:
		obj[s.field] = wrongTyped(r)
		a.withdrawNo = false
	default:
		obj[s.field] = s.encode(r, names)
	}
	if r.IntN(2) == 0 {
		obj[s.ipField] = s.ips[r.IntN(len(s.ips))]
	}
	if s.inList {
		a.body = mustJSON([]any{obj})
	} else {
		a.body = mustJSON(obj)
	}
	return a
}

// listAnswer builds a comma list (OKX, KuCoin) or a JSON list (Kraken) of
// documented and unknown names and says what they grant.
func listAnswer(r *rand.Rand, documented map[string][]string) (names []string, a propAnswer) {
	keys := make([]string, 0, len(documented))
	for k := range documented {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	names = pick(r, keys)
	a.withdrawNo = true
	for _, n := range names {
		a.grants = append(a.grants, documented[n]...)
		if slices.Contains(documented[n], "withdraw") {
			a.withdrawNo = false
		}
	}
	if r.IntN(3) == 0 {
		u := propUnknownNames[r.IntN(len(propUnknownNames))]
		names = append(names, u)
		a.unknown, a.withdrawNo = true, false
	}
	// Exchanges that match names case-insensitively see these as the same.
	for i := range names {
		if r.IntN(4) == 0 {
			names[i] = strings.ToUpper(names[i])
		}
	}
	return names, a
}

// From https://www.okx.com/docs-v5/en/ (Overview → API key permissions):
// Trade is every write but withdrawal.
var okxDocs = map[string][]string{
	"read_only": {"read"},
	"trade":     {"trade", "margin", "futures", "options", "transfer", "convert", "block_trade", "copy_trading", "earn"},
	"withdraw":  {"withdraw"},
}

// From the KuCoin spec (Kucoin/kucoin-universal-sdk spec/rest/api,
// x-api-permission of each endpoint) and the legacy "API KEY PERMISSIONS":
// Transfer and Withdrawal withdraw; Spot and Futures also take the older
// transfer endpoints.
var kucoinDocs = map[string][]string{
	"General": {"read"}, "Spot": {"trade", "transfer"}, "Margin": {"margin"}, "Futures": {"futures", "transfer"},
	"InnerTransfer": {"transfer"}, "FlexTransfers": {"transfer"}, "Transfer": {"withdraw"}, "Withdrawal": {"withdraw"},
	"Earn": {"earn"}, "LeadtradeFutures": {"copy_trading", "futures"},
}

// From https://docs.kraken.com/exchange/guides/rest/api-keys and the
// withdraw-funds reference ("Funds permissions - Withdraw"); the address
// book names count as withdrawal here by policy (see krakenPermissions).
var krakenDocs = map[string][]string{
	"query-funds": {"read"}, "query-open-trades": {"read"}, "query-closed-trades": {"read"},
	"query-ledger": {"read"}, "export-data": {"read"}, "modify-trades": {"trade"}, "close-trades": {"trade"},
	"earn-funds": {"earn"}, "withdraw-funds": {"withdraw"}, "add-withdraw-address": {"withdraw"},
	"update-withdraw-address": {"withdraw"}, "add-funds": nil, "create-ws-token": nil,
}

// From https://bybit-exchange.github.io/docs/v5/user/apikey-info: each
// group is the permission of what its description names.
var bybitDocs = map[string]map[string][]string{
	"ContractTrade":     {"Order": {"futures"}, "Position": {"futures"}},
	"Spot":              {"SpotTrade": {"trade", "margin"}},
	"Wallet":            {"AccountTransfer": {"transfer"}, "SubMemberTransfer": {"transfer"}, "SubMemberTransferList": {"transfer"}, "Withdraw": {"withdraw"}},
	"Options":           {"OptionsTrade": {"options", "futures"}},
	"Derivatives":       {"DerivativesTrade": {"futures"}},
	"Exchange":          {"ExchangeHistory": {"convert"}},
	"Earn":              {"Earn": {"earn"}},
	"FiatP2P":           {"FiatP2POrder": {"p2p"}, "Advertising": {"p2p"}},
	"FiatBitPay":        {"FaitPayOrder": {"pay"}},
	"FiatBybitPay":      {"FaitPayOrder": {"pay"}},
	"FiatConvertBroker": {"FiatConvertBrokerOrder": {"convert"}},
	"BitCard":           {"BitCard": nil},
	"ByXPost":           {"ByXPost": nil},
	"Affiliate":         {"Affiliate": nil},
	"BlockTrade":        {"BlockTrade": {"block_trade"}},
	"NFT":               {"NFTQueryProductList": nil},
	"CopyTrading":       {"CopyTrading": {"copy_trading", "futures"}},
}

// bybitGroups are bybitDocs' groups in the order they are generated in.
var bybitGroups = slices.Sorted(maps.Keys(bybitDocs))

// bybitAnswer is a Bybit key-info answer: readOnly and permission groups.
func bybitAnswer(r *rand.Rand) propAnswer {
	var a propAnswer
	obj := map[string]any{"ips": []any{"*"}}
	// Only readOnly 1 cuts grants; left out or null, they read Unknown,
	// which is not No either.
	writable := true
	switch r.IntN(6) {
	case 0:
	case 1:
		obj["readOnly"] = nil
	case 2:
		obj["readOnly"] = 1
		writable = false
	case 3:
		obj["readOnly"] = wrongBool(r)
	default:
		obj["readOnly"] = 0
	}
	walletExplicit := false
	perms := map[string]any{}
	for _, g := range bybitGroups {
		switch r.IntN(6) {
		case 0: // left out
		case 1:
			perms[g] = nil
		case 2:
			perms[g] = []any{}
			walletExplicit = walletExplicit || g == "Wallet"
		default:
			var list []any
			for _, n := range pick(r, slices.Sorted(maps.Keys(bybitDocs[g]))) {
				list = append(list, n)
				for _, c := range bybitDocs[g][n] {
					// A read-only key grants nothing but withdrawal, which
					// is never cut (a contradictory answer).
					if writable || c == "withdraw" {
						a.grants = append(a.grants, c)
					}
				}
			}
			if r.IntN(5) == 0 {
				list = append(list, propUnknownNames[r.IntN(len(propUnknownNames))])
				a.unknown = true
			}
			perms[g] = list
			walletExplicit = walletExplicit || (g == "Wallet" && !slices.Contains(list, any("Withdraw")))
		}
	}
	if r.IntN(6) == 0 {
		perms["FiatGateway"] = []any{"FiatWithdrawOrder"}
		a.unknown = true
	}
	switch r.IntN(8) {
	case 0: // left out: nothing granted, nothing said
		walletExplicit, a.grants, a.unknown = false, nil, false
	case 1:
		obj["permissions"] = nil
		walletExplicit, a.grants, a.unknown = false, nil, false
	case 2:
		obj["permissions"] = wrongTyped(r)
		walletExplicit, a.grants, a.unknown = false, nil, false
	default:
		obj["permissions"] = perms
	}
	a.withdrawNo = walletExplicit && !a.unknown
	a.body = mustJSON(obj)
	return a
}

// From https://developers.binance.com/docs/wallet/account/api-key-permission.
var binanceDocs = map[string][]string{
	"enableReading": {"read"}, "enableFixReadOnly": {"read"},
	"enableSpotAndMarginTrading": {"trade"}, "enableFixApiTrade": {"trade"},
	"enableMargin": {"margin"}, "enablePortfolioMarginTrading": {"margin", "futures"},
	"enableFutures": {"futures"}, "enableVanillaOptions": {"options"},
	"enableInternalTransfer": {"transfer"}, "permitsUniversalTransfer": {"transfer"},
	"enableWithdrawals": {"withdraw"},
}

// From https://docs.cdp.coinbase.com/coinbase-app/advanced-trade-apis/rest-scopes
// and the key_permissions reference: transfer sends funds on and off
// platform.
var coinbaseDocs = map[string][]string{
	"can_view": {"read"}, "can_trade": {"trade"}, "can_transfer": {"transfer", "withdraw", "pay"},
}
