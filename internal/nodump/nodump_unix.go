//go:build unix

package nodump

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// started is RLIMIT_CORE as the process found it; saved tells whether
// disable recorded it.
var (
	started unix.Rlimit
	saved   bool
)

func disable() error {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return fmt.Errorf("reading the core size limit: %w", err)
	}
	started, saved = lim, true
	if err := lower(); err != nil {
		return err
	}
	return notDumpable()
}

// lower sets the soft core limit to 0, keeping the hard limit.
func lower() error {
	if !saved {
		return nil
	}
	lim := started
	lim.Cur = 0
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return fmt.Errorf("setting the core size limit to 0: %w", err)
	}
	return nil
}

func restore() error {
	if !saved {
		return nil
	}
	lim := started
	if err := unix.Setrlimit(unix.RLIMIT_CORE, &lim); err != nil {
		return fmt.Errorf("restoring the core size limit: %w", err)
	}
	return nil
}
