package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/keywarden/keywarden/auditlog"
	"github.com/keywarden/keywarden/checks"
	"github.com/keywarden/keywarden/keystore"
)

const panicSecret = "kw-panic-secret-0a9b8c7d6e5f4a3b2c1d"

// A panic while the dashboard runs stops it with an error, and the report
// bubbletea prints on stderr names no stored secret. The dashboard runs in a
// child process (this test binary again) so its stderr can be read whole.
func TestRunPanicReportHasNoSecret(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestPanicHelper$")
	cmd.Env = append(os.Environ(), "KW_PANIC_HELPER=1")
	out, _ := cmd.CombinedOutput()
	report := string(out)
	if strings.Contains(report, panicSecret) {
		t.Fatalf("the panic report shows the stored secret:\n%s", report)
	}
	for _, want := range []string{"cannot parse key " + auditlog.RedactedMark, "run returned a panic error"} {
		if !strings.Contains(report, want) {
			t.Errorf("report lacks %q:\n%s", want, report)
		}
	}
}

// TestPanicHelper is the child of TestRunPanicReportHasNoSecret.
func TestPanicHelper(t *testing.T) {
	if os.Getenv("KW_PANIC_HELPER") == "" {
		t.Skip("helper process for TestRunPanicReportHasNoSecret")
	}
	opts := testOptions(&runner{rs: world()})
	opts.Secrets = []keystore.Secret{keystore.NewSecret(panicSecret)}
	inner := opts.Run
	opts.Run = func(ctx context.Context, ids []string) []checks.Result {
		if ids[0] == "ip.public" {
			panic("cannot parse key " + panicSecret)
		}
		return inner(ctx, ids)
	}
	in, keys := io.Pipe()
	defer keys.Close()
	opts.Input, opts.Output = in, io.Discard
	err := Run(context.Background(), opts)
	// bubbletea writes the report of a panic in a command's goroutine right
	// after it stops the program; give it a moment before this process exits.
	time.Sleep(300 * time.Millisecond)
	if errors.Is(err, tea.ErrProgramPanic) {
		fmt.Println("run returned a panic error")
	}
}
