package exchange

import (
	"fmt"
	"slices"
	"testing"
)

func TestKuCoinContextSymbol(t *testing.T) {
	for ctx, want := range map[string]string{
		`{"symbol":"KCS-USDT","orderId":"6705f6350dc7210007d6a36d","tradeId":"10046097631627265"}`: "KCS-USDT",
		`{'symbol':'CSP-USDT','orderId':'6306257dd9180300014c8d47','tradeId':'609522034689'}`:      "CSP-USDT", // KuCoin's older examples
		`{"orderId":"6306257dd9180300014c8d47"}`:                                                   "",
	} {
		got := ""
		if m := kucoinContextSymbol.FindStringSubmatch(ctx); m != nil {
			got = m[1]
		}
		if got != want {
			t.Errorf("%s: symbol %q, want %q", ctx, got, want)
		}
	}
}

func TestKuCoinHFSymbols(t *testing.T) {
	syms, dropped := kucoinHFSymbols([]string{"PEPE-USDT"}, []string{"BTC-USDT", "eth-btc", "BTCUSDT", "PEPE-USDT"}, []string{"SOL", "BTC", "USDT"})
	// Seen first, then logged (BTCUSDT cannot be split), then each held
	// currency with each logged quote, by name, not itself and not twice.
	want := []string{"PEPE-USDT", "BTC-USDT", "ETH-BTC", "SOL-USDT", "SOL-BTC", "USDT-BTC"}
	if !slices.Equal(syms, want) || dropped != 0 {
		t.Errorf("symbols %v dropped %d, want %v", syms, dropped, want)
	}
	var held []string
	for i := range kucoinHFDerived + 7 {
		held = append(held, fmt.Sprintf("C%03d", i))
	}
	syms, dropped = kucoinHFSymbols(nil, []string{"BTC-USDT"}, held)
	if len(syms) != 1+kucoinHFDerived || dropped != 7 || syms[len(syms)-1] != fmt.Sprintf("C%03d-USDT", kucoinHFDerived-1) {
		t.Errorf("%d symbols, %d dropped, last %s", len(syms), dropped, syms[len(syms)-1])
	}
}
