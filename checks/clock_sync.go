package checks

import (
	"context"
	"fmt"
)

// kernelClock is the kernel's own view of its clock discipline.
type kernelClock struct {
	Synchronized bool
	EstError     float64 // ms
	MaxError     float64 // ms
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
