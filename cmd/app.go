package cmd

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"golang.org/x/term"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/keystore"
)

// App is one run of keywarden: the global flags and the process's standard
// streams, handed to every command's builder by NewRoot, so tests can run
// the real command tree in-process.
type App struct {
	ConfigPath string // --config, or $KEYWARDEN_CONFIG
	Keystore   string // --keystore, or $KEYWARDEN_KEYSTORE
	NoColor    bool   // --no-color, or $NO_COLOR

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// LoadConfig reads the config named by --config / $KEYWARDEN_CONFIG, or the
// default path (a missing default file gives the defaults).
//
// A config that does not load is exit 3 from every command, exec too
// (whose other failures are 2): the error carries that status. The
// config's warnings go to stderr, on every run.
func (a *App) LoadConfig() (*config.Config, error) {
	cfg, err := config.Load(a.ConfigPath)
	if err != nil {
		return cfg, &ExitError{Code: ExitUnknown, Err: err}
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(a.Stderr, "keywarden: warning: %s\n", w)
	}
	return cfg, nil
}

// ConfigFile is the config file path this run reads and edits.
func (a *App) ConfigFile() string {
	if a.ConfigPath != "" {
		return a.ConfigPath
	}
	return config.DefaultPath()
}

// OpenStore opens the keystore: --keystore / $KEYWARDEN_KEYSTORE win over the
// config's keystore. The vault passphrase is asked on the terminal (prompt on
// stderr) only when stdin is a terminal. When auto falls back to the vault,
// a note on stderr says so.
func (a *App) OpenStore(ctx context.Context, cfg *config.Config) (keystore.Store, error) {
	backend := cfg.Keystore
	if a.Keystore != "" {
		backend = a.Keystore
	}
	switch backend {
	case "", keystore.BackendAuto, keystore.BackendKeyring, keystore.BackendFile:
	default:
		return nil, usageError("unknown keystore %q: use auto, keyring or file", backend)
	}
	key := storeKey{app: a, backend: backend, vault: cfg.Vault, passphraseFile: cfg.PassphraseFile}
	if s, ok := openStores.Load(key); ok {
		return s.(keystore.Store), nil
	}
	opts := keystore.Options{
		Backend:        backend,
		VaultPath:      cfg.Vault,
		PassphraseFile: cfg.PassphraseFile,
		Notice:         func(msg string) { fmt.Fprintln(a.Stderr, msg) },
	}
	if a.stdinIsTerminal() {
		opts.Prompt = func(msg string) (keystore.Secret, error) { return a.promptSecret(ctx, msg) }
		if isTerminal(a.Stderr) {
			opts.Show = func(msg string) { fmt.Fprint(a.Stderr, msg) }
		}
	}
	s, err := keystore.Open(ctx, opts)
	if err != nil {
		return nil, err
	}
	shared, _ := openStores.LoadOrStore(key, s)
	return shared.(keystore.Store), nil
}

// openStoreLenient opens the keystore for a command that carries on without
// one (check, the exec gate, the dashboard, watch): when it cannot be
// opened, store is nil and storeErr says why, and the key checks report
// unknown with that reason. err is set only for a usage error (a wrong
// --keystore), which stops the command.
func (a *App) openStoreLenient(ctx context.Context, cfg *config.Config) (store keystore.Store, storeErr, err error) {
	store, storeErr = a.OpenStore(ctx, cfg)
	var ue *UsageError
	if errors.As(storeErr, &ue) {
		return nil, nil, storeErr
	}
	return store, storeErr, nil
}

// openStores keeps the store each run opened, so the exec gate, list and
// the command itself share one: one passphrase prompt, one vault decryption,
// one keyring probe.
var openStores sync.Map // storeKey -> keystore.Store

type storeKey struct {
	app                            *App
	backend, vault, passphraseFile string
}

// stdinTTY returns stdin's file descriptor when stdin is a terminal.
func (a *App) stdinTTY() (int, bool) {
	f, ok := a.Stdin.(*os.File)
	if !ok {
		return 0, false
	}
	fd := int(f.Fd())
	return fd, term.IsTerminal(fd)
}

func (a *App) stdinIsTerminal() bool {
	_, ok := a.stdinTTY()
	return ok
}

// promptSecret asks for a secret on the terminal without echo; the prompt
// goes to stderr so stdout stays clean for scripts. SIGINT and SIGTERM end
// the wait and turn echo back on.
func (a *App) promptSecret(ctx context.Context, msg string) (keystore.Secret, error) {
	fd, ok := a.stdinTTY()
	if !ok {
		return keystore.Secret{}, fmt.Errorf("stdin is not a terminal")
	}
	state, err := term.GetState(fd)
	if err != nil {
		return keystore.Secret{}, err
	}
	fmt.Fprint(a.Stderr, msg)
	b, err := interruptible(ctx, func() ([]byte, error) { return term.ReadPassword(fd) })
	fmt.Fprintln(a.Stderr)
	if errors.Is(err, errInterrupted) {
		_ = term.Restore(fd, state)
	}
	if err != nil {
		return keystore.Secret{}, err
	}
	return keystore.NewSecret(string(b)), nil
}

// confirm asks a yes/no question on stderr and reads the answer from stdin
// until the answer, SIGINT or SIGTERM.
func (a *App) confirm(ctx context.Context, question string) (bool, error) {
	fmt.Fprintf(a.Stderr, "%s [y/N] ", question)
	line, err := interruptible(ctx, func() (string, error) { return bufio.NewReader(a.Stdin).ReadString('\n') })
	if err != nil && err != io.EOF {
		return false, err
	}
	ans := strings.ToLower(strings.TrimSpace(line))
	return ans == "y" || ans == "yes", nil
}
