package keystore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"
)

// Options selects and configures a Store for Open.
type Options struct {
	// Backend is auto, keyring or file ("" means auto).
	Backend string
	// VaultPath is the age vault of the file backend.
	VaultPath string
	// PassphraseFile holds the vault passphrase on its first line; "" means
	// $CREDENTIALS_DIRECTORY/keywarden-passphrase, then Prompt.
	PassphraseFile string
	// Prompt asks the user for a secret on a terminal; nil means there is
	// no terminal to ask.
	Prompt func(msg string) (Secret, error)
	// Show writes a message holding a secret (a generated passphrase) to
	// the terminal and nowhere else; nil when there is no terminal to show
	// it on, and then no passphrase is generated.
	Show func(msg string)
	// Timeout bounds every keyring call (default DefaultTimeout).
	Timeout time.Duration
	// ScryptWorkFactor is the vault's scrypt cost (default ScryptWorkFactor).
	ScryptWorkFactor int
	// Notice, when set, is told why auto chose the file backend, so the
	// choice is never silent.
	Notice func(msg string)
}

// Open returns the store the options select. With auto it is the keyring
// when the Secret Service answers, else the file backend when the vault
// exists, else an error saying how to fix it. Opening never prompts; the
// file backend asks for its passphrase on first use.
func Open(ctx context.Context, opts Options) (Store, error) {
	switch opts.Backend {
	case BackendKeyring:
		return newKeyring(opts.Timeout), nil
	case BackendFile:
		return openFile(opts)
	case BackendAuto, "":
	default:
		return nil, fmt.Errorf("unknown keystore %q: use auto, keyring or file", opts.Backend)
	}
	kr := newKeyring(opts.Timeout)
	_, kerr := kr.List(ctx)
	if kerr == nil {
		return kr, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if opts.VaultPath != "" {
		if _, err := os.Stat(opts.VaultPath); err == nil {
			if opts.Notice != nil {
				opts.Notice(fmt.Sprintf("keystore: file %s (%s)", opts.VaultPath, Reason(kerr)))
			}
			return openFile(opts)
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("vault: %w", err)
		}
	}
	return nil, fmt.Errorf("no keystore available: %s, and there is no vault at %s\nfix: start a Secret Service (see README: headless setup), or use --keystore file to create an age vault", Reason(kerr), opts.VaultPath)
}

func openFile(opts Options) (Store, error) {
	if opts.VaultPath == "" {
		return nil, errors.New("file keystore needs a vault path: set vault in the config")
	}
	pass := &passphraseSource{file: opts.PassphraseFile, prompt: opts.Prompt, show: opts.Show, vault: opts.VaultPath}
	return newFileStore(opts.VaultPath, opts.ScryptWorkFactor, pass), nil
}

// Reason is the first line of err without the keyring's own fix advice,
// for messages that give their own.
func Reason(err error) string {
	s := strings.Replace(err.Error(), ": "+keyringFix, "", 1)
	s = strings.Replace(s, "keyring: ", "keyring unavailable: ", 1)
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

// VaultPath returns the vault file behind a file-backend store, or "".
func VaultPath(s Store) string {
	if f, ok := s.(*fileStore); ok {
		return f.path
	}
	return ""
}
