//go:build unix

package atomicfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/keywarden/keywarden/internal/regularfile"
)

// Lock takes an exclusive flock on lockPath (created 0600 if missing),
// polling until it is free, ctx ends, or wait passes (when ctx has no
// deadline). The kernel drops the lock when the process dies, so a killed
// writer never leaves it held. A lock still held at the end wraps ErrBusy.
//
// The lock is opened as itself (O_NOFOLLOW): a symbolic link in its place
// is refused, never followed, so no lock is created at a dangling link's
// target. It must be a regular file; the open does not block on a FIFO.
func Lock(ctx context.Context, lockPath string, wait time.Duration) (unlock func(), err error) {
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0o600)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fmt.Errorf("lock %s is a symbolic link: keywarden opens locks only as themselves\nfix: rm %s", lockPath, lockPath)
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil {
		f.Close()
		return nil, err
	} else if err := regularfile.Check(lockPath, "lock", fi); err != nil {
		f.Close()
		return nil, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
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
			return nil, err
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("%w: %w", ErrBusy, ctx.Err())
		case <-time.After(pollEvery):
		}
	}
}
