package checks

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Kernel clock state (linux/timex.h); x/sys/unix does not export these.
const (
	timeError  = 5    // TIME_ERROR: clock not synchronized
	staUnsync  = 0x40 // STA_UNSYNC
	usPerMilli = 1000.0
)

func readKernelClock() (kernelClock, error) {
	var tx unix.Timex // Modes 0: read only, needs no privilege
	state, err := unix.Adjtimex(&tx)
	if err != nil {
		return kernelClock{}, fmt.Errorf("adjtimex: %w", err)
	}
	return kernelClock{
		Synchronized: state != timeError && tx.Status&staUnsync == 0,
		EstError:     float64(tx.Esterror) / usPerMilli,
		MaxError:     float64(tx.Maxerror) / usPerMilli,
	}, nil
}
