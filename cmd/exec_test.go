package cmd

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/keywarden/keywarden/config"
)

// exec cannot be built without its pre-launch gate: a wiring mistake fails
// when the tree is built, never by starting every bot unchecked.
func TestExecCannotBeBuiltWithoutAGate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("newExecCmd accepted a nil gate")
		}
	}()
	newExecCmd(&App{}, nil)
}

// The gate exec is built with runs before anything else, with --force
// passed on; its refusal is exec's exit status; only --no-check skips it.
func TestExecAsksItsGate(t *testing.T) {
	type call struct {
		profile string
		o       GateOptions
	}
	for _, tc := range []struct {
		flags []string
		want  []call
		code  int
	}{
		{nil, []call{{"binance-main", GateOptions{}}}, ExitCrit},
		{[]string{"--force"}, []call{{"binance-main", GateOptions{Force: true}}}, ExitCrit},
		{[]string{"--strict"}, []call{{"binance-main", GateOptions{Strict: true}}}, ExitCrit},
		{[]string{"--no-check"}, nil, ExitCrit}, // the bot does not exist
	} {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			var calls []call
			gate := func(_ context.Context, _ *config.Config, p config.Profile, o GateOptions) error {
				calls = append(calls, call{p.Name, o})
				return &ExitError{Code: ExitCrit, Err: errors.New("refused by the test gate")}
			}
			var stderr bytes.Buffer
			app := &App{ConfigPath: writeConfig(t), Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr}
			c := newExecCmd(app, gate)
			c.SilenceErrors, c.SilenceUsage = true, true
			args := append(append([]string{"binance-main"}, tc.flags...), "--", "/nonexistent/bot")
			if code := execute(t.Context(), c, args, &stderr); code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, stderr.String())
			}
			if !slices.Equal(calls, tc.want) {
				t.Errorf("gate calls %v, want %v", calls, tc.want)
			}
			if len(tc.want) > 0 && !strings.Contains(stderr.String(), "refused by the test gate") {
				t.Errorf("stderr %q does not give the gate's reason", stderr.String())
			}
		})
	}
}
