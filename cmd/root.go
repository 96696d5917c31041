// Package cmd builds keywarden's command tree. Each command lives in its own
// file and registers itself; main.go only calls Main.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
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

// usageError marks an error as a usage error (exit 64).
func usageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// App carries the global flags and the process's standard streams to every
// command, so tests can run the real command tree in-process.
type App struct {
	ConfigPath string // --config, or $KEYWARDEN_CONFIG
	Keystore   string // --keystore, or $KEYWARDEN_KEYSTORE
	NoColor    bool   // --no-color, or $NO_COLOR

	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// commandBuilders are registered by each command's file in init.
var commandBuilders []func(*App) *cobra.Command

func register(b func(*App) *cobra.Command) { commandBuilders = append(commandBuilders, b) }

// rootRun is the bare `keywarden` action (the dashboard); set by the UI's file.
var rootRun func(app *App, cmd *cobra.Command, args []string) error

// NewRoot builds the command tree for app.
func NewRoot(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "keywarden",
		Short: "Dashboard and pre-launch gate for trading-bot API keys",
		Long: `keywarden keeps a trading bot's exchange API keys out of source files (OS
keyring, or an age-encrypted vault on headless servers), hands them to the bot
at start, and watches what silently breaks bots or drains accounts: clock skew,
egress IP vs. whitelists, key age, permissions read from the exchanges, the
bot's audit log, and keys leaked into files or git history.

Exit codes: 0 ok, 1 warn, 2 crit, 3 unknown, 64 usage error.`,
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
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("%w\nrun '%s --help' for usage", err, c.CommandPath())}
	})
	if rootRun != nil {
		root.RunE = func(c *cobra.Command, args []string) error { return rootRun(app, c, args) }
	}
	for _, b := range commandBuilders {
		root.AddCommand(b(app))
	}
	return root
}

// Main runs keywarden with args (without the program name) and returns the
// process exit code.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := &App{Stdin: stdin, Stdout: stdout, Stderr: stderr}
	root := NewRoot(app)
	root.SetArgs(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
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
	if isUsage(err) {
		return ExitUsage
	}
	return ExitUnknown
}

// isUsage recognises cobra's own argument and command errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "received ", "invalid argument", "unknown flag", "unknown shorthand"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
