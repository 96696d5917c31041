package activity

// symbolScoped reports whether the exchange lists orders only per symbol,
// so the orders check can only ask about the markets the bot's log names
// (for Binance spot, also those its balances suggest, and a balance
// reconciliation catches the rest: balances.go; for Binance futures, also
// those with a position, an open order or a fill; on KuCoin, the HF
// account's, whose balances are paired with the logged symbols' quotes).
func symbolScoped(exchangeName string) bool {
	return exchangeName == "binance" || exchangeName == "kucoin"
}

// BlindSpots lists what the activity checks cannot see on an exchange
// (docs/activity.md says the same at length).
func BlindSpots(exchangeName string) []string {
	switch exchangeName {
	case "binance":
		return []string{
			"spot orders on symbols the audit log never names and no balance suggests (allOrders needs a symbol): a fill there is seen only as a balance move, without its order; an order still open is seen on any symbol",
			"spot balance moves keywarden cannot explain look like an intruder's: Earn subscriptions and redemptions, Convert, dust conversion, airdrops and distributions, transfers between own wallets are crit until acknowledged",
			"the spot reconciliation compares each asset's total, not amounts: any fill on a symbol of an asset in the interval explains every change of it, and any fill explains a BNB change (fees)",
			"a balance move is judged a poll after it is seen and once the funds check has read the withdrawals and deposits after it (at most every 90 s), or 5 minutes on: about 3 minutes to alert at the default interval",
			"USD-M futures orders on symbols the audit log never names that hold no position or open order and had no fill since the last poll (a cancelled order there)",
			"COIN-M futures, portfolio-margin, margin and options orders",
			"fills are not read separately (an order's fills belong to an order that is read)",
			"wallet transfers between own accounts and master/sub-account transfers",
			"web and app orders look like API orders (no origin field)",
		}
	case "bybit":
		return []string{
			"internal transfers between the account's own wallets and master/sub-account transfers",
			"withdrawals of a sub-account key's master account (withdraw records answer master keys only)",
			"cancelled and rejected orders older than 24 hours (Bybit keeps them that long)",
			"web and app orders look like API orders (createType CreateByUser), except the buttons Bybit names",
		}
	case "okx":
		return []string{
			"orders older than 7 days (orders-history; the 3-month archive is not read) and unfilled cancelled orders older than 2 hours",
			"algo (trigger, TP/SL, trailing) orders until they fire; fired ones carry the algo's client id",
			"transfers between the account's own wallets and master/sub-account transfers (asset bills are not read)",
			"web and app orders look like API orders (source marks only algo-fired orders)",
		}
	case "kucoin":
		return []string{
			"HF (Pro) account orders cancelled without a fill on a symbol that has no open order, is not in the audit log and whose base currency the HF account does not hold (no funds moved)",
			"HF done orders older than 3 days (KuCoin lists that far back): after a longer outage they are not read",
			"fills apart from their order, and the ledgers' transfers (between the account's own wallets, sub-account transfers)",
		}
	case "coinbase":
		return []string{
			"portfolios other than the key's own (CDP keys see only their portfolio)",
			"fills apart from their order; moves between the user's own accounts and portfolios",
			"the history when Coinbase asks for a 2FA proof token (EU strong customer authentication): the check is then unknown",
		}
	case "kraken":
		return []string{
			"fills (TradesHistory) apart from their order, and the ledger (transfers between the account's own wallets, staking)",
			"web and app orders look like API orders (no origin field; userref and cl_ord_id are the bot's own ids)",
		}
	}
	return []string{"not yet monitored: keywarden does not read this exchange's order or funds history yet"}
}
