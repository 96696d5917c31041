//go:build unix

package atomicfile

import (
	"io/fs"
	"os"
	"syscall"
)

// NoFollow is O_NOFOLLOW where the OS has it: an open with it fails on a
// symbolic link instead of opening what the link points to.
const NoFollow = syscall.O_NOFOLLOW

// Links is the number of hard links of the file fi describes (1 where the
// OS does not say).
func Links(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// Owner is the uid owning the file fi describes, ok false where the OS
// does not say.
func Owner(fi fs.FileInfo) (uid int, ok bool) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid), true
	}
	return 0, false
}

// KeepOwner gives path the owner and group of the file old describes, when
// they differ from the new file's (root rewriting a user's file keeps it the
// user's). Best effort: an unprivileged writer can only keep its own.
func KeepOwner(path string, old fs.FileInfo) {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid() {
		return
	}
	_ = os.Lchown(path, int(st.Uid), int(st.Gid))
}
