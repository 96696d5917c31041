package keystore

import (
	"context"
	"errors"
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

// A passphrase from a file is not kept after the key derivation: a process
// that has read the vault (watch) finds it again at the next use, so a
// fixed file is picked up and a removed one is missed, never remembered.
// A typed passphrase is kept: one command asks once.
func TestPassphraseFileIsNotKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, dir, "the right vault passphrase")
	s := openFileStore(t, vault, pass)
	if err := s.Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(pass); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "b", itemFor("b")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("write after the passphrase file went: %v, want it read again and missed", err)
	}

	asked := 0
	prompt := func(string) (Secret, error) { asked++; return NewSecret("the right vault passphrase"), nil }
	s, err := Open(ctx, Options{Backend: BackendFile, VaultPath: vault, Prompt: prompt})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
	if _, err := s.Get(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "b", itemFor("b")); err != nil {
		t.Fatal(err)
	}
	if asked != 1 {
		t.Fatalf("asked %d times in one run, want 1", asked)
	}
}

// A wrong passphrase costs one key derivation per process, however many
// times the vault is read (check reads it for every check and profile: 8.7 s
// at scrypt's cost before), until the vault or the passphrase file
// changes. Each scrypt run at work factor 14 allocates 16 MiB, so the
// allocations tell the runs apart without timing anything.
func TestWrongPassphraseCostsOneKDF(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, dir, "the right vault passphrase")
	s, err := Open(ctx, Options{Backend: BackendFile, VaultPath: vault, PassphraseFile: pass, ScryptWorkFactor: 14})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	wrong := writePassFile(t, t.TempDir(), "wrong-passphrase") // not the size of the fix below: mtime alone may not tell
	bad := openFileStore(t, vault, wrong)
	allocated := func(f func()) uint64 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	const kdf = 16 << 20
	if n := allocated(func() { _, err = bad.Get(ctx, "a") }); !errors.Is(err, ErrWrongPassphrase) || n < kdf {
		t.Fatalf("first read: %v, %d bytes allocated (want a key derivation, %d)", err, n, kdf)
	}
	n := allocated(func() {
		for range 10 {
			if _, err := bad.Get(ctx, "a"); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("read again: %v", err)
			}
			if _, err := bad.List(ctx); !errors.Is(err, ErrWrongPassphrase) {
				t.Errorf("list: %v", err)
			}
		}
		if err := bad.Set(ctx, "b", itemFor("b")); !errors.Is(err, ErrWrongPassphrase) {
			t.Errorf("set: %v", err)
		}
	})
	if n >= kdf {
		t.Fatalf("21 more reads allocated %d bytes: the key derivation ran again", n)
	}
	// The passphrase file fixed: the next read tries it.
	if err := os.WriteFile(wrong, []byte("the right vault passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Get(ctx, "a"); err != nil {
		t.Fatalf("after fixing the passphrase file: %v", err)
	}
}
