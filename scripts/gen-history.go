//go:build ignore

// gen-history writes a git fast-import stream of a synthetic trading-bot
// repository to stdout: COMMITS commits on main touching code-like files
// until about MB megabytes of blob content exist, a few side branches and
// tags, and one planted fake credential (added at 1/3, deleted at 2/3) so
// the scan has something to map back to a commit.
//
//	go run scripts/gen-history.go -commits 30000 -mb 2048 | git -C DIR fast-import
//
// Use scripts/gen-history.sh, which also repacks and adds a stash.
package main

import (
	"bufio"
	"encoding/base64"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// The planted values are fake and public; leaks' BenchmarkScanRepo knows them.
const (
	benchKey    = "kwBenchKey7Qz3LmN8pR2tV5xY9aB4cD6eF1gH0jK3mN5pQ7rS9tU2vW4xY6zA8"
	benchSecret = "kwBenchSecret9Xc2Vb5Nm8Lk1Jh4Gf7Ds0Ap3Oi6Uy9Tr2Ew5Qz8Xc1Vb4Nm"
)

var words = strings.Fields(`def class return import from self if else elif for while in not and or
None True False async await try except raise with as lambda yield pass break continue
order price qty side symbol exchange client position balance ticker candle ohlcv
strategy signal entry exit stop_loss take_profit leverage margin funding spread
bid ask fill cancel retry timeout logger info warning error debug config params
np pd df rolling mean std ema sma rsi macd atr window period threshold risk
get_balance place_order fetch_ticker on_tick update_state compute_signal backtest
0 1 2 3 5 8 13 21 0.5 0.25 1e-8 100 250 1000 3600 86400 "BTCUSDT" "ETHUSDT" "1m" "5m" "1h"
= == != <= >= + - * / ( ) [ ] { } : , . -> # """`)

type file struct {
	path  string
	lines []string
}

func main() {
	commits := flag.Int("commits", 30000, "commits on main")
	mb := flag.Int("mb", 2048, "approximate total blob content in MiB")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()

	r := rand.New(rand.NewPCG(*seed, 42))
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()

	line := func(indent int) string {
		var b strings.Builder
		b.WriteString(strings.Repeat("    ", indent))
		n := 3 + r.IntN(10)
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(words[r.IntN(len(words))])
		}
		if r.IntN(6) == 0 {
			fmt.Fprintf(&b, "  # %x", r.Uint32())
		}
		return b.String()
	}
	newFile := func(i int) *file {
		f := &file{path: fmt.Sprintf("bot/%s/mod_%04d.py", []string{"core", "exchanges", "strategies", "utils", "risk"}[i%5], i)}
		n := 40 + r.IntN(900) // 2 KB .. 60 KB
		for j := 0; j < n; j++ {
			f.lines = append(f.lines, line(r.IntN(4)))
		}
		return f
	}

	// Enough files that each commit rewrites ~2 of them on average.
	perCommit := int64(*mb) << 20 / int64(*commits)
	nFiles := 50 + int(perCommit/2000)
	files := make([]*file, 0, nFiles)
	for i := 0; i < nFiles/4; i++ {
		files = append(files, newFile(i))
	}

	ts := int64(1_600_000_000)
	var total int64
	emitFile := func(f *file) int64 {
		data := strings.Join(f.lines, "\n") + "\n"
		total += int64(len(data))
		fmt.Fprintf(w, "M 100644 inline %s\ndata %d\n%s\n", f.path, len(data), data)
		return int64(len(data))
	}
	mark := 0
	commit := func(ref, msg string, body func()) int {
		ts += 60 + int64(r.IntN(3600))
		mark++
		fmt.Fprintf(w, "commit %s\nmark :%d\ncommitter Bench Bot <bot@example.org> %d +0000\ndata %d\n%s\n", ref, mark, ts, len(msg), msg)
		body()
		fmt.Fprintln(w)
		return mark
	}
	mutate := func(f *file) {
		for k := 1 + r.IntN(8); k > 0; k-- {
			i := r.IntN(len(f.lines))
			switch r.IntN(3) {
			case 0:
				f.lines[i] = line(r.IntN(4))
			case 1:
				f.lines = append(f.lines[:i], append([]string{line(r.IntN(4))}, f.lines[i:]...)...)
			default:
				if len(f.lines) > 20 {
					f.lines = append(f.lines[:i], f.lines[i+1:]...)
				}
			}
		}
	}

	// Initial commit with a quarter of the files; more appear over time.
	head := commit("refs/heads/main", "initial import", func() {
		fmt.Fprintf(w, "M 100644 inline README.md\ndata 19\nsynthetic bot repo\n\n")
		for _, f := range files {
			emitFile(f)
		}
	})
	plantAt, removeAt := *commits/3, 2**commits/3
	for c := 1; c < *commits; c++ {
		if len(files) < nFiles && r.IntN(*commits/(nFiles-nFiles/4)+1) == 0 {
			files = append(files, newFile(len(files)))
		}
		head = commit("refs/heads/main", fmt.Sprintf("tweak %d", c), func() {
			budget := perCommit
			for budget > 0 {
				f := files[r.IntN(len(files))]
				mutate(f)
				budget -= emitFile(f)
			}
			switch c {
			case plantAt:
				cfg := fmt.Sprintf("API_KEY = %q\nAPI_SECRET = %q\n", benchKey, benchSecret)
				fmt.Fprintf(w, "M 100644 inline config/live.py\ndata %d\n%s\n", len(cfg), cfg)
				yml := "secret_b64: " + base64.StdEncoding.EncodeToString([]byte(benchSecret)) + "\n"
				fmt.Fprintf(w, "M 100644 inline deploy/values.yaml\ndata %d\n%s\n", len(yml), yml)
			case removeAt:
				fmt.Fprintf(w, "D config/live.py\nD deploy/values.yaml\n")
			}
		})
		if c%1000 == 0 {
			fmt.Fprintf(w, "reset refs/tags/v%d\nfrom :%d\n\n", c/1000, head)
		}
		if c%2500 == 0 { // an unmerged side branch with a few commits
			ref := fmt.Sprintf("refs/heads/feature-%d", c/2500)
			fmt.Fprintf(w, "reset %s\nfrom :%d\n\n", ref, head)
			for k := 0; k < 3; k++ {
				commit(ref, fmt.Sprintf("wip %d/%d", c, k), func() {
					f := files[r.IntN(len(files))]
					mutate(f)
					emitFile(f)
				})
			}
		}
	}
	fmt.Fprintf(os.Stderr, "gen-history: %d commits, %.1f MiB of blob content, %d files\n", *commits, float64(total)/(1<<20), len(files))
}
