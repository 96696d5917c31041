//go:build !unix

package atomicfile

import (
	"context"
	"time"
)

// Lock is a no-op where flock does not exist; callers still serialise
// writers within one process.
func Lock(ctx context.Context, lockPath string, wait time.Duration) (unlock func(), err error) {
	return func() {}, nil
}
