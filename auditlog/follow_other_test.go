//go:build !unix

package auditlog

import "testing"

func runUnprivileged(t *testing.T, name string) {
	t.Skip("needs a unix system to drop privileges")
}

func waitHeld(t *testing.T, path string, n int) {}
