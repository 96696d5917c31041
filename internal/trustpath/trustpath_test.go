package trustpath

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/internal/testutil"
)

// nobody is the uid a file "of another user" is given (Debian's nobody).
const nobody = 65534

func mkfile(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func mkdir(t *testing.T, parent, name string, mode fs.FileMode) string {
	t.Helper()
	d := filepath.Join(parent, name)
	if err := os.Mkdir(d, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(d, mode); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(d, 0o700) })
	return d
}

func wantRefused(t *testing.T, err error, wants ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("accepted")
	}
	if !errors.Is(err, ErrUntrusted) {
		t.Errorf("error does not wrap ErrUntrusted: %v", err)
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q lacks %q", err, w)
		}
	}
}

func unixOnly(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("owners and directory modes are POSIX")
	}
}

// asRoot skips (or fails under KEYWARDEN_REQUIRE_REAL) unless the test can
// give files to another uid.
func asRoot(t *testing.T) {
	t.Helper()
	unixOnly(t)
	if os.Geteuid() != 0 {
		testutil.MissingReal(t, "a second uid: only root can chown a file to uid %d (run the tests as root)", nobody)
	}
}

func TestTrustedPathAccepted(t *testing.T) {
	// t.TempDir is /tmp/TestX/001: private directories under the sticky,
	// root-owned /tmp, the usual place of every test's files.
	p := mkfile(t, t.TempDir())
	if err := Check(p, "config file"); err != nil {
		t.Fatalf("private file refused: %v", err)
	}
	if err := Check(filepath.Dir(p), "vault directory"); err != nil {
		t.Fatalf("private directory refused: %v", err)
	}
	if err := os.Chmod(p, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Check(p, "config file"); err != nil {
		t.Errorf("a world-readable file cannot be changed by others: %v", err)
	}
}

func TestTrustRefusesWritableFile(t *testing.T) {
	p := mkfile(t, t.TempDir())
	for _, m := range []fs.FileMode{0o620, 0o602, 0o666} {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
		wantRefused(t, Check(p, "config file"), "config file "+p, "chmod go-w "+p)
	}
}

func TestTrustRefusesWorldWritableDirectory(t *testing.T) {
	unixOnly(t)
	for _, m := range []fs.FileMode{0o777, 0o770, 0o757} {
		// As the file's own directory.
		d := mkdir(t, t.TempDir(), "conf", m)
		p := mkfile(t, d)
		wantRefused(t, Check(p, "config file"), "directory "+d, "config file "+p, "chmod go-w "+d)
		// Higher up: another user could rename the private directory away
		// and put one of theirs in its place.
		up := mkdir(t, t.TempDir(), "up", m)
		p = mkfile(t, mkdir(t, up, "private", 0o700))
		wantRefused(t, Check(p, "vault"), "directory "+up, "chmod go-w "+up)
	}
}

func TestTrustStickyDirectoryOnlyAbove(t *testing.T) {
	unixOnly(t)
	sticky := mkdir(t, t.TempDir(), "tmp", 0o777|fs.ModeSticky)
	// The file straight in a sticky directory: another user could have
	// created it (or its lock) first.
	wantRefused(t, Check(mkfile(t, sticky), "lock file"), "directory "+sticky, "sticky", "only you can write")
	// A private directory inside the sticky one is safe: nobody else can
	// rename or remove it.
	p := mkfile(t, mkdir(t, sticky, "mine", 0o700))
	if err := Check(p, "config file"); err != nil {
		t.Errorf("private directory under a sticky one refused: %v", err)
	}
}

func TestTrustRefusesFileOfAnotherUser(t *testing.T) {
	asRoot(t)
	p := mkfile(t, t.TempDir())
	if err := os.Chown(p, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, Check(p, "config file"), "config file "+p, "owned by uid 65534", "chown 0 "+p)
}

func TestTrustRefusesDirectoryOfAnotherUser(t *testing.T) {
	asRoot(t)
	d := mkdir(t, t.TempDir(), "theirs", 0o755)
	p := mkfile(t, d)
	if err := os.Chown(d, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, Check(p, "vault"), "directory "+d, "owned by uid 65534")
	// A sticky directory of another user: its owner can rename anything in it.
	s := mkdir(t, t.TempDir(), "their-tmp", 0o777|fs.ModeSticky)
	if err := os.Chown(s, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, Check(mkfile(t, mkdir(t, s, "mine", 0o700)), "vault"), "directory "+s, "owned by uid 65534")
}

func TestTrustFollowsSymlinks(t *testing.T) {
	unixOnly(t)
	// A link in a private directory pointing into a world-writable one.
	open := mkdir(t, t.TempDir(), "open", 0o777)
	target := mkfile(t, open)
	link := filepath.Join(t.TempDir(), "config.toml")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, Check(link, "config file"), "directory "+open)
	// A relative link inside a world-writable directory, pointing to a safe
	// file: the link itself can be swapped.
	safe := mkfile(t, t.TempDir())
	open2 := mkdir(t, t.TempDir(), "open", 0o777)
	link2 := filepath.Join(open2, "config.toml")
	if err := os.Symlink(safe, link2); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, Check(link2, "config file"), "directory "+open2)
	// A safe chain through a relative link is accepted.
	dir := t.TempDir()
	real := mkdir(t, dir, "real", 0o700)
	mkfile(t, real)
	if err := os.Symlink("real", filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	if err := Check(filepath.Join(dir, "alias", "config.toml"), "config file"); err != nil {
		t.Errorf("safe symlinked path refused: %v", err)
	}
}

func TestTrustMissing(t *testing.T) {
	err := Check(filepath.Join(t.TempDir(), "nope", "vault.age"), "vault")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: %v, want fs.ErrNotExist", err)
	}
}

func TestTrustLock(t *testing.T) {
	unixOnly(t)
	dir := t.TempDir()
	lock := filepath.Join(dir, "vault.age.lock")
	if err := Lock(lock, "vault lock"); err != nil {
		t.Fatalf("missing lock in a private directory: %v", err)
	}
	if err := os.WriteFile(lock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Lock(lock, "vault lock"); err != nil {
		t.Fatalf("private lock refused: %v", err)
	}
	// Anyone who can open the lock can flock it: readable is enough.
	if err := os.Chmod(lock, 0o644); err != nil {
		t.Fatal(err)
	}
	wantRefused(t, Lock(lock, "vault lock"), "vault lock "+lock, "chmod 600 "+lock)
	// A lock to be created in a directory others can write: they could
	// create it first.
	open := mkdir(t, t.TempDir(), "open", 0o777|fs.ModeSticky)
	wantRefused(t, Lock(filepath.Join(open, "vault.age.lock"), "vault lock"), "vault lock directory "+open)
}

// A lock in the form of a symbolic link is refused before it is opened,
// to a file or to nothing: followed, it would lock (or create) whatever it
// points at.
func TestLockRefusesSymlink(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{file, filepath.Join(dir, "missing")} {
		lock := filepath.Join(dir, "vault.age.lock")
		_ = os.Remove(lock)
		if err := os.Symlink(target, lock); err != nil {
			t.Fatal(err)
		}
		if err := Lock(lock, "vault lock"); err == nil || !strings.Contains(err.Error(), "is a symbolic link") {
			t.Errorf("lock linked to %s: %v", filepath.Base(target), err)
		}
	}
}
