// Package atomicfile is how keywarden changes a file another keywarden
// process may be changing too: an exclusive lock around the
// read-modify-write, and a replace that leaves the old or the new content,
// never a torn file, even when the writer is killed.
package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrBusy is returned (wrapped) by Lock when another process held the lock
// for the whole wait.
var ErrBusy = errors.New("locked by another process")

// pollEvery is how often Lock retries a held lock.
const pollEvery = 5 * time.Millisecond

// ErrDanglingLink is wrapped by Target's refusal of a symbolic link that
// leads nowhere.
var ErrDanglingLink = errors.New("symbolic link to nothing")

// Target is the file a write to path replaces: path itself when it is not
// a symbolic link (or does not exist yet), else the regular file the link
// leads to, so the link stays a link and its target does not go stale.
// Refused: a link that leads nowhere (writing through it would create a
// file wherever it points, wrapping ErrDanglingLink) and a link to anything
// but a regular file. Whose file the target is, is trustpath's to check.
func Target(path string) (string, error) {
	li, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return path, nil
	}
	if err != nil {
		return "", err
	}
	if li.Mode()&fs.ModeSymlink == 0 {
		return path, nil
	}
	dest, _ := os.Readlink(path)
	target, err := filepath.EvalSymlinks(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%s is a %w (%s does not exist): keywarden does not create files through a link\nfix: move the file to where the link points, or replace the link with the file", path, ErrDanglingLink, dest)
	}
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(target)
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is a symbolic link to %s, which is not a regular file", path, target)
	}
	return target, nil
}

// Write replaces the file at path (the target of a symlink, see Target)
// with data: a temp file next to it (named TempPrefix(file)+"*.tmp"), mode
// set, written, fsynced, renamed over the file, and the directory fsynced.
// A killed writer leaves at most a stale temp file, which RemoveStaleTemps
// clears.
func Write(path string, data []byte, mode fs.FileMode) error {
	path, err := Target(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, TempPrefix(path)+"*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // no-op after a successful rename
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// TempPrefix is the name prefix of Write's temp files for path.
func TempPrefix(path string) string { return "." + filepath.Base(path) + "." }

// RemoveStaleTemps deletes the temp files a killed Write left next to path
// (the file Target resolves it to). Call it only while holding path's lock:
// then no Write is in progress.
func RemoveStaleTemps(path string) {
	path, err := Target(path)
	if err != nil {
		return
	}
	ents, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		return
	}
	prefix := TempPrefix(path)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix) && strings.HasSuffix(e.Name(), ".tmp") {
			_ = os.Remove(filepath.Join(filepath.Dir(path), e.Name()))
		}
	}
}
