package keystore

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckNewPassphrase(t *testing.T) {
	for _, tt := range []struct {
		pass string
		ok   bool
	}{
		{"pw", false},
		{"aaaaaaaaaaaaaaaa", false},  // one character repeated
		{"123456789012", false},      // a run of digits
		{"password1234", false},      // short pool, runs
		{"Tr0ub4dor&3", false},       // 11 characters
		{"a vault passphrase", true}, // words
		{"correct horse battery staple", true},
		{"q7kz2-m4xpa-rt6ye-b3nfw-hk5dj", true},
	} {
		err := CheckNewPassphrase(NewSecret(tt.pass))
		if (err == nil) != tt.ok {
			t.Errorf("%q (%.0f bits): err %v, want ok=%v", tt.pass, PassphraseBits(NewSecret(tt.pass)), err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), tt.pass) {
			t.Errorf("the error quotes the passphrase: %v", err)
		}
	}
	seen := map[string]bool{}
	for range 20 {
		g, err := GeneratePassphrase()
		if err != nil {
			t.Fatal(err)
		}
		if err := CheckNewPassphrase(g); err != nil || len(g.Reveal()) != 29 || seen[g.Reveal()] {
			t.Fatalf("generated passphrase of %d characters refused or repeated: %v", len(g.Reveal()), err)
		}
		seen[g.Reveal()] = true
	}
}

func TestChangePassphrase(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	oldFile := writePassFile(t, dir, "correct horse battery staple")
	s := openFileStore(t, vault, oldFile)
	want := itemFor("p")
	if err := s.Set(ctx, "p", want); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(vault)

	// a weak new passphrase, or a wrong old one: nothing changes
	if err := ChangePassphrase(ctx, s, NewSecret("short")); err == nil {
		t.Fatal("a weak passphrase was accepted")
	}
	wrong := openFileStore(t, vault, writePassFile(t, t.TempDir(), "not the vault passphrase at all"))
	if err := ChangePassphrase(ctx, wrong, NewSecret("a brand new vault passphrase")); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong old passphrase: %v", err)
	}
	if after, _ := os.ReadFile(vault); !bytes.Equal(before, after) {
		t.Fatal("a refused change touched the vault")
	}

	fi, _ := os.Stat(vault)
	if err := ChangePassphrase(ctx, s, NewSecret("a brand new vault passphrase")); err != nil {
		t.Fatal(err)
	}
	// replaced by rename: a new inode, nothing left beside it
	fi2, _ := os.Stat(vault)
	if os.SameFile(fi, fi2) {
		t.Fatal("the vault was rewritten in place, not replaced")
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("temp file %s left behind", e.Name())
		}
	}
	// the old passphrase no longer opens it, the new one does, items kept
	if _, err := openFileStore(t, vault, oldFile).List(ctx); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("old passphrase after the change: %v", err)
	}
	got, err := openFileStore(t, vault, writePassFile(t, t.TempDir(), "a brand new vault passphrase")).Get(ctx, "p")
	if err != nil || !got.Equal(want) {
		t.Fatalf("after the change: %v", err)
	}
	if !bytes.Contains(mustRead(t, vault), []byte("age-encryption.org/v1")) {
		t.Fatal("not an age file")
	}
}

// A change cut off while the new vault is being written (a real process,
// its file-size limit below the vault's size) leaves the old vault whole
// under the old passphrase, and the next change succeeds.
func TestChangePassphraseKilledMidWrite(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	vault := filepath.Join(dir, "vault.age")
	oldFile := writePassFile(t, dir, "correct horse battery staple")
	s := openFileStore(t, vault, oldFile)
	for _, n := range []string{"a", "b", "c"} {
		if err := s.Set(ctx, n, itemFor(n)); err != nil {
			t.Fatal(err)
		}
	}
	before := mustRead(t, vault)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=rekey-limited", "VAULT="+vault, "PASSFILE="+oldFile, "NEWPASS=a brand new vault passphrase")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the cut-off change succeeded: %s", out)
	}
	if bytes.Contains(out, []byte("brand new")) || bytes.Contains(out, []byte("horse")) {
		t.Fatalf("the helper's output holds a passphrase: %s", out)
	}
	if after := mustRead(t, vault); !bytes.Equal(before, after) {
		t.Fatal("the vault changed")
	}
	for _, n := range []string{"a", "b", "c"} {
		if got, err := openFileStore(t, vault, oldFile).Get(ctx, n); err != nil || !got.Equal(itemFor(n)) {
			t.Fatalf("item %s after the cut-off change: %v", n, err)
		}
	}
	if err := ChangePassphrase(ctx, openFileStore(t, vault, oldFile), NewSecret("a brand new vault passphrase")); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Fatalf("stale temp file %s survived the next write", e.Name())
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
