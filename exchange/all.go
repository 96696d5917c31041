package exchange

// all is every supported exchange, in the order offered to the user. Each
// Info is declared in its adapter's file; a new exchange is one new file and
// one entry here (TestRegistry checks each entry is complete).
var all = []Info{binanceInfo, bybitInfo, okxInfo, kucoinInfo, coinbaseInfo, krakenInfo}
