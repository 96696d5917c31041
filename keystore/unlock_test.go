//go:build linux

package keystore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The unlock cache against the real kernel keyring: a process that paid
// the key derivation lets the next one open the vault with no passphrase
// source at all; Lock, a new vault version, or the cache turned off send it
// back to the passphrase.
func TestUnlockCacheKernelKeyring(t *testing.T) {
	t.Setenv(UnlockTTLEnv, "1m")
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, dir, "correct horse battery staple")
	if err := openFileStore(t, vault, pass).Set(ctx, "a", itemFor("a")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Lock(vault) })
	key, ok := unlockCache.get(unlockName(vault))
	if !ok {
		if _, err := os.Stat("/proc/keys"); err != nil {
			t.Skip("no kernel keyring here (/proc/keys missing)")
		}
		t.Fatal("the write cached no file key")
	}
	if len(key) != 16 || strings.Contains("correct horse battery staple", string(key)) {
		t.Fatalf("the cache holds %d bytes, want age's 16-byte file key and nothing of the passphrase", len(key))
	}

	asked := 0
	prompt := func(string) (Secret, error) { asked++; return Secret{}, errors.New("no terminal in this test") }
	noPass := func() Store {
		s, err := Open(ctx, Options{Backend: BackendFile, VaultPath: vault, Prompt: prompt})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got, err := noPass().Get(ctx, "a"); err != nil || !got.Equal(itemFor("a")) || asked != 0 {
		t.Fatalf("warm open without a passphrase: %v (asked %d times)", err, asked)
	}

	// The vault rewritten under another passphrase elsewhere: the cached
	// key no longer fits the header, so the passphrase is asked for.
	other := openFileStore(t, vault, writePassFile(t, t.TempDir(), "correct horse battery staple"))
	if err := other.Set(ctx, "b", itemFor("b")); err != nil {
		t.Fatal(err)
	}
	unlockCache.put(unlockName(vault), make([]byte, 16), DefaultUnlockTTL) // a stale key
	if _, err := noPass().Get(ctx, "a"); err == nil || asked != 1 {
		t.Fatalf("stale cached key: %v (asked %d times), want the passphrase asked for", err, asked)
	}
	if _, ok := unlockCache.get(unlockName(vault)); ok {
		t.Fatal("a stale key was kept")
	}

	// Paid once more, then locked: the next open needs the passphrase.
	if _, err := openFileStore(t, vault, pass).Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := Lock(vault); err != nil {
		t.Fatal(err)
	}
	if _, err := noPass().Get(ctx, "a"); err == nil || asked != 2 {
		t.Fatalf("after Lock: %v (asked %d times)", err, asked)
	}

	// A wrong passphrase caches nothing; the cache turned off is off.
	if _, err := openFileStore(t, vault, writePassFile(t, t.TempDir(), "not the vault passphrase at all")).Get(ctx, "a"); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatal(err)
	}
	if _, ok := unlockCache.get(unlockName(vault)); ok {
		t.Fatal("a wrong passphrase left a cached key")
	}
	t.Setenv(UnlockTTLEnv, "0")
	if _, err := openFileStore(t, vault, pass).Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, ok := unlockCache.get(unlockName(vault)); ok {
		t.Fatal("cached with the cache off")
	}
}

// The change of passphrase checks the passphrase itself, not a cached key.
func TestChangePassphraseIgnoresUnlockCache(t *testing.T) {
	t.Setenv(UnlockTTLEnv, "1m")
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	if err := openFileStore(t, vault, writePassFile(t, dir, "correct horse battery staple")).Set(ctx, "a", itemFor("a")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = Lock(vault) })
	wrong := openFileStore(t, vault, writePassFile(t, t.TempDir(), "not the vault passphrase at all"))
	if err := ChangePassphrase(ctx, wrong, NewSecret("a brand new vault passphrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong old passphrase with a warm cache: %v", err)
	}
}
