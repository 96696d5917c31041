package keystore

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A passphrase file is read only as far as its first line: a wrong path
// to a huge file neither fills memory nor yields a giant "passphrase".
func TestPassphraseFileReadIsBounded(t *testing.T) {
	dir := t.TempDir()
	huge := func(name, head string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(head), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, 1<<30); err != nil { // sparse: 1 GiB on paper
			t.Fatal(err)
		}
		return p
	}

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	v, err := readPassphraseFile(huge("good", "correct horse battery\n"), "passphrase_file")
	runtime.ReadMemStats(&after)
	if err != nil || v.Reveal() != "correct horse battery" {
		t.Fatalf("got %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("reading the first line allocated %d bytes", n)
	}

	_, err = readPassphraseFile(huge("nonl", "x"), "passphrase_file")
	if err == nil || !strings.Contains(err.Error(), "does not start with a passphrase line") {
		t.Fatalf("got %v, want a clear error", err)
	}
}
