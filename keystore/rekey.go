package keystore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ChangePassphrase re-encrypts the vault behind s under newPass. The
// current passphrase (from the usual sources) must decrypt the vault first;
// newPass must pass CheckNewPassphrase. The new vault is written as every
// vault write is, to a temp file beside it that is renamed over it, under
// the vault's lock: a process killed at any point leaves the old vault,
// whole and under the old passphrase, or the new one. Errors never hold
// either passphrase.
func ChangePassphrase(ctx context.Context, s Store, newPass Secret) error {
	f, ok := s.(*fileStore)
	if !ok {
		return fmt.Errorf("the %s keystore has no keywarden passphrase: only the file keystore (the age vault) does", s.Backend())
	}
	if err := CheckNewPassphrase(newPass); err != nil {
		return err
	}
	if _, err := os.Stat(f.path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("there is no vault at %s yet: the first import creates it under a new passphrase", f.path)
	}
	// The current passphrase itself must open the vault, not a key the
	// unlock cache kept.
	ciphertext, err := readVault(f.path)
	if err != nil {
		return err
	}
	pass, err := f.pass.get(false)
	if err != nil {
		return err
	}
	if _, err := decryptVault(f.path, ciphertext, pass); err != nil {
		return err
	}
	// Leaves the document cached, so the write below re-reads nothing.
	if _, err := f.read(ctx); err != nil {
		return err
	}
	f.pass.mu.Lock()
	old := f.pass.typed
	f.pass.typed = newPass
	f.pass.mu.Unlock()
	err = f.update(ctx, func(*vaultDoc) error { return nil })
	if err != nil {
		f.pass.mu.Lock()
		f.pass.typed = old
		f.pass.mu.Unlock()
		if errors.Is(err, ErrWrongPassphrase) {
			return fmt.Errorf("the vault %s changed while it was being re-encrypted: nothing was changed, run the command again", f.path)
		}
		return err
	}
	return nil
}

// ReadPassphraseFile reads a passphrase from the first line of a 0600 file
// the user owns, as passphrase_file is read.
func ReadPassphraseFile(path string) (Secret, error) {
	return readPassphraseFile(path, "passphrase file")
}
