package auditlog

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchCorpus is a bot's day in miniature: mostly successful calls in every
// layout, one line in five an exchange error.
func benchCorpus(n int) [][]byte {
	rng := rand.New(rand.NewPCG(1, 2))
	okLines := []string{
		`{"ts":"2026-11-25T16:04:11.123Z","level":"info","event":"place_order","exchange":"binance","method":"POST","endpoint":"/api/v3/order","status":200,"duration_ms":87,"symbol":"BTCUSDT"}`,
		`time=2026-11-25T16:04:11.123Z level=info op=get_ticker exchange=bybit path=/v5/market/tickers status=200 duration_ms=41`,
		`2026-11-25 16:04:11,123 | INFO | API CALL: fetch_balance | args=() | kwargs={'type': 'spot'} | status=200 duration_ms=120`,
		`2026-11-25 16:04:11,123 - freqtrade.worker - INFO - Bot heartbeat. PID=8, version='2026.10', state='RUNNING'`,
	}
	var lines [][]byte
	for i := 0; i < n; i++ {
		if rng.IntN(5) == 0 {
			x := exchangeErrors[rng.IntN(len(exchangeErrors))]
			f := formats[rng.IntN(len(formats))]
			lines = append(lines, []byte(f.line(x)))
			continue
		}
		lines = append(lines, []byte(okLines[rng.IntN(len(okLines))]))
	}
	return lines
}

func BenchmarkParseClassify(b *testing.B) {
	lines := benchCorpus(10000)
	p := &Parser{}
	bytesTotal := 0
	for _, l := range lines {
		bytesTotal += len(l)
	}
	b.ReportAllocs()
	b.SetBytes(int64(bytesTotal / len(lines)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(lines[i%len(lines)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	// On a shared machine wall time includes waiting for a core; lines per
	// CPU-second of this process (GC included) is the one-core figure.
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "lines/cpu-s")
}

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkParseClassifyRedact(b *testing.B) {
	lines := benchCorpus(10000)
	p := &Parser{Redactor: testRedactor()}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = p.Parse(lines[i%len(lines)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-cpu0).Seconds(), "lines/cpu-s")
}

func benchFile(b *testing.B, size int64) string {
	p := filepath.Join(b.TempDir(), "bot.log")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	lines := benchCorpus(10000)
	var written int64
	for i := 0; written < size; i++ {
		n, _ := f.Write(append(lines[i%len(lines)], '\n'))
		written += int64(n)
	}
	f.Close()
	return p
}

func BenchmarkTail500(b *testing.B) {
	for _, size := range []int64{10 << 20, 200 << 20} {
		p := benchFile(b, size)
		b.Run(fmt.Sprintf("%dMiB", size>>20), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				lines, err := Tail(p, 500)
				if err != nil || len(lines) != 500 {
					b.Fatal(len(lines), err)
				}
			}
		})
	}
}

// BenchmarkFollowWriter has a writer append lines as fast as it can while
// the follower reads them; it reports the rate the follower kept up with and
// the peak heap in use.
func BenchmarkFollowWriter(b *testing.B) {
	const n = 200_000
	lines := benchCorpus(10000)
	for i := 0; i < b.N; i++ {
		p := filepath.Join(b.TempDir(), "bot.log")
		w, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		fl, err := Follow(ctx, p, FollowOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}()
		start := time.Now()
		go func() {
			for j := 0; j < n; j++ {
				w.Write(append(lines[j%len(lines)], '\n'))
			}
			w.Close()
		}()
		got := 0
		for range fl.Lines() {
			got++
			if got == n {
				break
			}
		}
		el := time.Since(start)
		close(stop)
		cancel()
		fl.Close()
		b.ReportMetric(float64(n)/el.Seconds(), "lines/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}

// BenchmarkFollowPaced100k has a writer append 100k lines/s (1000 lines
// every 10 ms) for 2 s; it reports how far behind the follower was when the
// writer stopped (lag-ms: time from the start of the last write to the last line read)
// and the peak heap in use.
func BenchmarkFollowPaced100k(b *testing.B) {
	const batches, perBatch = 200, 1000
	lines := benchCorpus(perBatch)
	var batch []byte
	for _, l := range lines {
		batch = append(append(batch, l...), '\n')
	}
	for i := 0; i < b.N; i++ {
		p := filepath.Join(b.TempDir(), "bot.log")
		w, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		fl, err := Follow(ctx, p, FollowOptions{})
		if err != nil {
			b.Fatal(err)
		}
		var peak atomic.Uint64
		stop := make(chan struct{})
		go func() {
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}()
		var lastWrite atomic.Int64
		go func() {
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for j := 0; j < batches; j++ {
				<-tick.C
				lastWrite.Store(time.Now().UnixNano()) // before the write: the reader may finish first
				w.Write(batch)
			}
			w.Close()
		}()
		got := 0
		for range fl.Lines() {
			got++
			if got == batches*perBatch {
				break
			}
		}
		lag := time.Since(time.Unix(0, lastWrite.Load()))
		close(stop)
		cancel()
		fl.Close()
		b.ReportMetric(float64(lag.Microseconds())/1000, "lag-ms")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
	}
}
