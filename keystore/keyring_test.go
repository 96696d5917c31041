package keystore

import (
	"bufio"
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

// requireSecretService skips (fails in CI) unless a session bus is there;
// scripts/test.sh runs the tests in one with an unlocked gnome-keyring.
func requireSecretService(t testing.TB) {
	t.Helper()
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		testutil.MissingReal(t, "no D-Bus session bus with gnome-keyring (DBUS_SESSION_BUS_ADDRESS unset)")
	}
}

func TestKeyringRealSecretService(t *testing.T) {
	requireSecretService(t)
	ctx := context.Background()
	s, err := Open(ctx, Options{Backend: BackendKeyring})
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("kw-test-%d", time.Now().UnixNano())
	t.Cleanup(func() { _ = s.Delete(context.Background(), name) })

	if _, err := s.Get(ctx, name); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get before Set: %v", err)
	}
	if err := s.Set(ctx, name, testItem()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(testItem()) {
		t.Error("item changed in the keyring")
	}
	// Replacing keeps one item.
	if err := s.Set(ctx, name, itemFor(name)); err != nil {
		t.Fatal(err)
	}
	names, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, x := range names {
		if x == name {
			n++
		}
	}
	if n != 1 {
		t.Errorf("List has %d entries for %s, want 1", n, name)
	}

	// The item is a plain Secret Service item other tools see.
	secretTool := testutil.LookPath(t, "secret-tool")
	out, err := exec.Command(secretTool, "search", "--all", "service", Service).CombinedOutput()
	if err != nil {
		t.Fatalf("secret-tool search: %v", err)
	}
	if !strings.Contains(string(out), "attribute.username = "+name) {
		t.Errorf("secret-tool search service %s does not show %s", Service, name)
	}

	if err := s.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, name); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	if err := s.Delete(ctx, name); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete twice: %v", err)
	}

	// auto picks the keyring when it answers.
	a, err := Open(ctx, Options{Backend: BackendAuto, VaultPath: filepath.Join(t.TempDir(), "vault.age")})
	if err != nil || a.Backend() != BackendKeyring {
		t.Errorf("auto with a working keyring: %v, %v", a, err)
	}
}

// startBus starts a private session bus and returns its address.
func startBus(t *testing.T) string {
	t.Helper()
	daemon := testutil.LookPath(t, "dbus-daemon")
	c := exec.Command(daemon, "--session", "--nofork", "--print-address=1", "--nopidfile")
	c.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS=")
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon gave no address: %v", err)
	}
	return strings.TrimSpace(addr)
}

// A Secret Service that owns its bus name but never answers must give an
// error within the timeout, with the fix, not a hang.
func TestKeyringTimeout(t *testing.T) {
	addr := startBus(t)
	hang := helperCmd("hang", "DBUS_SESSION_BUS_ADDRESS="+addr)
	out, err := hang.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	hang.Stderr = os.Stderr
	if err := hang.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hang.Process.Kill(); _ = hang.Wait() })
	if line, _ := bufio.NewReader(out).ReadString('\n'); strings.TrimSpace(line) != "ready" {
		t.Fatalf("hanging service did not start: %q", line)
	}

	for _, backend := range []string{BackendKeyring, BackendAuto} {
		t.Run(backend, func(t *testing.T) {
			c := helperCmd("keyring", "DBUS_SESSION_BUS_ADDRESS="+addr, "TIMEOUT=300ms", "BACKEND="+backend,
				"VAULT="+filepath.Join(t.TempDir(), "vault.age"))
			res, err := c.Output()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("want an error exit, got %v: %s", err, res)
			}
			msg := string(res)
			if !strings.Contains(msg, "keyring not answering after 300ms") {
				t.Errorf("error %q does not say the keyring timed out", msg)
			}
			if !strings.Contains(msg, "--keystore file") {
				t.Errorf("error %q does not give the fix", msg)
			}
			if backend == BackendKeyring && !strings.Contains(msg, "keyring not answering (an earlier call is still waiting for it)") {
				t.Errorf("a call behind a stuck one did not fail at once: %q", msg)
			}
		})
	}
	// The service was stopped the whole time: it never answered.
	if err := hang.Process.Signal(syscall.Signal(0)); err != nil {
		t.Fatalf("hanging service died early: %v", err)
	}
}

// Without any session bus the keyring fails at once with the fix, and never
// launches a bus of its own (dbus-launch would leave daemons behind).
func TestKeyringNoBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if _, err := os.Stat(fmt.Sprintf("/run/user/%d/bus", os.Getuid())); err == nil {
		t.Skip("this machine has a systemd user bus at /run/user/UID/bus")
	}
	ctx := context.Background()
	s, err := Open(ctx, Options{Backend: BackendKeyring})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.List(ctx)
	if err == nil || !strings.Contains(err.Error(), "no D-Bus session bus") || !strings.Contains(err.Error(), "--keystore file") {
		t.Errorf("no bus: %v", err)
	}

	// auto: no keyring and no vault is an error with both fixes.
	vault := filepath.Join(t.TempDir(), "vault.age")
	_, err = Open(ctx, Options{Backend: BackendAuto, VaultPath: vault})
	if err == nil || !strings.Contains(err.Error(), "no vault at "+vault) || !strings.Contains(err.Error(), "--keystore file") {
		t.Errorf("auto without keyring or vault: %v", err)
	}

	// auto: no keyring but a vault: the file backend, and the choice is told.
	if err := os.WriteFile(vault, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var notice string
	s, err = Open(ctx, Options{Backend: BackendAuto, VaultPath: vault, Notice: func(m string) { notice = m }})
	if err != nil || s.Backend() != BackendFile {
		t.Fatalf("auto with a vault: %v, %v", s, err)
	}
	if !strings.Contains(notice, "keystore: file "+vault) || !strings.Contains(notice, "no D-Bus session bus") {
		t.Errorf("auto fell back without saying why: %q", notice)
	}
}
