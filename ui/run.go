package ui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	popts := []tea.ProgramOption{tea.WithFPS(fps)}
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

// killAfter bounds how long a quit may take before the program is killed.
const killAfter = 2 * time.Second

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
	// SIGINT and SIGTERM (Main's context), SIGHUP (the SSH link dropped) or
	// the caller's ctx end the dashboard (see runGracefully).
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	_, err := runGracefully(ctx, tea.NewProgram(New(opts).WithContext(ctx), programOptions(ctx, opts)...))
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

// runGracefully runs p; when ctx ends first it asks p to Quit rather than
// killing it: bubbletea's kill path closes the terminal reader while its
// read loop may still use it (a data race in bubbletea v2.1.1), and a quit
// restores the terminal the same way. A program that does not take the quit
// within killAfter is killed.
func runGracefully(ctx context.Context, p *tea.Program) (tea.Model, error) {
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-finished:
			return
		case <-ctx.Done():
		}
		p.Quit()
		select {
		case <-finished:
		case <-time.After(killAfter):
			p.Kill()
		}
	}()
	return p.Run()
}
