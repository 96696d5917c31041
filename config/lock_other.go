//go:build !unix

package config

// lockForEdit is a no-op where flock is not available.
func lockForEdit(string) (func(), error) { return func() {}, nil }
