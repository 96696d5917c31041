package cmd

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/spf13/cobra"
)

// Exit 64 comes from the error's type, never its text: errors from a
// command's work that wrap EINVAL ("invalid argument") or say "received "
// exit 3, while cobra's own flag and argument errors, and the commands'
// usage errors, still exit 64.
func TestUsageErrorsAreATypeNotAText(t *testing.T) {
	notUsage := []error{
		fmt.Errorf("reading the keyring: %w", syscall.EINVAL),
		errors.New("received 3 bytes from the exchange, want 4"),
		errors.New("unknown command from the bot: accepts nothing, requires at least a restart"),
	}
	for _, want := range notUsage {
		t.Run(want.Error(), func(t *testing.T) {
			var stderr bytes.Buffer
			app := &App{Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr}
			root := NewRoot(app)
			root.AddCommand(&cobra.Command{Use: "fails", RunE: func(*cobra.Command, []string) error { return want }})
			if code := execute(t.Context(), root, []string{"fails"}, &stderr); code != ExitUnknown {
				t.Errorf("exit %d, want %d", code, ExitUnknown)
			}
			if !strings.Contains(stderr.String(), want.Error()) {
				t.Errorf("stderr %q does not carry the error", stderr.String())
			}
		})
	}

	usage := []struct {
		args []string
		want string
	}{
		{[]string{"no-such-command"}, "unknown command"},
		{[]string{"--no-such-flag"}, "unknown flag"},
		{[]string{"version", "extra"}, "unknown command"},
		{[]string{"log", "a", "b"}, "accepts at most 1 arg"},
		{[]string{"watch", "--interval", "soon"}, "invalid argument"},
		{[]string{"check", "--json", "--prometheus"}, "cannot be combined"},
		{[]string{"exec", "p"}, "usage: keywarden exec"},
		{[]string{"--keystore", "floppy", "list"}, "unknown keystore"},
	}
	for _, tc := range usage {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(append([]string{"--config", writeConfig(t)}, tc.args...), strings.NewReader(""), &stdout, &stderr); code != ExitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, ExitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr %q, want %q", stderr.String(), tc.want)
			}
		})
	}
}

// A status a command chose wins over a usage error it wraps, and an error
// already carrying a status keeps it.
func TestWithCode(t *testing.T) {
	use := usageError("bad flag")
	if got := withCode(ExitCrit, use); got != use {
		t.Errorf("a usage error was rewrapped: %v", got)
	}
	chosen := &ExitError{Code: ExitWarn}
	if got := withCode(ExitCrit, chosen); got != chosen {
		t.Errorf("an exit status was rewrapped: %v", got)
	}
	var ee *ExitError
	if err := withCode(ExitCrit, errors.New("boom")); !errors.As(err, &ee) || ee.Code != ExitCrit {
		t.Errorf("a plain error got %v, want exit %d", err, ExitCrit)
	}
	if withCode(ExitCrit, nil) != nil {
		t.Error("nil got a status")
	}
	var stderr bytes.Buffer
	root := &cobra.Command{Use: "t", SilenceErrors: true, SilenceUsage: true, RunE: func(*cobra.Command, []string) error {
		return &ExitError{Code: ExitUnknown, Err: use}
	}}
	if code := execute(t.Context(), root, nil, &stderr); code != ExitUnknown {
		t.Errorf("exit %d, want the wrapping status %d", code, ExitUnknown)
	}
}
