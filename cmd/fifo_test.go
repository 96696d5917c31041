package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keywarden/keywarden/internal/testutil"
)

// fifoWorld is a home with a file vault holding one profile (imported
// with a regular passphrase file), and a FIFO no one writes to.
type fifoWorld struct {
	dir, config, pass, vault, fifo string
	env                            []string
}

func newFifoWorld(t *testing.T) *fifoWorld {
	t.Helper()
	dir := t.TempDir()
	w := &fifoWorld{dir: dir, config: filepath.Join(dir, "config.toml"), pass: filepath.Join(dir, "pass"),
		vault: filepath.Join(dir, "vault.age"), fifo: filepath.Join(dir, "fifo")}
	if err := syscall.Mkfifo(w.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	w.env = append(os.Environ(), "HOME="+dir, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"),
		"XDG_DATA_HOME="+filepath.Join(dir, ".local", "share"), "XDG_CACHE_HOME="+filepath.Join(dir, ".cache"),
		"CREDENTIALS_DIRECTORY=", "KEYWARDEN_CONFIG="+w.config, "KEYWARDEN_KEYSTORE=", "DBUS_SESSION_BUS_ADDRESS=")
	w.write(t, w.pass, "fifo-test-passphrase\n")
	w.write(t, filepath.Join(dir, "bot.env"), "BINANCE_API_KEY="+scriptSecrets[0]+"\nBINANCE_API_SECRET="+scriptSecrets[1]+"\n")
	w.setConfig(t, w.vault, w.pass, filepath.Join(dir, "audit.log"))
	w.write(t, filepath.Join(dir, "audit.log"), "")
	if out, code := w.run(t, "import", "main", "--exchange", "binance", filepath.Join(dir, "bot.env")); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	return w
}

func (w *fifoWorld) write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// setConfig writes the config with these paths; the profile is the one
// import appended, kept when the config is rewritten.
func (w *fifoWorld) setConfig(t *testing.T, vault, pass, auditLog string) {
	t.Helper()
	w.write(t, w.config, fmt.Sprintf("keystore = \"file\"\nvault = %q\npassphrase_file = %q\n\n[[profile]]\nname = \"main\"\nexchange = \"binance\"\naudit_log = %q\n", vault, pass, auditLog))
}

// run runs keywarden to its end and returns its output (stdout and stderr)
// and exit code. A
// run still going after a minute is killed and fails the test: hanging is
// the bug these tests catch.
func (w *fifoWorld) run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, testutil.LookPath(t, "keywarden"), args...)
	c.Env = w.env
	var stderr bytes.Buffer
	c.Stdout, c.Stderr = &stderr, &stderr
	err := c.Run()
	if ctx.Err() != nil {
		t.Fatalf("keywarden %s hangs (killed after a minute)\n%s", strings.Join(args, " "), stderr.String())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return stderr.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return stderr.String(), 0
}

// TestFIFORefused points the config, passphrase_file, the vault and a
// profile's audit_log at a FIFO nobody writes to: every command ends with
// an error naming the path and what it is, instead of blocking in open(2).
func TestFIFORefused(t *testing.T) {
	w := newFifoWorld(t)
	audit := filepath.Join(w.dir, "audit.log")
	notFile := func(what string) string { return what + " " + w.fifo + " is a FIFO (named pipe), not a regular file" }
	for _, tt := range []struct {
		name              string
		vault, pass, logf string
		args              []string
		code              int
		want              string
	}{
		{"config", w.vault, w.pass, audit, []string{"--config", w.fifo, "list"}, ExitUnknown, notFile("config file")},
		{"passphrase_file", w.vault, w.fifo, audit, []string{"list"}, ExitUnknown, notFile("passphrase_file")},
		{"vault", w.fifo, w.pass, audit, []string{"list"}, ExitUnknown, notFile("vault")},
		{"audit_log for log", w.vault, w.pass, w.fifo, []string{"log", "main"}, ExitUnknown, notFile("audit log")},
		{"audit_log for check", w.vault, w.pass, w.fifo, []string{"check", "--offline", "--profile", "main", "--json"}, ExitUnknown, notFile("audit log")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.setConfig(t, tt.vault, tt.pass, tt.logf)
			stderr, code := w.run(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d", code, tt.code)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("output does not say %q:\n%s", tt.want, stderr)
			}
		})
	}
}

// TestSIGTERMEndsABlockedRead: import reading a dotenv from a FIFO (process
// substitution, a named pipe) waits for the writer, which is allowed, but
// SIGTERM must end the wait; the signal is caught (it cancels the
// command's context), so a read that does not watch the context would
// outlive it.
func TestSIGTERMEndsABlockedRead(t *testing.T) {
	w := newFifoWorld(t)
	c := exec.Command(testutil.LookPath(t, "keywarden"), "import", "second", "--exchange", "binance", w.fifo)
	c.Env = w.env
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- c.Wait() }()
	// A non-blocking open for writing succeeds once keywarden has the FIFO
	// open for reading; holding it open without writing keeps its read
	// blocked.
	var writer *os.File
	for writer == nil {
		f, err := os.OpenFile(w.fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		switch {
		case err == nil:
			writer = f
		case errors.Is(err, syscall.ENXIO):
			select {
			case err := <-exited:
				t.Fatalf("import ended before reading the FIFO: %v\n%s", err, stderr.String())
			case <-time.After(10 * time.Millisecond):
			}
		default:
			t.Fatal(err)
		}
	}
	defer writer.Close()
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != ExitUnknown {
			t.Fatalf("import after SIGTERM: %v, want exit %d\n%s", err, ExitUnknown, stderr.String())
		}
		if !strings.Contains(stderr.String(), "interrupted while waiting for input") {
			t.Fatalf("stderr:\n%s", stderr.String())
		}
	case <-time.After(time.Minute):
		_ = c.Process.Kill()
		t.Fatal("import blocked on the FIFO did not end on SIGTERM")
	}
}
