package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// programOptions are the bubbletea options for opts.
func programOptions(ctx context.Context, opts Options) []tea.ProgramOption {
	// bubbletea's renderer wakes at its frame rate even when nothing
	// changed; its default of 60 costs ~1% of a core on an idle VPS.
	fps := opts.FPS
	if fps <= 0 {
		fps = defaultFPS
	}
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(fps)}
	if opts.Input != nil {
		popts = append(popts, tea.WithInput(opts.Input))
	}
	out := opts.Output
	if out == nil {
		out = os.Stdout
	}
	popts = append(popts, tea.WithOutput(out))
	if opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	return popts
}

// defaultFPS caps redraws: fast enough that keys feel instant, slow enough
// that an idle dashboard costs next to nothing.
const defaultFPS = 15

// Run shows the dashboard until the user quits (q, ctrl+c), ctx ends, or
// the process gets SIGTERM or SIGHUP. The terminal is restored in every
// case, including a panic, whose report names no secret.
//
// The dashboard draws on opts.Output (default stdout): the caller decides
// it is a terminal. Checks and audit feeds stop when Run returns.
func Run(ctx context.Context, opts Options) error {
	if opts.Run == nil {
		return errors.New("ui: Options.Run is required")
	}
	// bubbletea turns SIGINT and SIGTERM into a quit; SIGHUP (the SSH link
	// dropped) ends the context, which kills the program and restores the
	// terminal the same way.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	_, err := tea.NewProgram(New(opts).WithContext(ctx), programOptions(ctx, opts)...).Run()
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tea.ErrProgramPanic):
		return fmt.Errorf("the dashboard stopped on an internal error (reported above); `keywarden check` still works: %w", err)
	case errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		return nil // a signal or the caller ended it; the terminal is restored
	case errors.Is(err, tea.ErrInterrupted):
		return nil
	}
	return fmt.Errorf("dashboard: %w", err)
}
