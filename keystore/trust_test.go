package keystore

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
)

// The vault, its lock and the passphrase file are refused when another user
// could have written or swapped them (OpenSSH StrictModes rule), each error
// naming the path and the fix.
func TestFileRefusesVaultOthersCouldSwap(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("owners and directory modes are POSIX")
	}
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	vault := filepath.Join(dir, "vault.age")
	pass := writePassFile(t, t.TempDir(), "pw for the test vault")
	if err := openFileStore(t, vault, pass).Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	want := func(err error, subs ...string) {
		t.Helper()
		if err == nil {
			t.Fatal("accepted")
		}
		for _, s := range subs {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("error %q lacks %q", err, s)
			}
		}
	}

	// Another user could rename the vault away or plant theirs.
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := openFileStore(t, vault, pass).List(ctx)
	want(err, "directory "+dir, "vault "+vault, "chmod go-w "+dir)
	err = openFileStore(t, vault, pass).Set(ctx, "b", testItem())
	want(err, "directory "+dir, "chmod go-w "+dir)
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}

	// A lock others can open could be held by them for ever.
	lock := vault + ".lock"
	if err := os.Chmod(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	want(openFileStore(t, vault, pass).Set(ctx, "b", testItem()), "vault lock "+lock, "chmod 600 "+lock)
	if err := os.Chmod(lock, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := openFileStore(t, vault, pass).Set(ctx, "b", testItem()); err != nil {
		t.Fatalf("private again: %v", err)
	}

	if os.Geteuid() != 0 {
		testutil.MissingReal(t, "a second uid: only root can chown files to uid 65534 (run the tests as root)")
	}
	for _, p := range []struct{ path, what string }{{vault, "vault " + vault}, {pass, "passphrase_file " + pass}, {lock, "vault lock " + lock}} {
		if err := os.Chown(p.path, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		// A fresh store: the cache of the first read must not hide it.
		s := openFileStore(t, vault, pass)
		want(s.Set(ctx, "c", testItem()), p.what, "owned by uid 65534", "chown 0 "+p.path)
		if err := os.Chown(p.path, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
}
