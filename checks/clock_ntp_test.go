package checks

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/beevik/ntp"

	"github.com/keywarden/keywarden/config"
	"github.com/keywarden/keywarden/internal/testutil"
)

// startChronyd runs a real chronyd serving NTP on a loopback port, never
// touching the system clock (-x). skew, when set, runs it under libfaketime
// (e.g. "+7s") so it serves time that far off. local=false starts it without
// a reference, so it answers as an unsynchronized server.
func startChronyd(t *testing.T, skew string, local bool) string {
	t.Helper()
	chronyd := testutil.LookPath(t, "chronyd")
	argv := []string{chronyd}
	env := os.Environ()
	if skew != "" {
		ft := testutil.LookPath(t, "faketime")
		argv = []string{ft, "-f", skew, chronyd}
		env = append(env, "FAKETIME_DONT_FAKE_MONOTONIC=1")
	}
	dir := t.TempDir()
	port := freeUDPPort(t)
	conf := fmt.Sprintf("port %d\nbindaddress 127.0.0.1\nallow 127.0.0.1\ncmdport 0\npidfile %s\ndriftfile %s\n",
		port, filepath.Join(dir, "chronyd.pid"), filepath.Join(dir, "chrony.drift"))
	if local {
		conf += "local stratum 8\n"
	}
	cf := filepath.Join(dir, "chrony.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd := exec.Command(argv[0], append(argv[1:], "-x", "-d", "-f", cf, "-L", "0")...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &out
	// faketime runs chronyd as its child: kill the whole process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		testutil.MissingReal(t, "chronyd does not start: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, err := ntp.QueryWithOptions(addr, ntp.QueryOptions{Timeout: 200 * time.Millisecond}); err == nil || strings.Contains(err.Error(), "kiss") {
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("chronyd on %s never answered; its output:\n%s", addr, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func runNTPCheck(t *testing.T, servers ...string) Result {
	t.Helper()
	env := NewEnv(Deps{Config: &config.Config{Clock: config.Clock{NTPServers: servers, WarnMS: 250, CritMS: 1000}}})
	r := RunOne(context.Background(), env, Func{CheckID: "clock.ntp", Fn: runClockNTP})
	t.Logf("%s %s: %s", r.Status, r.ID, r.Summary)
	return r
}

func offsetMS(t *testing.T, v any) float64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("offset_ms is %T %v, want a number", v, v)
	}
	return f
}

func TestNTPRealChronyd(t *testing.T) {
	good := startChronyd(t, "", true)
	r := runNTPCheck(t, good)
	if r.Status != OK {
		t.Fatalf("status %v, want ok: %s", r.Status, r.Summary)
	}
	if off := offsetMS(t, r.Details["offset_ms"]); math.Abs(off) > 50 {
		t.Errorf("offset %v ms against a loopback chronyd on the same clock", off)
	}
	srv := r.Details["servers"].([]map[string]any)[0]
	if srv["server"] != good || srv["stratum"] != 8 || srv["error"] != nil {
		t.Errorf("server details %v, want stratum 8 (local stratum 8) and no error", srv)
	}
}

func TestNTPRealSkewedChronydIsCrit(t *testing.T) {
	skewed := startChronyd(t, "+7s", true)
	r := runNTPCheck(t, skewed)
	if r.Status != Crit {
		t.Fatalf("status %v, want crit: %s", r.Status, r.Summary)
	}
	if off := offsetMS(t, r.Details["offset_ms"]); math.Abs(off-7000) > 100 {
		t.Errorf("offset %v ms, want about +7000", off)
	}
	if !strings.Contains(r.Summary, "7.0 s") {
		t.Errorf("summary %q does not name the 7 s offset", r.Summary)
	}
}

func TestNTPRealFalsetickerOutvoted(t *testing.T) {
	a, skewed, b := startChronyd(t, "", true), startChronyd(t, "+7s", true), startChronyd(t, "", true)
	r := runNTPCheck(t, a, skewed, b)
	if off := offsetMS(t, r.Details["offset_ms"]); math.Abs(off) > 50 {
		t.Fatalf("consensus offset %v ms moved by the falseticker", off)
	}
	if fts := r.Details["falsetickers"].([]string); len(fts) != 1 || fts[0] != skewed {
		t.Errorf("falsetickers %v, want [%s]", fts, skewed)
	}
	if r.Status != Warn || !strings.Contains(r.Summary, skewed) || !strings.Contains(r.Summary, "2/3 agree") {
		t.Errorf("status %v summary %q: want a warning naming the falseticker", r.Status, r.Summary)
	}
}

func TestNTPRealUnsynchronizedServerIgnored(t *testing.T) {
	good, unsynced := startChronyd(t, "", true), startChronyd(t, "", false)
	r := runNTPCheck(t, unsynced, good)
	if r.Status != OK {
		t.Fatalf("status %v, want ok from the one usable server: %s", r.Status, r.Summary)
	}
	srv := r.Details["servers"].([]map[string]any)[0]
	if e, _ := srv["error"].(string); !strings.Contains(e, "not synchronized") {
		t.Errorf("unsynchronized server error %v", srv["error"])
	}
}

func TestNTPUnreachableIsUnknown(t *testing.T) {
	port := freeUDPPort(t) // nothing listens: ICMP port unreachable or timeout
	r := runNTPCheck(t, fmt.Sprintf("127.0.0.1:%d", port))
	if r.Status != Unknown || r.Hint == "" {
		t.Fatalf("status %v hint %q, want unknown with a hint", r.Status, r.Hint)
	}
}

func TestNTPResponseErr(t *testing.T) {
	now := time.Now()
	ok := ntp.Response{Version: 4, Stratum: 2, Time: now, ReferenceTime: now.Add(-time.Minute)}
	kod := ntp.Response{Version: 4, Stratum: 0, KissCode: "RATE", Time: now, ReferenceTime: now}
	unsync := ntp.Response{Version: 4, Stratum: 0, Leap: ntp.LeapNotInSync}
	leap := ntp.Response{Version: 4, Stratum: 2, Leap: ntp.LeapAddSecond, Time: now, ReferenceTime: now}
	for _, tt := range []struct {
		r    ntp.Response
		want string
	}{{ok, ""}, {kod, `kiss-of-death "RATE"`}, {unsync, "not synchronized"}, {leap, ""}} {
		err := ntpResponseErr(&tt.r)
		if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("%+v: %v, want %q", tt.r, err, tt.want)
		}
	}
}
