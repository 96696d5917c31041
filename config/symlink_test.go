//go:build unix

package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/atomicfile"
)

// A symlinked config (dotfiles repositories do this) is edited where it
// points: the link stays, the target gets the profile and the lock is taken
// beside the target. A dangling link is refused: no config is created
// through it.
func TestEditSymlinkedConfig(t *testing.T) {
	dotfiles, home := t.TempDir(), t.TempDir()
	target := filepath.Join(dotfiles, "keywarden.toml")
	if err := os.WriteFile(target, []byte("keystore = \"file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(home, "config.toml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := AppendProfile(link, Profile{Name: "a", Exchange: "okx"}); err != nil {
		t.Fatal(err)
	}
	if err := AppendProfile(link, Profile{Name: "b", Exchange: "kraken"}); err != nil {
		t.Fatal(err)
	}
	if err := RemoveProfile(link, "a"); err != nil {
		t.Fatal(err)
	}
	if li, err := os.Lstat(link); err != nil || li.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v", err)
	}
	cfg, err := Load(target)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := cfg.Profile("b"); !ok || len(cfg.Profiles) != 1 {
		t.Fatalf("the target holds %d profiles, want only b", len(cfg.Profiles))
	}
	if _, err := os.Stat(target + ".lock"); err != nil {
		t.Errorf("no lock beside the target: %v", err)
	}
	if _, err := os.Lstat(link + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a lock beside the link: %v", err)
	}

	dest := filepath.Join(dotfiles, "missing.toml")
	dangling := filepath.Join(home, "dangling.toml")
	if err := os.Symlink(dest, dangling); err != nil {
		t.Fatal(err)
	}
	err = AppendProfile(dangling, Profile{Name: "a", Exchange: "okx"})
	if !errors.Is(err, atomicfile.ErrDanglingLink) || !strings.Contains(err.Error(), dangling) {
		t.Fatalf("append through a dangling link: %v", err)
	}
	if _, err := os.Lstat(dest); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a config was created at the dangling link's target")
	}
	if _, err := os.Lstat(dest + ".lock"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("a lock was created beside the dangling link's target")
	}
}
