//go:build !linux

package keystore

import "time"

// unlockCache is off where there is no kernel keyring: every process pays
// the key derivation.
var unlockCache keyCache = noCache{}

type noCache struct{}

func (noCache) get(string) ([]byte, bool)         { return nil, false }
func (noCache) put(string, []byte, time.Duration) {}
func (noCache) drop(string) error                 { return nil }
