package keystore

import (
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// unlockCache is the kernel's user keyring: shared by the user's processes
// (not other users', whose user keyring is theirs), held in kernel memory
// (never swapped), dropped by the kernel at the timeout.
var unlockCache keyCache = kernelKeyring{}

type kernelKeyring struct{}

// Key permissions (linux/keyctl.h): the possessor may do anything; other
// processes of the same user may find and read the key, since a later
// keywarden does not possess a key an earlier one added.
const (
	keyPosAll    = 0x3f000000
	keyUsrView   = 0x00010000
	keyUsrRead   = 0x00020000
	keyUsrSearch = 0x00080000
)

func (kernelKeyring) get(name string) ([]byte, bool) {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", name, 0)
	if err != nil {
		return nil, false
	}
	buf := make([]byte, 64)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil || n <= 0 || n > len(buf) {
		return nil, false
	}
	return buf[:n], true
}

// put adds (or replaces) the key; a keyring that refuses (seccomp in a
// container, a quota) only means no cache.
func (kernelKeyring) put(name string, key []byte, ttl time.Duration) {
	id, err := unix.AddKey("user", name, key, unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		return
	}
	if unix.KeyctlSetperm(id, keyPosAll|keyUsrView|keyUsrRead|keyUsrSearch) != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0)
		return
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_SET_TIMEOUT, id, int(ttl/time.Second), 0, 0); err != nil {
		_, _ = unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0)
	}
}

func (kernelKeyring) drop(name string) error {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "user", name, 0)
	if errors.Is(err, unix.ENOKEY) || errors.Is(err, unix.EKEYREVOKED) || errors.Is(err, unix.EKEYEXPIRED) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = unix.KeyctlInt(unix.KEYCTL_REVOKE, id, 0, 0, 0)
	return err
}
