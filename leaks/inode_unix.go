//go:build unix

package leaks

import (
	"io/fs"
	"syscall"
)

// inode is part of a file's cache identity: a file replaced by another of
// the same size and mtime still gets a new inode.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino)
	}
	return 0
}
