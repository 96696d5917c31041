package nodump

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// canary is what the helper process holds in memory; it is computed, not
// passed in, so it is in a core only if the heap is.
func canary() string {
	sum := sha256.Sum256([]byte("nodump canary"))
	return "kwCANARY-" + hex.EncodeToString(sum[:])
}

// TestHelperProcess is not a test: the tests below run this binary as a
// process that holds the canary and waits to be killed, with Disable
// called (NODUMP_HELPER=disable) or not (=control).
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv("NODUMP_HELPER")
	if mode == "" {
		t.Skip("run by TestCrashLeavesNoCore")
	}
	if mode == "disable" {
		if err := Disable(); err != nil {
			fmt.Println("disable:", err)
			os.Exit(5)
		}
	}
	held := []byte(canary())
	fmt.Println("ready")
	time.Sleep(time.Minute)
	runtime.KeepAlive(held)
	os.Exit(6)
}

// crashIn runs the helper in dir with the core limit raised to the hard
// limit (ulimit -c) and GOTRACEBACK=crash, sends sig once it is ready and
// returns the files the crash left in dir.
func crashIn(t *testing.T, dir, mode string, sig syscall.Signal) []string {
	t.Helper()
	c := exec.Command("sh", "-c", `ulimit -c "$(ulimit -H -c)" && exec "$@"`, "sh", os.Args[0], "-test.run=^TestHelperProcess$")
	c.Dir = dir
	c.Env = append(os.Environ(), "NODUMP_HELPER="+mode, "GOTRACEBACK=crash")
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- true
			}
		}
		close(ready)
	}()
	if !<-ready {
		_ = c.Wait()
		t.Fatalf("%s helper did not start:\n%s", mode, stderr.String())
	}
	if err := c.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = c.Process.Kill()
		t.Fatalf("%s helper survived %v", mode, sig)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, e := range ents {
		files = append(files, filepath.Join(dir, e.Name()))
	}
	return files
}

// TestCrashLeavesNoCore crashes a process holding a canary with SIGABRT,
// SIGQUIT and SIGSEGV under `ulimit -c unlimited` and GOTRACEBACK=crash:
// without Disable the kernel writes a core holding the canary into the
// working directory (the control, which proves the setup can produce
// one), with Disable nothing is written.
func TestCrashLeavesNoCore(t *testing.T) {
	pattern, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		t.Skipf("no core_pattern to read (%v): TestDisable checks the limit and the dumpable flag", err)
	}
	if p := strings.TrimSpace(string(pattern)); strings.HasPrefix(p, "|") || strings.Contains(p, "/") {
		t.Skipf("core_pattern %q sends cores to a handler or another directory, so no core can be made in a temporary directory: TestDisable checks RLIMIT_CORE and PR_GET_DUMPABLE instead", p)
	}
	for _, sig := range []syscall.Signal{syscall.SIGABRT, syscall.SIGQUIT, syscall.SIGSEGV} {
		t.Run(sig.String(), func(t *testing.T) {
			control := crashIn(t, t.TempDir(), "control", sig)
			if len(control) == 0 {
				t.Skipf("the control process left no core after %v (hard core limit 0, or the kernel writes none here): TestDisable checks RLIMIT_CORE and PR_GET_DUMPABLE instead", sig)
			}
			core, err := os.ReadFile(control[0])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(core, []byte(canary())) {
				t.Fatalf("the control's core %s does not hold the canary: the test would prove nothing", control[0])
			}
			if left := crashIn(t, t.TempDir(), "disable", sig); len(left) > 0 {
				t.Fatalf("after Disable, %v left %v", sig, left)
			}
		})
	}
}

// TestDisable checks the process state Disable leaves: soft RLIMIT_CORE 0
// with the hard limit kept, PR_GET_DUMPABLE 0; RestoreForExec gives the
// starting soft limit back and its undo lowers it again.
func TestDisable(t *testing.T) {
	var before unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &before); err != nil {
		t.Fatal(err)
	}
	if err := Disable(); err != nil {
		t.Fatal(err)
	}
	limit := func() unix.Rlimit {
		var l unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_CORE, &l); err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := limit(); l.Cur != 0 || l.Max != before.Max {
		t.Fatalf("after Disable RLIMIT_CORE is %+v, want cur 0, max %d", l, before.Max)
	}
	if d, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0); err != nil || d != 0 {
		t.Fatalf("PR_GET_DUMPABLE = %d (%v), want 0", d, err)
	}
	undo, err := RestoreForExec()
	if err != nil {
		t.Fatal(err)
	}
	if l := limit(); l != before {
		t.Fatalf("RestoreForExec left %+v, want %+v", l, before)
	}
	undo()
	if l := limit(); l.Cur != 0 {
		t.Fatalf("undo left the soft limit at %d, want 0", l.Cur)
	}
}
