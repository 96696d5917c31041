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
	// bubbletea writes the report of a panic in a command's goroutine after
	// it has told Run to stop, so Run may return first. The report goes
	// through a pipe here, and the process exits once the whole report
	// (message, then the stack down to "created by" and its file line) is out.
	report := watchStderr(t)
	err := Run(context.Background(), opts)
	select {
	case <-report:
	case <-time.After(10 * time.Second):
		fmt.Println("no complete panic report within 10 s")
	}
	if errors.Is(err, tea.ErrProgramPanic) {
		fmt.Println("run returned a panic error")
	}
}

// watchStderr sends os.Stderr through a pipe that copies to the real
// stderr; the channel is closed once a complete panic report went through.
func watchStderr(t *testing.T) <-chan struct{} {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stderr
	os.Stderr = w
	done := make(chan struct{})
	go func() {
		var seen []byte
		buf := make([]byte, 4096)
		closed := false
		for {
			n, err := r.Read(buf)
			orig.Write(buf[:n])
			seen = append(seen, buf[:n]...)
			if !closed && reportComplete(string(seen)) {
				close(done)
				closed = true
			}
			if err != nil {
				return
			}
		}
	}()
	return done
}

// reportComplete reports whether s holds bubbletea's panic message and the
// stack after it through the file line of its last "created by" frame.
func reportComplete(s string) bool {
	i := strings.Index(s, "Restoring terminal...")
	if i < 0 {
		return false
	}
	s = s[i:]
	j := strings.LastIndex(s, "created by ")
	return j >= 0 && strings.Count(s[j:], "\n") >= 2
}
