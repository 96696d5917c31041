//go:build !unix

package keystore

import "context"

// lockFile is a no-op where flock does not exist; writers in one process are
// still serialised by the store's mutex.
func lockFile(ctx context.Context, path string) (unlock func(), err error) { return func() {}, nil }
