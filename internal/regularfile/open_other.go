//go:build !unix

package regularfile

import "os"

// Where there are no FIFOs to block on, a plain open does.
func openNonblock(path string) (*os.File, error) { return os.Open(path) }

func setBlocking(*os.File) error { return nil }
