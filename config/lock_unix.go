//go:build unix

package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// editLockWait bounds the wait for another keywarden's edit of the file.
const editLockWait = 10 * time.Second

// lockForEdit takes an exclusive flock on path+".lock" for a
// read-modify-write of the config, so two keywarden processes adding
// profiles at once do not lose one of them. The kernel drops the lock when
// the process dies.
func lockForEdit(path string) (unlock func(), err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating config directory: %w", err)
	}
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("locking config: %w", err)
	}
	deadline := time.Now().Add(editLockWait)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() {
				_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
				f.Close()
			}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) && !errors.Is(err, syscall.EINTR) {
			f.Close()
			return nil, fmt.Errorf("locking config: %w", err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("config %s is being edited by another keywarden process: try again when it has finished", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
