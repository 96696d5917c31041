package cmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/keywarden/keywarden/keystore"
)

// TestShredOverwritesTheOldContent: the lines that stay are in a new file;
// the old inode, still open here, holds only zeros afterwards, and the file
// changed behind keywarden's back is kept as it is.
func TestShredOverwritesTheOldContent(t *testing.T) {
	const key, secret = "kwTESTkey7Hq2Zp9Lm4Xc8Vb1Nw6Rt3Ys5Ud0Ie", "kwTESTsecretA9s8D7f6G5h4J3k2L1q0W9e8R7t"
	text := "SYMBOL=BTC\nBYBIT_API_KEY=" + key + "\nBYBIT_API_SECRET=" + secret + "\r\nTAIL=1"
	path := filepath.Join(t.TempDir(), "bot.env")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	old, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	env, err := parseDotenv(path, text)
	if err != nil {
		t.Fatal(err)
	}
	store := keystore.NewMemory()
	it := keystore.Item{APIKey: keystore.NewSecret(key), APISecret: keystore.NewSecret(secret)}
	if err := store.Set(t.Context(), "p", it); err != nil {
		t.Fatal(err)
	}

	// Changed since it was read: kept.
	if err := os.WriteFile(path, []byte(text+"\nNEW=1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := verifyAndShred(t.Context(), store, "p", it, path, env, text, "BYBIT_API_KEY", "BYBIT_API_SECRET"); err == nil {
		t.Fatal("a file changed since it was read was shredded")
	}
	if got, _ := os.ReadFile(path); string(got) != text+"\nNEW=1\n" {
		t.Fatalf("changed file was touched: %q", got)
	}
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	res, err := verifyAndShred(t.Context(), store, "p", it, path, env, text, "BYBIT_API_KEY", "BYBIT_API_SECRET")
	if err != nil {
		t.Fatal(err)
	}
	if res.removed || len(res.holding) != 0 {
		t.Fatalf("result %+v", res)
	}
	if got, _ := os.ReadFile(path); string(got) != "SYMBOL=BTC\nTAIL=1" {
		t.Fatalf("kept lines %q", got)
	}
	gone, err := io.ReadAll(old)
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != len(text) || !bytes.Equal(gone, make([]byte, len(text))) {
		t.Fatalf("old content not zero-filled: %q", gone)
	}
}
