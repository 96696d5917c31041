package ui

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// RunWizard runs w (from NewAddWizard or NewRotateWizard) until the user
// finishes or cancels, drawing on opts.Output (default stderr, so stdout
// stays clean for the summary a script may read). The returned Wizard
// reports Result and Cancelled. The terminal is restored in every case.
func RunWizard(ctx context.Context, w Wizard) (Wizard, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	popts := []tea.ProgramOption{tea.WithFPS(defaultFPS)}
	if w.opts.Input != nil {
		popts = append(popts, tea.WithInput(w.opts.Input))
	}
	out := w.opts.Output
	if out == nil {
		out = os.Stderr
	}
	popts = append(popts, tea.WithOutput(out))
	if w.opts.NoColor {
		popts = append(popts, tea.WithColorProfile(colorprofile.Ascii))
	}
	final, err := runGracefully(ctx, tea.NewProgram(w.WithContext(ctx), popts...))
	if fw, ok := final.(Wizard); ok {
		w = fw
	}
	w.dropOld()
	switch {
	case err == nil && ctx.Err() == nil:
		return w, nil
	case err == nil, errors.Is(err, tea.ErrInterrupted), errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil:
		// Interrupted, or a signal ended it mid-way: whatever was not saved
		// is cancelled.
		if !w.result.Saved {
			w.cancelled = true
		}
		return w, nil
	}
	return w, fmt.Errorf("wizard: %w", err)
}
