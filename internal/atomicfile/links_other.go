//go:build !unix

package atomicfile

import "io/fs"

// NoFollow is 0 where the OS has no O_NOFOLLOW.
const NoFollow = 0

// Links is 1 where the OS does not count hard links here.
func Links(fs.FileInfo) uint64 { return 1 }

// Owner is unknown where the OS has no uids.
func Owner(fs.FileInfo) (uid int, ok bool) { return 0, false }

// KeepOwner does nothing where the OS has no uids.
func KeepOwner(string, fs.FileInfo) {}
