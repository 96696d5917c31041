// Package cmd builds keywarden's command tree. Each command lives in its own
// file with its builder; NewRoot calls every builder with the dependencies it
// needs; main.go only calls Main.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/keywarden/keywarden/internal/nodump"
)

// Exit codes (Nagios plugin convention, plus 64 for usage errors).
const (
	ExitOK      = 0
	ExitWarn    = 1
	ExitCrit    = 2
	ExitUnknown = 3
	ExitUsage   = 64
)

// ExitError makes a command exit with Code. Err, when set, is printed first.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// UsageError is a mistake in how keywarden was called: an unknown command
// or flag, a flag value that does not parse, a wrong number of arguments, or
// a combination a command refuses. Main exits 64 for it. Cobra's own flag
// and argument errors are wrapped into it where cobra hands them over (the
// flag error function and every command's Args), never recognised by their
// text: an error that merely mentions "invalid argument" is not a usage error.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

func (e *UsageError) Unwrap() error { return e.Err }

// usageError makes a usage error (exit 64).
func usageError(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// asUsage marks err, returned by cobra's parsing or an Args validator, as a
// usage error.
func asUsage(err error) error {
	var ue *UsageError
	if errors.As(err, &ue) {
		return err
	}
	return &UsageError{Err: err}
}

// withCode gives err the exit status code unless it already carries one (an
// *ExitError or a *UsageError).
func withCode(code int, err error) error {
	var ee *ExitError
	var ue *UsageError
	if err == nil || errors.As(err, &ee) || errors.As(err, &ue) {
		return err
	}
	return &ExitError{Code: code, Err: err}
}

// NewRoot builds the command tree for app: the root (the dashboard) and
// every command, each given what it needs as an argument of its builder, so
// none can be left unset. A new command is added to this list.
func NewRoot(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "keywarden",
		Short: "Dashboard and pre-launch gate for trading-bot API keys",
		Long: `keywarden keeps a trading bot's exchange API keys out of source files (OS
keyring, or an age-encrypted vault on headless servers), hands them to the bot
at start, and watches what silently breaks bots or drains accounts: clock skew,
egress IP vs. whitelists, key age, permissions read from the exchanges, the
bot's audit log, and keys leaked into files or git history.

Exit codes: 0 ok, 1 warn, 2 crit, 3 unknown, 64 usage error. From every
command, exec included: an unknown profile is 64, a config file that does
not load is 3.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	root.SetIn(app.Stdin)
	root.SetOut(app.Stdout)
	root.SetErr(app.Stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&app.ConfigPath, "config", os.Getenv("KEYWARDEN_CONFIG"), "config file (env KEYWARDEN_CONFIG)")
	pf.StringVar(&app.Keystore, "keystore", os.Getenv("KEYWARDEN_KEYSTORE"), "secret store: auto, keyring or file (env KEYWARDEN_KEYSTORE)")
	pf.BoolVar(&app.NoColor, "no-color", os.Getenv("NO_COLOR") != "", "no colours in output (NO_COLOR is honoured)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	root.RunE = func(c *cobra.Command, args []string) error { return runDashboard(app, c, args) }
	root.AddCommand(
		newActivityCmd(app),
		newAddCmd(app),
		newAlertCmd(app),
		newCheckCmd(app),
		newCompletionCmd(app),
		newDemoCmd(app),
		newExecCmd(app, app.preLaunchGate),
		newHookCmd(app),
		newImportCmd(app),
		newListCmd(app),
		newLockCmd(app),
		newLogCmd(app),
		newPassphraseCmd(app),
		newRemoveCmd(app),
		newRotateCmd(app),
		newScanCmd(app),
		newVersionCmd(app),
		newWatchCmd(app),
	)
	argErrorsAreUsage(root)
	return root
}

// argErrorsAreUsage wraps the Args validator of c and of every command below
// it, so an argument error is a usage error whichever command it comes from.
// (A command without Args accepts any arguments; cobra then only checks the
// root, which has its own.)
func argErrorsAreUsage(c *cobra.Command) {
	if valid := c.Args; valid != nil {
		c.Args = func(c *cobra.Command, args []string) error {
			if err := valid(c, args); err != nil {
				return asUsage(err)
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		argErrorsAreUsage(sub)
	}
}

// Main runs keywarden with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Before anything is read: a core of a process holding the vault, its
	// passphrase or a notifier token would hold them in plain text. Every
	// command gets this, so one added later cannot forget it.
	if err := nodump.Disable(); err != nil {
		fmt.Fprintf(stderr, "keywarden: cannot keep secrets out of core dumps: %v\n", err)
		return ExitUnknown
	}
	app := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return execute(ctx, NewRoot(app), args, stderr)
}

// execute runs root with args, prints the error (if any) on stderr and
// returns the exit code: an *ExitError's own (even when it wraps a usage
// error: the command chose that status), else 64 for a *UsageError, else 3.
func execute(ctx context.Context, root *cobra.Command, args []string, stderr io.Writer) int {
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(stderr, "keywarden: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(stderr, "keywarden: %v\n", err)
	var ue *UsageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitUnknown
}
