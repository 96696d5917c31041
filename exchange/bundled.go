package exchange

import "slices"

// bundledWithTrade lists, per exchange, the permissions that come with
// trading and cannot be switched off apart from it: OKX's "trade" covers
// every instrument type, and Bybit's SpotTrade covers spot margin. They are
// reported as granted (they are), but a bot that needs trade cannot shed
// them, so they are not "more than the bot needs".
var bundledWithTrade = map[string][]string{
	"okx":   {"margin", "futures", "options"},
	"bybit": {"margin"},
}

// BundledWithTrade reports whether, on exchange, perm (named as in config
// needs) cannot be granted or revoked apart from trade.
func BundledWithTrade(exchange, perm string) bool {
	return slices.Contains(bundledWithTrade[exchange], perm)
}
