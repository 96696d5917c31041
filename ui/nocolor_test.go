package ui

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
)

// sgrColour matches an SGR sequence that sets a foreground or background
// colour (16, 256 or true colour).
var sgrColour = regexp.MustCompile(`\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9]+)*m`)

// drawn runs the dashboard on a 16-colour terminal until the Permissions
// and Keys panes are drawn (their groups answer separately: each holds one
// of the glyphs the test looks for), and returns every byte written.
func drawn(t *testing.T, noColor bool) string {
	t.Helper()
	opts := testOptions(&runner{rs: world()})
	opts.NoColor = noColor
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	popts := append([]tea.ProgramOption{tea.WithColorProfile(colorprofile.ANSI)}, programOptions(ctx, opts)...)
	tm := teatest.NewTestModel(t, New(opts).WithContext(ctx), teatest.WithInitialTermSize(120, 40), teatest.WithProgramOptions(popts...))
	var out bytes.Buffer
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		out.Write(b)
		return strings.Contains(out.String(), "withdrawals enabled") && strings.Contains(out.String(), "rotate in 2d")
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(5*time.Second))
	return out.String()
}

func TestNoColorDrawsNoColour(t *testing.T) {
	if !sgrColour.MatchString(drawn(t, false)) {
		t.Fatal("on a 16-colour terminal the dashboard should use colour (the matcher is broken otherwise)")
	}
	s := drawn(t, true)
	if m := sgrColour.FindString(s); m != "" {
		t.Errorf("NoColor output sets a colour: %q", m)
	}
	for _, w := range []string{"✗", "!", "✓", "critical"} {
		if !strings.Contains(s, w) {
			t.Errorf("without colour the status must still read %q", w)
		}
	}
}
