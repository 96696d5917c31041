package keystore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/keywarden/keywarden/internal/regularfile"
	"github.com/keywarden/keywarden/internal/trustpath"
)

// CredentialName is the systemd credential keywarden reads the vault
// passphrase from: $CREDENTIALS_DIRECTORY/keywarden-passphrase
// (LoadCredential=keywarden-passphrase:/path in the unit).
const CredentialName = "keywarden-passphrase"

// passphraseSource finds the vault passphrase, in order: the configured
// passphrase file, the systemd credential, a terminal prompt. It is never
// read from argv or the environment's values.
//
// A passphrase from a file is read again at each use and dropped after the
// key derivation, so a long-running process (watch) does not keep it; only
// a typed one is kept for the rest of the run, since asking twice in one
// command would be worse. Go cannot wipe a string, so a dropped passphrase
// stays in freed memory until reused: internal/nodump keeps that memory out
// of core files.
type passphraseSource struct {
	file   string
	prompt func(msg string) (Secret, error)
	show   func(msg string)
	vault  string

	mu    sync.Mutex
	typed Secret
}

// get returns the passphrase; creating asks a prompt to confirm it.
func (p *passphraseSource) get(creating bool) (Secret, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.typed.Empty() {
		return p.typed, nil
	}
	v, typed, err := p.find(creating)
	if err != nil {
		return Secret{}, err
	}
	if creating {
		if err := CheckNewPassphrase(v); err != nil {
			return Secret{}, err
		}
	}
	if typed {
		p.typed = v
	}
	return v, nil
}

// version identifies, without reading it, the passphrase get would return
// now: the file it would be read from with that file's size and
// modification time, or "typed" for the prompt, whose answer is kept.
func (p *passphraseSource) version() string {
	path := p.file
	if path == "" {
		if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" {
			path = filepath.Join(dir, CredentialName)
		}
	}
	if path == "" {
		return "typed"
	}
	fi, err := os.Stat(path)
	if err != nil {
		if p.file == "" {
			return "typed"
		}
		return "missing " + path
	}
	return fmt.Sprintf("%s %d %d", path, fi.Size(), fi.ModTime().UnixNano())
}

// find reads the passphrase; typed says it came from the prompt.
func (p *passphraseSource) find(creating bool) (v Secret, typed bool, err error) {
	if p.file != "" {
		v, err := readPassphraseFile(p.file, "passphrase_file")
		return v, false, err
	}
	if dir := os.Getenv("CREDENTIALS_DIRECTORY"); dir != "" {
		path := filepath.Join(dir, CredentialName)
		if _, err := os.Stat(path); err == nil {
			v, err := readPassphraseFile(path, "systemd credential")
			return v, false, err
		}
	}
	v, err = p.ask(creating)
	return v, err == nil, err
}

// ask prompts for the passphrase, twice when creating the vault.
func (p *passphraseSource) ask(creating bool) (Secret, error) {
	if p.prompt == nil {
		return Secret{}, fmt.Errorf("no passphrase for vault %s and no terminal to ask: set passphrase_file in the config (a 0600 file), or pass it as the systemd credential %s", p.vault, CredentialName)
	}
	if !creating {
		v, err := p.prompt(fmt.Sprintf("passphrase for vault %s: ", p.vault))
		if err != nil {
			return Secret{}, fmt.Errorf("reading vault passphrase: %w", err)
		}
		if v.Empty() {
			return Secret{}, errors.New("empty vault passphrase")
		}
		return v, nil
	}
	offer := ""
	if p.show != nil {
		offer = " (Enter to generate one)"
	}
	v, err := p.prompt(fmt.Sprintf("new passphrase for vault %s%s: ", p.vault, offer))
	if err != nil {
		return Secret{}, fmt.Errorf("reading vault passphrase: %w", err)
	}
	if v.Empty() && p.show != nil {
		return p.generate()
	}
	if v.Empty() {
		return Secret{}, errors.New("empty vault passphrase: choose a long one")
	}
	if err := CheckNewPassphrase(v); err != nil {
		return Secret{}, err
	}
	again, err := p.prompt("repeat the passphrase: ")
	if err != nil {
		return Secret{}, fmt.Errorf("reading vault passphrase: %w", err)
	}
	if !again.Equal(v) {
		return Secret{}, errors.New("the two passphrases differ: nothing was stored, try again")
	}
	return v, nil
}

// generate makes a passphrase, shows it once on the terminal, and has it
// typed back, so it is known to be written down before anything is
// encrypted under it.
func (p *passphraseSource) generate() (Secret, error) {
	g, err := GeneratePassphrase()
	if err != nil {
		return Secret{}, err
	}
	p.show(fmt.Sprintf("generated passphrase for vault %s, shown this once:\n\n    %s\n\nwrite it down (or keep it as passphrase_file or a systemd credential)\n", p.vault, g.Reveal()))
	again, err := p.prompt("type it back: ")
	if err != nil {
		return Secret{}, fmt.Errorf("reading vault passphrase: %w", err)
	}
	if !again.Equal(g) {
		return Secret{}, errors.New("that is not the generated passphrase: nothing was stored, try again")
	}
	return g, nil
}

// maxPassphraseLen is the longest passphrase line read from a file.
const maxPassphraseLen = 4096

// readPassphraseFile reads a passphrase file: the first line, without its
// newline. Files others can read are refused.
func readPassphraseFile(path, what string) (Secret, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Secret{}, fmt.Errorf("%s %s does not exist: create it with the vault passphrase (chmod 600)", what, path)
	}
	if err != nil {
		return Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	// systemd's credential directory is the service manager's, not ours.
	if what != "systemd credential" {
		if err := trustpath.Check(path, what); err != nil {
			return Secret{}, err
		}
	}
	if m := fi.Mode().Perm(); m&0o077 != 0 && what != "systemd credential" {
		return Secret{}, fmt.Errorf("%s %s is readable or writable by group or others (mode %04o), refusing to use it\nfix: chmod 600 %s", what, path, m, path)
	}
	f, err := regularfile.Open(path, what)
	if errors.Is(err, regularfile.ErrNotRegular) {
		return Secret{}, err
	} else if err != nil {
		return Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	defer f.Close()
	// Only the first line counts: read no more than a passphrase can be,
	// so a wrong path (a log, the vault itself) costs no memory.
	data, err := io.ReadAll(io.LimitReader(f, maxPassphraseLen+1))
	defer clear(data)
	if err != nil {
		return Secret{}, fmt.Errorf("%s: %w", what, err)
	}
	line, _, found := strings.Cut(string(data), "\n")
	if !found && len(data) > maxPassphraseLen {
		return Secret{}, fmt.Errorf("%s %s does not start with a passphrase line (none within %d bytes): check the path", what, path, maxPassphraseLen)
	}
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return Secret{}, fmt.Errorf("%s %s is empty: put the vault passphrase on its first line", what, path)
	}
	return NewSecret(line), nil
}
