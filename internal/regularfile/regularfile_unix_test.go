//go:build unix

package regularfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openWithin runs Open in a goroutine and fails the test if it has not
// returned after a generous deadline: a blocking open is the bug.
func openWithin(t *testing.T, path string) (*os.File, error) {
	t.Helper()
	type result struct {
		f   *os.File
		err error
	}
	done := make(chan result, 1)
	go func() {
		f, err := Open(path, "config file")
		done <- result{f, err}
	}()
	select {
	case r := <-done:
		return r.f, r.err
	case <-time.After(30 * time.Second):
		t.Fatalf("Open(%s) is still blocked after 30s", path)
		return nil, nil
	}
}

func TestOpenRefusesWhatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link-to-fifo")
	if err := os.Symlink(fifo, link); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		fifo:        "config file " + fifo + " is a FIFO (named pipe), not a regular file",
		link:        "config file " + link + " is a FIFO (named pipe), not a regular file",
		dir:         "config file " + dir + " is a directory, not a regular file",
		"/dev/null": "config file /dev/null is a character device, not a regular file",
	} {
		f, err := openWithin(t, path)
		if err == nil {
			f.Close()
			t.Errorf("Open(%s) succeeded", path)
			continue
		}
		if !errors.Is(err, ErrNotRegular) || err.Error() != want {
			t.Errorf("Open(%s) = %q, want %q", path, err, want)
		}
	}
	if _, err := openWithin(t, filepath.Join(dir, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
}

func TestOpenGivesABlockingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte("keystore = \"file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := openWithin(t, path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Not f.Fd(): it would clear O_NONBLOCK itself.
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	var ferr error
	if err := rc.Control(func(fd uintptr) { flags, ferr = unix.FcntlInt(fd, unix.F_GETFL, 0) }); err != nil {
		t.Fatal(err)
	}
	if ferr != nil {
		t.Fatal(ferr)
	}
	if flags&unix.O_NONBLOCK != 0 {
		t.Error("the opened file is left O_NONBLOCK")
	}
	b := make([]byte, 64)
	n, _ := f.Read(b)
	if !strings.HasPrefix(string(b[:n]), "keystore") {
		t.Errorf("read %q", b[:n])
	}
}
