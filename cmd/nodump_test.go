package cmd

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// raiseCoreLimit runs a command with the soft core limit raised to the
// hard one: `ulimit -c unlimited` where the hard limit allows it.
var raiseCoreLimit = []string{"sh", "-c", `ulimit -c "$(ulimit -H -c)" && exec "$@"`, "sh"}

// coresInCwd says whether the kernel writes a crashed process's core into
// its working directory here, by crashing sleep(1) under raiseCoreLimit;
// if not, why.
func coresInCwd(t *testing.T) (bool, string) {
	t.Helper()
	pattern, err := os.ReadFile("/proc/sys/kernel/core_pattern")
	if err != nil {
		return false, fmt.Sprintf("no core_pattern to read (%v)", err)
	}
	if p := strings.TrimSpace(string(pattern)); strings.HasPrefix(p, "|") || strings.Contains(p, "/") {
		return false, fmt.Sprintf("core_pattern %q sends cores to a handler or another directory", p)
	}
	dir := t.TempDir()
	c := exec.Command(raiseCoreLimit[0], append(raiseCoreLimit[1:], "sleep", "60")...)
	c.Dir = dir
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	// Give sh time to exec sleep: a core of sh proves as much.
	time.Sleep(200 * time.Millisecond)
	_ = c.Process.Signal(syscall.SIGABRT)
	_ = c.Wait()
	if ents, _ := os.ReadDir(dir); len(ents) == 0 {
		return false, "a crashed sleep(1) left no core (hard core limit 0?)"
	}
	return true, ""
}

// TestWatchCrashLeavesNoCore crashes a real `watch` that has read the
// vault (a bot's key and secret, a webhook signing key) with SIGABRT and
// SIGQUIT under `ulimit -c unlimited` and GOTRACEBACK=crash: its core limit
// is 0 while it runs and no core appears in its working directory.
// internal/nodump's TestCrashLeavesNoCore shows the same crash of a Go
// process without the fix writes a core holding its secrets.
func TestWatchCrashLeavesNoCore(t *testing.T) {
	canCore, why := coresInCwd(t)
	for _, sig := range []syscall.Signal{syscall.SIGABRT, syscall.SIGQUIT} {
		t.Run(sig.String(), func(t *testing.T) {
			hook := newRecorder(t)
			w := newWatchWorld(t, fmt.Sprintf("[[alert]]\ntype = \"webhook\"\nurl = %q\ntoken = \"alert-hook\"\n", hook.URL+"/kw"))
			w.wrap, w.cwd = raiseCoreLimit, t.TempDir()
			w.env = append(w.env, "GOTRACEBACK=crash")
			p := w.start(t, "--offline", "--interval", "1s")
			for {
				if v, ok := scrapeGauge(t, p.metrics, "keywarden_watch_runs_total", nil); ok && v > 0 {
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			limits, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", p.cmd.Process.Pid))
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(limits), "\n") {
				if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(line, "Max core file size") && f[4] != "0" {
					t.Fatalf("watch runs with a core limit: %s", line)
				}
			}
			// Not dumpable: the kernel gives /proc/PID to root, which only a
			// test running as another user can see.
			if os.Getuid() != 0 {
				fi, err := os.Stat(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
				if err != nil {
					t.Fatal(err)
				}
				if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Uid != 0 {
					t.Fatalf("/proc/PID/status of watch is owned by uid %d: it is dumpable", st.Uid)
				}
			}
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case <-p.exited:
			case <-time.After(60 * time.Second):
				t.Fatalf("watch survived %v", sig)
			}
			if !canCore {
				t.Skipf("%s, so the absence of a core proves nothing here; the core limit was 0 (checked above)", why)
			}
			ents, err := os.ReadDir(w.cwd)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range ents {
				data, _ := os.ReadFile(w.cwd + "/" + e.Name())
				leak := ""
				for _, s := range []string{watchKey, watchSecret, watchHookKey} {
					if bytes.Contains(data, []byte(s)) {
						leak = " holding a secret"
					}
				}
				t.Errorf("%v left %s%s", sig, e.Name(), leak)
			}
		})
	}
}
