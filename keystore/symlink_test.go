//go:build unix

package keystore

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/keywarden/keywarden/internal/atomicfile"
)

// A symlinked vault is written where it points: the link stays a link, the
// target holds every item (a store opened on the target reads them) and
// the lock is taken beside the target, so every path to the vault shares
// it. A dangling link is refused and nothing is created at its target.
func TestFileSymlinkedVault(t *testing.T) {
	ctx := context.Background()
	data, links := t.TempDir(), t.TempDir()
	target := filepath.Join(data, "vault.age")
	link := filepath.Join(links, "vault.age")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	pass := writePassFile(t, t.TempDir(), "the right vault passphrase")
	direct := openFileStore(t, target, pass)
	if err := direct.Set(ctx, "a", testItem()); err != nil {
		t.Fatal(err)
	}
	viaLink := openFileStore(t, link, pass)
	if err := viaLink.Set(ctx, "b", itemFor("b")); err != nil {
		t.Fatal(err)
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v", err)
	}
	names, err := openFileStore(t, target, pass).List(ctx)
	if err != nil || len(names) != 2 {
		t.Fatalf("the target lists %v (%v), want a and b", names, err)
	}
	if _, err := os.Lstat(link + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a lock beside the link: %v", err)
	}
	if ents, _ := os.ReadDir(links); len(ents) != 1 {
		t.Errorf("the link's directory holds %d entries, want only the link", len(ents))
	}

	dest := filepath.Join(data, "gone.age")
	dangling := filepath.Join(links, "gone.age")
	if err := os.Symlink(dest, dangling); err != nil {
		t.Fatal(err)
	}
	if err := openFileStore(t, dangling, pass).Set(ctx, "a", testItem()); !errors.Is(err, atomicfile.ErrDanglingLink) {
		t.Fatalf("set through a dangling link: %v", err)
	}
	for _, p := range []string{dest, dest + ".lock"} {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s was created through the dangling link", filepath.Base(p))
		}
	}
}
