//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// A write to a symlinked file replaces the file the link leads to, in its
// own directory, and the link stays a link: the target never goes stale.
func TestWriteThroughSymlinkKeepsTheLink(t *testing.T) {
	real, links := t.TempDir(), t.TempDir()
	target := filepath.Join(real, "vault.age")
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(links, "vault.age")
	symlink(t, target, link)
	if err := Write(link, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", li.Mode(), err)
	}
	if b, _ := os.ReadFile(target); string(b) != "new" {
		t.Fatalf("target holds %q, want the new content", b)
	}
	for _, dir := range []string{real, links} {
		if ents, _ := os.ReadDir(dir); len(ents) != 1 {
			t.Errorf("%s holds %d entries, want 1 (no temp file left)", dir, len(ents))
		}
	}
}

// A dangling link is never written through: nothing is created where it
// points. A link to a directory is refused too.
func TestWriteRefusesDanglingLinkAndDirectory(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "elsewhere", "config.toml")
	if err := os.Mkdir(filepath.Dir(dest), 0o700); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "config.toml")
	symlink(t, dest, dangling)
	err := Write(dangling, []byte("x"), 0o600)
	if !errors.Is(err, ErrDanglingLink) || !strings.Contains(err.Error(), dangling) || !strings.Contains(err.Error(), "does not create files through a link") {
		t.Fatalf("write through a dangling link: %v", err)
	}
	if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a file was created at the link's target: %v", err)
	}
	toDir := filepath.Join(dir, "to-dir")
	symlink(t, filepath.Dir(dest), toDir)
	if err := Write(toDir, []byte("x"), 0o600); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("write through a link to a directory: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Dir(dest)); len(ents) != 0 {
		t.Fatalf("the directory behind the link got %d entries", len(ents))
	}
}

// A lock is opened as itself: a symlink in its place, to a file or to
// nothing, is refused and nothing is created at its target; a FIFO in its
// place is refused without blocking.
func TestLockIsNeverFollowed(t *testing.T) {
	dir := t.TempDir()
	other := filepath.Join(dir, "other")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	toFile := filepath.Join(dir, "a.lock")
	symlink(t, other, toFile)
	dest := filepath.Join(dir, "created-by-lock")
	dangling := filepath.Join(dir, "b.lock")
	symlink(t, dest, dangling)
	fifo := filepath.Join(dir, "c.lock")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{toFile: "is a symbolic link", dangling: "is a symbolic link", fifo: "is a FIFO"} {
		unlock, err := Lock(context.Background(), path, time.Second)
		if err == nil {
			unlock()
			t.Errorf("Lock(%s) succeeded", filepath.Base(path))
			continue
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Lock(%s): %v, want %q", filepath.Base(path), err, want)
		}
	}
	if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("a lock was created at a dangling link's target: %v", err)
	}
}
