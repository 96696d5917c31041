//go:build darwin || windows

package keystore

// checkSessionBus: macOS and Windows keyrings need no session bus.
func checkSessionBus() error { return nil }
