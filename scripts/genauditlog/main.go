// Command genauditlog writes a realistic trading-bot audit log of a given
// size for benchmarks: successful calls in JSON lines, logfmt and the Python
// logging layouts, with one line in ten an exchange error from one of the
// six supported exchanges. Timestamps advance 10 ms a line.
//
//	go run ./scripts/genauditlog -size 1G -o /tmp/bot.log
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

var okLines = []string{
	`{"ts":"%s","level":"info","event":"place_order","exchange":"binance","method":"POST","endpoint":"/api/v3/order","status":200,"duration_ms":%d,"symbol":"BTCUSDT"}`,
	`time=%s level=info op=get_ticker exchange=bybit path=/v5/market/tickers status=200 duration_ms=%d`,
	`%s | INFO | API CALL: fetch_balance | args=() | kwargs={'type': 'spot'} | status=200 duration_ms=%d`,
	`%s - freqtrade.worker - INFO - Bot heartbeat. PID=8, version='2026.10', state='RUNNING', loop=%d`,
}

var errLines = []string{
	`{"ts":"%s","level":"error","event":"place_order","exchange":"binance","code":-1021,"status":400,"msg":"Timestamp for this request is outside of the recvWindow.","duration_ms":%d}`,
	`{"ts":"%s","level":"error","event":"new_order","exchange":"binance","code":-2015,"status":401,"msg":"Invalid API-key, IP, or permissions for action.","duration_ms":%d}`,
	`time=%s level=error op=create_order exchange=bybit retCode=10010 msg="Unmatched IP, please check your API key's bound IP addresses." duration_ms=%d`,
	`%s | ERROR | API CALL: place_order | error=okx {"code":"50102","data":[],"msg":"Timestamp request expired."} | duration_ms=%d`,
	`%s - freqtrade.exchange.common - WARNING - _async_fetch_trades() returned exception: "kucoin {"code":"400006","msg":"The requested ip address is not in the api whitelist"}" (attempt %d)`,
	`%s | ERROR | API CALL: add_order | error=kraken {"error":["EAPI:Invalid nonce"]} | duration_ms=%d`,
	`%s | ERROR | API CALL: create_order | POST https://api.coinbase.com/api/v3/brokerage/orders -> 401 Unauthorized | duration_ms=%d`,
}

func main() {
	size := flag.String("size", "10M", "size to write (suffix K, M or G)")
	out := flag.String("o", "", "output file")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil || *out == "" {
		fmt.Fprintln(os.Stderr, "usage: genauditlog -size 1G -o FILE")
		os.Exit(64)
	}
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genauditlog:", err)
		os.Exit(1)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(7, 11))
	t := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	var written int64
	for i := 0; written < n; i++ {
		t = t.Add(10 * time.Millisecond)
		tmpl := okLines[rng.IntN(len(okLines))]
		if rng.IntN(10) == 0 {
			tmpl = errLines[rng.IntN(len(errLines))]
		}
		var ts string
		switch {
		case strings.HasPrefix(tmpl, "%s"):
			ts = t.Format("2006-01-02 15:04:05,000")
		default:
			ts = t.Format(time.RFC3339Nano)
		}
		k, _ := fmt.Fprintf(w, tmpl+"\n", ts, 20+rng.IntN(300))
		written += int64(k)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintln(os.Stderr, "genauditlog:", err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "genauditlog:", err)
		os.Exit(1)
	}
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "G"):
		mult, s = 1<<30, strings.TrimSuffix(s, "G")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v * mult, err
}
