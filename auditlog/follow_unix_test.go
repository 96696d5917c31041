//go:build unix

package auditlog

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitHeld waits until path is open n times in this process (the bot's
// writer and the follower): read from /proc/self/fd where there is one.
func waitHeld(t *testing.T, path string, n int) {
	t.Helper()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		return
	}
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		fds, _ := os.ReadDir("/proc/self/fd")
		held := 0
		for _, fd := range fds {
			if l, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && l == path {
				held++
			}
		}
		if held >= n {
			return
		}
		if time.Now().After(end) {
			t.Errorf("%s is open %d times, not %d, after 30 s: the follower did not open it", path, held, n)
			return
		}
	}
}

// runUnprivileged re-runs the named test of this binary as uid/gid 65534
// (nobody). It needs root; the binary is copied where that user can run it.
func runUnprivileged(t *testing.T, name string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "keywarden-unprivileged-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "auditlog.test")
	data, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run=^"+name+"$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TMPDIR="+dir, "HOME="+dir, "GOCOVERDIR=")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: "+name) {
		t.Fatalf("%s as uid 65534: %v\n%s", name, err, out)
	}
}

// A FIFO as audit_log is refused at once: opening it for reading would
// wait for a writer, and a pipe has no offsets to follow rotation by.
func TestFollowRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bot.log")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		fl, err := Follow(t.Context(), p, FollowOptions{})
		if err == nil {
			fl.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "is a FIFO (named pipe), not a regular file") {
			t.Errorf("Follow on a FIFO: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow on a FIFO hangs")
	}
	if _, err := Tail(p, 5); err == nil || !strings.Contains(err.Error(), "FIFO") {
		t.Errorf("Tail on a FIFO: %v", err)
	}

	// The path becomes a FIFO while followed: the follower says so and
	// keeps waiting, without blocking.
	q := filepath.Join(dir, "later.log")
	fl, err := Follow(t.Context(), q, FollowOptions{Poll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(q, 0o600); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if e := fl.Err(); e != nil && strings.Contains(e.Error(), "FIFO") {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("Err() = %v, want the FIFO named", fl.Err())
		}
	}
	closed := make(chan struct{})
	go func() { fl.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close hangs on a FIFO")
	}
}
