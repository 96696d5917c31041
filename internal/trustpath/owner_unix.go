//go:build unix

package trustpath

import (
	"io/fs"
	"os"
	"syscall"
)

func currentUID() (int, bool) { return os.Geteuid(), true }

func ownerUID(fi fs.FileInfo) (int, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return int(st.Uid), true
}

func (c *checker) run(abs string) error { return c.walk(abs) }
