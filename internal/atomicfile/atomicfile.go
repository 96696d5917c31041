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

// Write replaces path with data: a temp file next to it (named
// TempPrefix(path)+"*.tmp"), mode set, written, fsynced, renamed over path,
// and the directory fsynced. A killed writer leaves at most a stale temp
// file, which RemoveStaleTemps clears.
func Write(path string, data []byte, mode fs.FileMode) error {
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

// RemoveStaleTemps deletes the temp files a killed Write left next to path.
// Call it only while holding path's lock: then no Write is in progress.
func RemoveStaleTemps(path string) {
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
