package keystore

import (
	"os"
	"path/filepath"
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
