package keystore

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A damaged or plaintext vault is reported without printing what it holds:
// age's header errors quote the file's lines.
func TestDamagedVaultErrorQuotesNothing(t *testing.T) {
	const secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e5UZjFQ9b3oA6Cr"
	for _, text := range []string{
		"age-encryption.org/v1\n" + secret + "\n",
		"age-encryption.org/v1\n-> scrypt " + secret + " 18\n" + secret + "!\n--- x\n",
		secret + secret,
	} {
		path := filepath.Join(t.TempDir(), "vault.age")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		pass := filepath.Join(t.TempDir(), "pass")
		if err := os.WriteFile(pass, []byte("correct horse\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Open(t.Context(), Options{Backend: BackendFile, VaultPath: path, PassphraseFile: pass, ScryptWorkFactor: 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = st.Get(t.Context(), "bot")
		if err == nil || !strings.Contains(err.Error(), "cannot be decrypted") {
			t.Fatalf("got %v, want a damaged-vault error", err)
		}
		if strings.Contains(err.Error(), secret[:12]) {
			t.Fatalf("the error quotes the vault: %v", err)
		}
	}
}

// A vault path pointing at a huge file is refused before reading it and
// before asking for the passphrase.
func TestHugeVaultRefusedUnread(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vault.age")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 1<<30); err != nil { // sparse
		t.Fatal(err)
	}
	asked := false
	st, err := Open(t.Context(), Options{Backend: BackendFile, VaultPath: path, ScryptWorkFactor: 10,
		Prompt: func(string) (Secret, error) { asked = true; return NewSecret("pw"), nil }})
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = st.List(t.Context())
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than") || asked {
		t.Fatalf("got %v (asked for the passphrase: %v), want a size error first", err, asked)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Fatalf("refusing the vault allocated %d bytes", n)
	}
}
