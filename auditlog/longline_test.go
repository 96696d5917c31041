package auditlog

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// A stored secret anywhere in a long line of the scanned window is found:
// at the line's start (cut off by MaxLineBytes), across a read-chunk
// boundary, across the cut, at the end; in a 2 MiB line and in a 70 MiB
// one, which is longer than the whole ScanLimit window.
func TestCheckFindsSecretInLongLine(t *testing.T) {
	const canary = "kwCANARYlong-Hq2Zp9Lm4Xc8Vb1Nw6Rt3Ys5Ud0Ie"
	secrets := func(context.Context) ([]keystore.Secret, error) {
		return []keystore.Secret{keystore.NewSecret(canary)}, nil
	}
	now := time.Date(2026, 11, 25, 16, 30, 0, 0, time.Local)
	for _, size := range []int{2 << 20, 70 << 20} {
		dir := t.TempDir()
		path := filepath.Join(dir, "bot.log")
		line := bytes.Repeat([]byte("x"), size)
		copy(line, `{"level":"error","msg":"`)
		text := append([]byte("2026-11-25 16:00:00 ERROR first\n"), line...)
		text = append(text, "\n2026-11-25 16:29:00 INFO last\n"...)
		if err := os.WriteFile(path, text, 0o600); err != nil {
			t.Fatal(err)
		}
		lineStart := int64(len("2026-11-25 16:00:00 ERROR first\n"))
		lineEnd := lineStart + int64(size)
		fileSize := int64(len(text))
		// Chunks are read backwards from the end of the file.
		boundary := fileSize - int64(size*3/4/tailChunk)*tailChunk // in the cut part
		half := int64(len(canary) / 2)
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		clean := bytes.Repeat([]byte("x"), len(canary))
		for _, tc := range []struct {
			name string
			at   int64
		}{
			{"start", lineStart + 30},
			{"chunk boundary", boundary - half},
			{"across the cut", lineEnd - MaxLineBytes - half},
			{"end", lineEnd - int64(len(canary))},
		} {
			if _, err := f.WriteAt([]byte(canary), tc.at); err != nil {
				t.Fatal(err)
			}
			p := config.Profile{Name: "bin", Exchange: "binance", AuditLog: path}
			res := RunCheck(t.Context(), p, secrets, now)
			if res.Status != checks.Crit || res.Details["secret_leaks"] != 1 {
				t.Errorf("%d MiB line, canary at %s: status %s, leaks %v (%s)", size>>20, tc.name, res.Status, res.Details["secret_leaks"], res.Summary)
			}
			if _, err := f.WriteAt(clean, tc.at); err != nil {
				t.Fatal(err)
			}
		}
		p := config.Profile{Name: "bin", Exchange: "binance", AuditLog: path}
		if res := RunCheck(t.Context(), p, secrets, now); res.Status == checks.Crit {
			t.Errorf("%d MiB line without the canary: %s", size>>20, res.Summary)
		}
	}
}
