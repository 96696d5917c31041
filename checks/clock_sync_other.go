//go:build !linux

package checks

import "errors"

// readKernelClock needs Linux's adjtimex; elsewhere clock.sync reports
// unknown and clock.ntp still judges the clock.
func readKernelClock() (kernelClock, error) {
	return kernelClock{}, errors.New("the kernel's clock state is read with adjtimex, which only Linux has")
}
