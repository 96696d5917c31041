// Package regularfile opens the files keywarden reads whole (the config,
// the vault, the passphrase file, an audit log) without ever blocking on
// something that is not a file: opening a FIFO for reading waits for a
// writer, and reading a character device may never end, in a system call
// no context or signal handler can cut short. The open does not block
// (O_NONBLOCK), the opened file is checked with fstat (so nothing can be
// swapped in between), and only a regular file is returned, in blocking
// mode.
package regularfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrNotRegular is wrapped by Open's refusal of a path that is not a
// regular file.
var ErrNotRegular = errors.New("not a regular file")

// Open opens path for reading when it is (or a symlink leads to) a regular
// file. what names the file in the error ("config file", "vault"); the
// refusal says what path is instead: "config file /x is a FIFO, not a
// regular file". An error of the open itself is returned as it is, so
// errors.Is(err, fs.ErrNotExist) still works.
func Open(path, what string) (*os.File, error) {
	f, err := openNonblock(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if err := Check(path, what, fi); err != nil {
		f.Close()
		return nil, err
	}
	if err := setBlocking(f); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// Check refuses fi, the stat of path, when it is not a regular file, with
// the error Open gives.
func Check(path, what string, fi fs.FileInfo) error {
	if fi.Mode().IsRegular() {
		return nil
	}
	return fmt.Errorf("%s %s is %s, %w", what, path, kind(fi.Mode()), ErrNotRegular)
}

// kind names what a non-regular file is.
func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m.IsDir():
		return "a directory"
	}
	return "not a file"
}
