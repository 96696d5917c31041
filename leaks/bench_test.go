package leaks

import (
	"context"
	"os"
	"testing"

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
