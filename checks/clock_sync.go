package checks

import (
	"context"
	"fmt"

	"golang.org/x/sys/unix"
)

// Kernel clock state (linux/timex.h); x/sys/unix does not export these.
const (
	timeError  = 5    // TIME_ERROR: clock not synchronized
	staUnsync  = 0x40 // STA_UNSYNC
	usPerMilli = 1000.0
)

// kernelClock is the kernel's own view of its clock discipline.
type kernelClock struct {
	Synchronized bool
	EstError     float64 // ms
	MaxError     float64 // ms
}

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

func runClockSync(ctx context.Context, env *Env) Result {
	k, err := readKernelClock()
	if err != nil {
		return Result{Status: Unknown, Summary: "cannot read the kernel clock state: " + err.Error(),
			Hint: "this host does not allow adjtimex; rely on clock.ntp instead"}
	}
	return judgeKernelClock(k)
}

// judgeKernelClock: an unsynchronized kernel clock warns (it drifts freely
// until a time daemon disciplines it).
func judgeKernelClock(k kernelClock) Result {
	d := map[string]any{
		"synchronized": k.Synchronized,
		"est_error_ms": round3(k.EstError),
		"max_error_ms": round3(k.MaxError),
	}
	if !k.Synchronized {
		return Result{Status: Warn, Summary: "kernel clock not synchronized", Details: d,
			Hint: "run a time daemon (chrony or systemd-timesyncd): `timedatectl set-ntp true`"}
	}
	return Result{Status: OK, Details: d,
		Summary: fmt.Sprintf("kernel clock synchronized, ±%s", fmtMS(k.EstError))}
}
