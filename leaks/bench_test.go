package leaks

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/keywarden/keywarden/keystore"
)

// The fake credentials scripts/gen-history.go plants in its history.
const (
	benchKey    = "kwBenchKey7Qz3LmN8pR2tV5xY9aB4cD6eF1gH0jK3mN5pQ7rS9tU2vW4xY6zA8"
	benchSecret = "kwBenchSecret9Xc2Vb5Nm8Lk1Jh4Gf7Ds0Ap3Oi6Uy9Tr2Ew5Qz8Xc1Vb4Nm"
)

// BenchmarkScanRepo scans the history of the repository named by
// KEYWARDEN_BENCH_REPO (built by scripts/gen-history.sh) and reports MB/s
// of object content. scripts/bench-scan.sh runs it next to
// `git cat-file --batch-all-objects --batch`.
func BenchmarkScanRepo(b *testing.B) {
	dir := os.Getenv("KEYWARDEN_BENCH_REPO")
	if dir == "" {
		b.Skip("set KEYWARDEN_BENCH_REPO to a repository made by scripts/gen-history.sh")
	}
	targets := TargetsFromItem("bench", keystore.Item{
		APIKey: keystore.NewSecret(benchKey), APISecret: keystore.NewSecret(benchSecret),
		Passphrase: keystore.NewSecret("bench-passphrase-1"),
	})
	for b.Loop() {
		m := NewMatcher(targets)
		res, err := ScanHistory(context.Background(), dir, m, 0)
		m.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(res.BytesScanned)
		b.ReportMetric(float64(res.BlobsScanned), "objects")
		b.ReportMetric(float64(len(res.Findings)), "findings")
	}
}

// BenchmarkScanIncremental times HistoryCached after one new commit on a
// warm cache, in a `git clone --shared` of KEYWARDEN_BENCH_REPO (so the
// benchmark repository itself is left as it is). Each iteration commits
// one changed file (untimed) and scans. It reports the warm-up's full scan
// too, and the objects each incremental scan read.
func BenchmarkScanIncremental(b *testing.B) {
	src := os.Getenv("KEYWARDEN_BENCH_REPO")
	if src == "" {
		b.Skip("set KEYWARDEN_BENCH_REPO to a repository made by scripts/gen-history.sh")
	}
	dir := b.TempDir()
	run := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
			"GIT_AUTHOR_NAME=bench", "GIT_AUTHOR_EMAIL=bench@example.org", "GIT_COMMITTER_NAME=bench", "GIT_COMMITTER_EMAIL=bench@example.org")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	run("clone", "-q", "--shared", src, ".")
	run("config", "gc.auto", "0") // a gc in the middle would time a full scan
	targets := TargetsFromItem("bench", keystore.Item{
		APIKey: keystore.NewSecret(benchKey), APISecret: keystore.NewSecret(benchSecret),
		Passphrase: keystore.NewSecret("bench-passphrase-1"),
	})
	cache := b.TempDir()
	ctx := context.Background()
	t0 := time.Now()
	full, _, err := HistoryCached(ctx, dir, targets, cache, 0)
	if err != nil {
		b.Fatal(err)
	}
	fullTime := time.Since(t0)
	var read int
	readObjectsHook = func(objs []object) { read += len(objs) }
	defer func() { readObjectsHook = nil }()
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		if err := os.WriteFile(filepath.Join(dir, "bench-incremental.txt"), []byte(fmt.Sprintf("change %d\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
		run("add", "bench-incremental.txt")
		run("commit", "-q", "-m", fmt.Sprintf("change %d", i))
		b.StartTimer()
		res, cached, err := HistoryCached(ctx, dir, targets, cache, 0)
		if err != nil {
			b.Fatal(err)
		}
		if cached || len(res.Findings) != len(full.Findings) {
			b.Fatalf("after a clean commit: cached=%v, %d findings (the full scan had %d)", cached, len(res.Findings), len(full.Findings))
		}
	}
	b.ReportMetric(fullTime.Seconds(), "full-scan-s")
	b.ReportMetric(float64(read)/float64(i), "objects-read/op")
	b.ReportMetric(float64(full.BlobsScanned), "objects")
}
