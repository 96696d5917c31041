package checks

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keywarden/keywarden/exchange/exchangetest"
)

// benchDelay is the latency every fake endpoint adds, per the spec's bar.
const benchDelay = 250 * time.Millisecond

// BenchmarkCheck3Profiles250ms is the spec's performance bar: `check` with
// three profiles (Binance, Bybit, OKX fakes) and every endpoint — exchange
// and public-IP source — delayed 250 ms must finish within 650 ms of wall
// time. It reports the wall time per run and the sum of the checks' own
// durations (what running them one after another would cost).
func BenchmarkCheck3Profiles250ms(b *testing.B) {
	w := newWorld(b)
	for _, f := range w.fakes() {
		f.Faults.Set(exchangetest.Fault{Kind: exchangetest.Delay, Delay: benchDelay})
	}
	var urls []string
	var ipHits atomic.Int64
	for _, ip := range []string{"203.0.113.7", "203.0.113.7", "203.0.113.7"} {
		s := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			ipHits.Add(1)
			select {
			case <-time.After(benchDelay):
			case <-r.Context().Done():
				return
			}
			fmt.Fprintln(rw, ip)
		}))
		b.Cleanup(s.Close)
		urls = append(urls, s.URL)
	}
	w.cfg.IP.Sources = urls
	d := w.deps()
	var wall, seq time.Duration
	b.ResetTimer()
	for range b.N {
		t0 := time.Now()
		rep := Run(context.Background(), NewEnv(d), Build(d, Options{}))
		if err := WriteText(io.Discard, rep, false); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(t0)
		for _, r := range rep.Checks {
			seq += r.Duration
		}
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "wall-ms/op")
	b.ReportMetric(float64(seq.Milliseconds())/float64(b.N), "sequential-ms/op")
	trips := ipHits.Load()
	for _, f := range w.fakes() {
		trips += f.Requests()
	}
	b.ReportMetric(float64(trips)/float64(b.N), "round-trips/op")
}
