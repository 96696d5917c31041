package keystore

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"
)

// The vault's cost is age's scrypt: about a second of CPU and 256 MiB at the
// default work factor, for every process that opens the vault. A process
// that has paid it caches the vault's file key (the random key age wraps
// under the passphrase, not anything derived from the passphrase) in the
// kernel's user keyring with a timeout, the way systemd-ask-password
// --keyname caches passphrases; later processes of the same user decrypt
// with it and skip scrypt until it expires. docs/hardening.md has the
// threat model.

// DefaultUnlockTTL is how long a vault stays unlocked for the user after a
// process paid its key derivation.
const DefaultUnlockTTL = 15 * time.Minute

// UnlockTTLEnv names the variable that sets the unlock period (a Go
// duration; 0 turns the cache off).
const UnlockTTLEnv = "KEYWARDEN_UNLOCK_TTL"

// unlockTTL is the unlock period in force; 0 when the cache is off.
func unlockTTL() time.Duration {
	v, ok := os.LookupEnv(UnlockTTLEnv)
	if !ok || v == "" {
		return DefaultUnlockTTL
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Second {
		return 0
	}
	return d
}

// unlockName is the keyring description of the vault at path: a hash of
// its absolute path, so different vaults never share a cached key.
func unlockName(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	sum := sha256.Sum256([]byte(path))
	return "keywarden:vault:" + hex.EncodeToString(sum[:16])
}

// fileKeyIdentity decrypts an age file whose file key is known. age checks
// the header's MAC with it, so a key cached for an older version of the
// vault fails cleanly and the passphrase is asked for.
type fileKeyIdentity []byte

func (k fileKeyIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	if len(stanzas) != 1 || stanzas[0].Type != "scrypt" {
		return nil, age.ErrIncorrectIdentity
	}
	return bytes.Clone(k), nil
}

// rememberIdentity is the passphrase's identity, keeping the file key it
// unwrapped.
type rememberIdentity struct {
	age.Identity
	key []byte
}

func (r *rememberIdentity) Unwrap(stanzas []*age.Stanza) ([]byte, error) {
	k, err := r.Identity.Unwrap(stanzas)
	if err == nil {
		r.key = bytes.Clone(k)
	}
	return k, err
}

// rememberRecipient is the passphrase's recipient, keeping the file key of
// the vault it encrypts.
type rememberRecipient struct {
	*age.ScryptRecipient
	key []byte
}

func (r *rememberRecipient) Wrap(fileKey []byte) ([]*age.Stanza, error) {
	r.key = bytes.Clone(fileKey)
	return r.ScryptRecipient.Wrap(fileKey)
}

func (r *rememberRecipient) WrapWithLabels(fileKey []byte) ([]*age.Stanza, []string, error) {
	r.key = bytes.Clone(fileKey)
	return r.ScryptRecipient.WrapWithLabels(fileKey)
}

// unlockedDoc decrypts ciphertext with the cached file key of the vault at
// path; false when there is none or it no longer fits.
func unlockedDoc(path string, ciphertext []byte) (vaultDoc, bool) {
	if unlockTTL() == 0 {
		return vaultDoc{}, false
	}
	key, ok := unlockCache.get(unlockName(path))
	if !ok {
		return vaultDoc{}, false
	}
	doc, err := decryptWith(path, ciphertext, fileKeyIdentity(key))
	if err != nil {
		unlockCache.drop(unlockName(path))
		return vaultDoc{}, false
	}
	return doc, true
}

// rememberUnlock caches the vault's file key for the unlock period.
func rememberUnlock(path string, key []byte) {
	if ttl := unlockTTL(); ttl > 0 && len(key) > 0 {
		unlockCache.put(unlockName(path), key, ttl)
	}
}

// Lock drops the cached key of the vault at path: the next process pays
// the key derivation (and asks for the passphrase) again.
func Lock(path string) error { return unlockCache.drop(unlockName(path)) }

// keyCache holds file keys by name, each for a while.
type keyCache interface {
	get(name string) ([]byte, bool)
	put(name string, key []byte, ttl time.Duration)
	drop(name string) error
}
